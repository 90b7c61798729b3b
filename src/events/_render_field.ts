/** Renders one name/value pair through RecordFieldContextFormat or ActionableFieldContextFormat. */
import { PARAM_NAME, PARAM_VALUE } from "./_codes.ts";
import type { Template } from "./compile_template.ts";

/** Appends `name`/`value` rendered through `t` to `out` and returns the result. */
export function renderField(t: Template, out: string, name: string, value: string): string {
  const { literals, codes } = t;
  let s = out + literals[0]!;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === PARAM_NAME) s += name;
    else if (c === PARAM_VALUE) s += value;
    s += literals[i + 1]!;
  }
  return s;
}
