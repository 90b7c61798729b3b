/**
 * The keys a template writes itself (`eventName=`, `"category":`), so that record fields of the
 * same name can be renamed (context_field_name.ts) instead of being written twice.
 */
import { RECORD_CONTEXT } from "./_codes.ts";
import type { Template } from "./compile_template.ts";

/** Marks a key=value key: after the line start, a space, a tab, `|`, `,` or `;`. */
const KV_KEY = /(?:^|[\s|,;])([A-Za-z_@][\w.@-]*)=/g;

/**
 * The keys of `t` that `%RecordContext%`'s fields could clash with, in the syntax `recordField`
 * (RecordFieldContextFormat) writes its fields in: `name=` when `%ParamName%` is followed by
 * `=` (every key of the line), `"name":` when it is followed by `"` and a colon (the members of
 * the JSON object `%RecordContext%` sits in). Undefined when the record fields are not written as
 * keys (` %ParamName%:%ParamValue%`) or there is no such key: then nothing is renamed.
 *
 * @example
 * ```ts
 * templateKeys(compileTemplate("%Date% eventName=%Category% category=%Category%%RecordContext%", names), " %ParamName%=%ParamValue%");
 * // Set { "eventName", "category" }
 * ```
 */
export function templateKeys(t: Template, recordField: string): ReadonlySet<string> | undefined {
  const name = recordField.indexOf("%ParamName%");
  if (name < 0) return undefined;
  const after = recordField.slice(name + "%ParamName%".length);
  const value = after.indexOf("%ParamValue%");
  const json = after.startsWith('"') && (value < 0 ? after : after.slice(0, value)).includes(":");
  if (!json && !after.startsWith("=")) return undefined;
  const keys = json ? jsonKeys(t) : kvKeys(t);
  return keys.size > 0 ? keys : undefined;
}

function kvKeys(t: Template): Set<string> {
  const keys = new Set<string>();
  t.literals.forEach((literal, i) => {
    // A literal after a placeholder starts mid-value: `%RE_URL%x=` holds no key.
    const text = i === 0 ? literal : `\u0000${literal}`;
    for (const m of text.matchAll(KV_KEY)) keys.add(m[1]!);
  });
  return keys;
}

/** Member names of the objects `%RecordContext%` is written into; placeholders sit inside strings. */
function jsonKeys(t: Template): Set<string> {
  const targets: Set<string>[] = [];
  const objects: Set<string>[] = [];
  let inString = false;
  let escaped = false;
  let text = "";
  let lastString: string | undefined;
  t.literals.forEach((literal, i) => {
    for (const c of literal) {
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') {
          inString = false;
          lastString = text;
        } else text += c;
        continue;
      }
      if (c === '"') {
        inString = true;
        text = "";
      } else if (c === ":" && lastString !== undefined) objects.at(-1)?.add(lastString);
      else if (c === "{") objects.push(new Set());
      else if (c === "}") objects.pop();
      if (c !== '"' && c.trim() !== "") lastString = undefined;
    }
    const target = objects.at(-1);
    if (t.codes[i] === RECORD_CONTEXT && target !== undefined) targets.push(target);
  });
  // Members after %RecordContext% count too, so the objects are read once the walk is done.
  return new Set(targets.flatMap((keys) => [...keys]));
}
