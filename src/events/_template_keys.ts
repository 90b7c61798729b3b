/**
 * The keys a template writes itself (`eventName=`, `"category":`), so that record fields of the
 * same name can be renamed (context_field_name.ts) instead of being written twice.
 */

/** Marks a key=value key: after the line start, a space, a tab, `|`, `,` or `;`. */
const KV_KEY = /(?:^|[\s|,;])([A-Za-z_@][\w.@-]*)=/g;
/** A JSON member name. */
const JSON_KEY = /"((?:[^"\\]|\\.)*)"\s*:/g;

/**
 * The keys among `literals` (a compiled template's text between placeholders), in the syntax
 * `recordField` (RecordFieldContextFormat) writes its fields in: `name=` when `%ParamName%` is
 * followed by `=`, `"name":` when it is followed by `"` and a colon. Undefined when the record
 * fields are not written as keys (` %ParamName%:%ParamValue%`) or the template has none: then
 * nothing is renamed.
 *
 * @example
 * ```ts
 * templateKeys(["", " eventName=", " category=", ""], " %ParamName%=%ParamValue%"); // Set { "eventName", "category" }
 * ```
 */
export function templateKeys(literals: readonly string[], recordField: string): ReadonlySet<string> | undefined {
  const name = recordField.indexOf("%ParamName%");
  if (name < 0) return undefined;
  const after = recordField.slice(name + "%ParamName%".length);
  const value = after.indexOf("%ParamValue%");
  const json = after.startsWith('"') && (value < 0 ? after : after.slice(0, value)).includes(":");
  if (!json && !after.startsWith("=")) return undefined;
  const keys = new Set<string>();
  literals.forEach((literal, i) => {
    // A literal after a placeholder starts mid-value: `%RE_URL%x=` holds no key.
    const text = i === 0 || json ? literal : `\u0000${literal}`;
    for (const m of text.matchAll(json ? JSON_KEY : KV_KEY)) keys.add(m[1]!);
  });
  return keys.size > 0 ? keys : undefined;
}
