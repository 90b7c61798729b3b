/**
 * Shows control characters as escapes (`\x1b`, `\n`), so that text from outside - a file name,
 * an indicator from a log - printed on a terminal cannot move the cursor, retitle the window, ring
 * the bell, forge a line, or reorder what follows it (Unicode bidirectional controls, the
 * "Trojan Source" trick).
 */

/** C0, DEL, C1, the Unicode line and paragraph separators, and the bidirectional controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROLS = new RegExp(CONTROL.source, "g");
/** The same, except the line ends and tabs of multi-line output (a CR only before an LF). */
const CONTROLS_IN_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escape(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : jsonEscape(c);
}

/** `\u009b`: valid inside a JSON string, where JSON output can hold these characters at all. */
function jsonEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every control character escaped. `lines` keeps LF, CR LF and TAB, for output made
 * of lines (a report printed on a terminal); `json` escapes as `\u00XX`, which keeps JSON text
 * valid and equal once parsed. Text without any comes back as it is.
 *
 * @example
 * ```ts
 * escapeControl("a\x1b[31m\nb.log"); // "a\\x1b[31m\\nb.log"
 * escapeControl("x,y\r\nbell\x07\n", { lines: true }); // "x,y\r\nbell\\x07\n"
 * escapeControl('{"u":"\u009b"}\n', { lines: true, json: true }); // '{"u":"\\u009b"}\n'
 * ```
 */
export function escapeControl(text: string, options: { lines?: boolean; json?: boolean } = {}): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(options.lines ? CONTROLS_IN_LINES : CONTROLS, options.json ? jsonEscape : escape);
}
