/** Renders one name/value pair through RecordFieldContextFormat or ActionableFieldContextFormat. */
import type { Fields } from "../matching/types.ts";
import { PARAM_NAME, PARAM_VALUE } from "./_codes.ts";
import type { Template } from "./compile_template.ts";
import { contextFieldName } from "./context_field_name.ts";

/** Appends `name`/`value` rendered through `t` (escaped as `t` asks) to `out` and returns the result. */
export function renderField(t: Template, out: string, name: string, value: string): string {
  const { literals, codes, escape } = t;
  let s = out + literals[0]!;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === PARAM_NAME) s += escape === undefined ? name : escape(name);
    else if (c === PARAM_VALUE) s += escape === undefined ? value : escape(value);
    s += literals[i + 1]!;
  }
  return s;
}

/**
 * The name a record field is written under in a line whose template writes `keys` itself:
 * `name`, or `record_<name>` (repeated) when `name` is one of `keys` (context_field_name.ts).
 * The new name also avoids the names of the record's other `fields`.
 */
export function fieldName(name: string, keys: ReadonlySet<string> | undefined, fields?: Fields): string {
  if (keys === undefined || !keys.has(name)) return name;
  return contextFieldName(name, (n) => keys.has(n) || (fields !== undefined && fields.some((f) => f[0] === n)));
}
