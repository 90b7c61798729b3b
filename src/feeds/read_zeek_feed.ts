/**
 * Reads a Zeek intel framework file: a `#fields` header naming TAB-separated columns, with
 * `indicator` and `indicator_type` (`Intel::ADDR`, `Intel::URL`, ...) among them.
 */
import type { FeedConfig, FeedFieldType } from "./feed_config.ts";
import { classifyValue, quote } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { lineBatches } from "./_input.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

/** Zeek's indicator types this project can match, and the field type each becomes. */
const TYPES: Readonly<Record<string, FeedFieldType>> = {
  "Intel::ADDR": "IP",
  "Intel::SUBNET": "IP",
  "Intel::DOMAIN": "DOMAIN",
  "Intel::URL": "URL",
  "Intel::FILE_HASH": "HASH",
};

/**
 * Hands over one entry per row whose `indicator_type` is ADDR, SUBNET, DOMAIN, URL or FILE_HASH
 * (hash kind by length); other types (EMAIL, USER_NAME, CERT_HASH, ...) are skipped as
 * `line N`. Every other column becomes a field named by the header (`meta.source`); Zeek's
 * `-` (unset) and `(empty)` become empty values. Rows before a `#fields` line are an error.
 *
 * @example
 * ```ts
 * const text = "#fields\tindicator\tindicator_type\tmeta.source\n192.0.2.9\tIntel::ADDR\tlab\n";
 * await readZeekFeed(text, config, { onSkip, onEntry }); // IP 192.0.2.9, [["meta.source","lab"]]
 * ```
 */
export async function readZeekFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const category = config.fields[0]?.category || undefined;
  let separator = "\t";
  let names: string[] | undefined;
  let indicatorAt = -1;
  let typeAt = -1;
  let line = 0;
  const read = (text: string): void => {
    line++;
    if (text.startsWith("#")) {
      if (text.startsWith("#separator ")) separator = unescape(text.slice("#separator ".length));
      else if (text.startsWith("#fields")) {
        names = text.split(separator).slice(1);
        indicatorAt = names.indexOf("indicator");
        typeAt = names.indexOf("indicator_type");
        if (indicatorAt < 0 || typeAt < 0) {
          throw new FeedError(`Invalid Zeek intel header at line ${line}: got ${quote(names.join(" "))}, expected indicator and indicator_type columns`);
        }
      }
      return;
    }
    if (text.trim() === "") return;
    if (names === undefined) throw new FeedError(`Invalid Zeek intel file: data at line ${line} before a #fields header`);
    const cells = text.split(separator);
    if (cells.length !== names.length) {
      context.onSkip({ where: `line ${line}`, reason: `wrong column count: got ${cells.length}, expected ${names.length}` });
      return;
    }
    const zeekType = cells[typeAt] as string;
    const type = TYPES[zeekType];
    if (type === undefined) {
      context.onSkip({ where: `line ${line}`, reason: `unsupported indicator type: ${quote(zeekType)}` });
      return;
    }
    const classified = classifyValue(type, unset(cells[indicatorAt] as string));
    if (typeof classified === "string") {
      context.onSkip({ where: `line ${line}`, reason: classified });
      return;
    }
    const fields: [string, string][] = [];
    for (let c = 0; c < cells.length; c++) {
      if (c !== indicatorAt && c !== typeAt) fields.push([names[c] as string, unset(cells[c] as string)]);
    }
    if (classified.port !== undefined) fields.push(["port", classified.port]);
    emitEntry(context, { kind: classified.kind, value: classified.value, fields, category }, "line", line);
  };
  for await (const lines of lineBatches(input, config.limits)) {
    for (let i = 0; i < lines.length; i++) read(lines[i]!);
  }
}

function unset(value: string): string {
  return value === "-" || value === "(empty)" ? "" : value;
}

/** `#separator \x09` writes the separator as hex escapes. */
function unescape(value: string): string {
  return value.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
