/**
 * Thrown by {@link parseXml} when a document is not well-formed XML, or uses a construct that
 * ioclens refuses on purpose (DOCTYPE, ENTITY and other `<!` declarations).
 *
 * @example Reading the position
 * ```ts
 * import { parseXml } from "./parse_xml.ts";
 * import { XmlSyntaxError } from "./xml_syntax_error.ts";
 * try {
 *   parseXml("<Settings>\n<ThreadsCount>8</Settings>");
 * } catch (e) {
 *   if (e instanceof XmlSyntaxError) console.log(e.line, e.column, e.reason);
 * }
 * ```
 */
export class XmlSyntaxError extends SyntaxError {
  override readonly name = "XmlSyntaxError";
  /** What is wrong, without the position (the message adds it). */
  readonly reason: string;
  /** 1-based line of the offending markup. */
  readonly line: number;
  /** 1-based column of the offending markup. */
  readonly column: number;

  constructor(reason: string, line: number, column: number) {
    super(`${reason} (line ${line}, column ${column})`);
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}
