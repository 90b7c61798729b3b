/**
 * How a template writes the values of its placeholders (the `escape` attribute of the format
 * elements, an ioclens addition): CyberTrace copies values verbatim, which breaks a JSON line on
 * the first quote and a CEF extension on the first `=`.
 */

/** CEF extension values: backslash and `=` are escaped, line breaks become `\n` / `\r`; pipes stay. */
export function escapeCefValue(s: string): string {
  return s.replace(/[\\=]/g, "\\$&").replace(/\r\n|\n/g, "\\n").replace(/\r/g, "\\r");
}

/**
 * LEEF attribute values: LEEF has no escape for its attribute delimiter, so a delimiter (tab in
 * LEEF 1.0) or a line break becomes a space, as the IBM guide asks of senders.
 */
export function escapeLeefValue(s: string, delimiter = "\t"): string {
  let out = s.replace(/\r\n|[\r\n]/g, " ");
  if (out.includes(delimiter)) out = out.split(delimiter).join(" ");
  return out;
}

/** The inside of a JSON string: what `JSON.stringify` writes between the quotes. */
export function escapeJsonValue(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/**
 * Every escaping a template may ask for, by the name its `escape` attribute takes. `none` is
 * CyberTrace's behaviour and the default.
 *
 * @example
 * ```ts
 * VALUE_ESCAPES.json('say "hi"'); // 'say \\"hi\\"'
 * VALUE_ESCAPES.cef("a=b"); // "a\\=b"
 * ```
 */
export const VALUE_ESCAPES = {
  none: undefined,
  json: escapeJsonValue,
  cef: escapeCefValue,
  leef: (s: string): string => escapeLeefValue(s),
} as const satisfies Record<string, ((s: string) => string) | undefined>;

/** The names `escape=` accepts: `none`, `json`, `cef`, `leef`. */
export type ValueEscape = keyof typeof VALUE_ESCAPES;
