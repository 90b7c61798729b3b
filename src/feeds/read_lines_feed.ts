/**
 * Reads a plain indicator list: one indicator per line, the commonest shape of OSINT block
 * lists (IP lists, domain lists, hash lists).
 */
import type { FeedConfig, FeedFieldType } from "./feed_config.ts";
import type { Fields } from "../matching/types.ts";
import { classifyValue } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { lineBatches } from "./_input.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

const NO_FIELDS: Fields = [];
// a comment after the indicator starts with `#` or `;` preceded by white space
const TRAILING_COMMENT = /\s+[#;]/;

/**
 * Hands over one entry per line. Blank lines and lines starting with `#` or `;` are skipped silently;
 * a trailing ` # text` or ` ; text` becomes the field `comment`. The type is
 * `config.fields[0].type` (AUTO when no field is configured): AUTO picks URL for a scheme or a
 * `/`, IP for IPv4/IPv6/CIDR, a hash by length, else a domain. A line that fits none is skipped
 * as `line N`.
 *
 * @example
 * ```ts
 * await readLinesFeed("# list\n192.0.2.1\nbad.example\n", config, { onSkip, onEntry }); // IP, DOMAIN
 * ```
 */
export async function readLinesFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const field = config.fields[0];
  const type: FeedFieldType = field?.type ?? "AUTO";
  const category = field === undefined || field.category === "" ? undefined : field.category;
  let line = 0;
  const read = (text: string): void => {
    line++;
    let value = text.trim();
    if (value === "" || value.startsWith("#") || value.startsWith(";")) return;
    let fields = NO_FIELDS;
    const comment = TRAILING_COMMENT.exec(value);
    if (comment !== null) {
      const note = value.slice(comment.index + comment[0].length).trim();
      value = value.slice(0, comment.index);
      if (note !== "") fields = [["comment", note]];
    }
    const classified = classifyValue(type, value);
    if (typeof classified === "string") {
      context.onSkip({ where: `line ${line}`, reason: classified });
      return;
    }
    if (classified.port !== undefined) fields = [...fields, ["port", classified.port]];
    emitEntry(context, { kind: classified.kind, value: classified.value, fields, category }, "line", line);
  };
  for await (const lines of lineBatches(input, config.limits)) {
    for (let i = 0; i < lines.length; i++) read(lines[i]!);
  }
}
