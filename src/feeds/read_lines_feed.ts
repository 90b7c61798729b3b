/**
 * Reads a plain indicator list: one indicator per line, the commonest shape of OSINT block
 * lists (IP lists, domain lists, hash lists).
 */
import type { FeedConfig, FeedFieldType } from "../config/types.ts";
import type { FeedEntry, Fields } from "../matching/types.ts";
import { classifyValue } from "./_classify.ts";
import { readLines } from "./_input.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

const NO_FIELDS: Fields = [];
// a comment after the indicator starts with `#` or `;` preceded by white space
const TRAILING_COMMENT = /\s+[#;]/;

/**
 * Yields one entry per line. Blank lines and lines starting with `#` or `;` are skipped silently;
 * a trailing ` # text` or ` ; text` becomes the field `comment`. The type is
 * `config.fields[0].type` (AUTO when no field is configured): AUTO picks URL for a scheme or a
 * `/`, IP for IPv4/IPv6/CIDR, a hash by length, else a domain. A line that fits none is skipped
 * as `line N`.
 *
 * @example
 * ```ts
 * for await (const e of readLinesFeed("# list\n192.0.2.1\nbad.example\n", config, context)) {}
 * ```
 */
export async function* readLinesFeed(
  input: FeedInput,
  config: FeedConfig,
  context: FeedReadContext,
): AsyncGenerator<FeedEntry> {
  const field = config.fields[0];
  const type: FeedFieldType = field?.type ?? "AUTO";
  const category = field === undefined || field.category === "" ? undefined : field.category;
  let line = 0;
  for await (const text of readLines(input)) {
    line++;
    let value = text.trim();
    if (value === "" || value.startsWith("#") || value.startsWith(";")) continue;
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
      continue;
    }
    if (classified.port !== undefined) fields = [...fields, ["port", classified.port]];
    context.where = `line ${line}`;
    yield { kind: classified.kind, value: classified.value, fields, category };
  }
}
