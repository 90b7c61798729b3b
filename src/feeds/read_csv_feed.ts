/**
 * Reads CSV (RFC 4180 quoting) and TSV (no quoting) feeds: abuse.ch exports (ThreatFox,
 * URLhaus, Feodo Tracker), IPsum's `ip<TAB>count` and any home-made table.
 */
import type { FeedConfig, FeedField } from "./feed_config.ts";
import { classifyValue, quote } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { lineBatches } from "./_input.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

/** A quoted field may span lines (RFC 4180); past this many lines the quote is taken as stray. */
export const MAX_RECORD_LINES = 100;
/** Nor may a record still open grow past this many characters (a stray quote before megabyte lines). */
const MAX_RECORD_CHARS = 4 << 20;

const DEFAULT_FIELD: FeedField = { name: "1", type: "AUTO", category: "" };

interface Layout {
  readonly columns: number;
  readonly names: readonly string[];
  readonly indicators: readonly { readonly index: number; readonly field: FeedField; readonly category?: string }[];
}

/**
 * Hands over one entry per non-empty indicator cell. `config.fields` name the indicator columns by
 * header name or 1-based number (default: column 1, AUTO); every other column becomes a field
 * named by the header, else by `config.columns`, else `colN`. With `config.header`, the header is the first row, or a `#`
 * comment line right before it when that comment has as many columns as the row (ThreatFox and
 * URLhaus write `# id,dateadded,url,...`). Lines starting with `#` and blank lines are skipped;
 * a row with another column count than the header (or the first row) is skipped as `line N`.
 *
 * @example IPsum
 * ```ts
 * const config = { ...feed, format: "tsv", header: false, columns: ["ip", "score"], fields: [] };
 * await readCsvFeed("192.0.2.7\t3\n", config, { onSkip, onEntry }); // IP, fields [["score","3"]]
 * ```
 */
export async function readCsvFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const quoted = config.format !== "tsv";
  const delimiter = config.delimiter ?? (quoted ? "," : "\t");
  if (delimiter === "" || delimiter.includes('"')) {
    throw new FeedError(`Invalid delimiter for feed ${config.filename}: got ${quote(delimiter)}, expected a character other than a quote`);
  }
  const split = quoted ? (text: string) => parseCsvRow(text, delimiter) : (text: string) => text.split(delimiter);
  let layout: Layout | undefined;
  let lastComment: string | undefined;
  let pending: { text: string; line: number; lines: string[] } | undefined;

  /** A complete record: the header, or entries. */
  const record = (cells: string[], line: number): void => {
    if (layout === undefined) {
      if (config.header) {
        const fromComment = lastComment === undefined ? undefined : split(lastComment);
        if (fromComment !== undefined && fromComment.length >= 2 && fromComment.length === cells.length) {
          layout = plan(config, fromComment.map((name) => name.trim()));
        } else {
          layout = plan(config, cells.map((name) => name.trim()));
          return;
        }
      } else {
        layout = plan(config, undefined, cells.length);
      }
    }
    if (cells.length !== layout.columns) {
      context.onSkip({ where: `line ${line}`, reason: `wrong column count: got ${cells.length}, expected ${layout.columns}` });
      return;
    }
    let found = 0;
    for (const { index, field, category } of layout.indicators) {
      const raw = cells[index] as string;
      if (raw.trim() === "") continue;
      found++;
      const classified = classifyValue(field.type, raw);
      if (typeof classified === "string") {
        context.onSkip({ where: `line ${line}`, reason: `${layout.names[index]}: ${classified}` });
        continue;
      }
      const fields: [string, string][] = [];
      for (let c = 0; c < cells.length; c++) if (c !== index) fields.push([layout.names[c] as string, cells[c] as string]);
      if (classified.port !== undefined) fields.push(["port", classified.port]);
      emitEntry(context, { kind: classified.kind, value: classified.value, fields, category }, "line", line);
    }
    if (found === 0) {
      const names = layout.indicators.map((i) => layout!.names[i.index]).join(", ");
      context.onSkip({ where: `line ${line}`, reason: `empty indicator: nothing in column ${names}` });
    }
  };

  const take = (text: string, line: number): void => {
    if (pending !== undefined) {
      pending.lines.push(text);
      pending.text += `\n${text}`;
      // Only a quote can close the open field: without one, re-splitting the whole record
      // (quadratic in its length) cannot succeed.
      const cells = text.includes('"') ? split(pending.text) : undefined;
      if (cells !== undefined) {
        const start = pending.line;
        pending = undefined;
        record(cells, start);
      } else if (pending.lines.length >= MAX_RECORD_LINES) {
        giveUp("no closing quote within 100 lines");
      } else if (pending.text.length > MAX_RECORD_CHARS) {
        giveUp(`no closing quote within ${MAX_RECORD_CHARS} characters`);
      }
      return;
    }
    const trimmed = text.trim();
    if (trimmed === "") return;
    if (trimmed.startsWith("#")) {
      if (layout === undefined) lastComment = trimmed.slice(1).trim();
      return;
    }
    const cells = split(text);
    if (cells === undefined) pending = { text, line, lines: [text] };
    else record(cells, line);
  };
  // a stray quote: skip its line and read the lines it swallowed again
  const giveUp = (why: string): void => {
    const stray = pending!;
    pending = undefined;
    context.onSkip({ where: `line ${stray.line}`, reason: `unterminated quoted field: ${why}` });
    for (let i = 1; i < stray.lines.length; i++) take(stray.lines[i] as string, stray.line + i);
  };

  let lineNo = 0;
  for await (const lines of lineBatches(input, config.limits)) {
    for (let i = 0; i < lines.length; i++) take(lines[i]!, ++lineNo);
  }
  if (pending !== undefined) giveUp("input ends inside quotes");
}

/** A header cell for a one-line message: quoted when it holds a line break or is long (a header row may be a stray data row). */
function columnName(name: string): string {
  return name.length > 60 || /[\x00-\x1f",]/.test(name) ? quote(name) : name;
}

/** Resolves the indicator columns against the header (or the column count without one). */
function plan(config: FeedConfig, header: readonly string[] | undefined, count = header?.length ?? 0): Layout {
  if (header === undefined && config.columns !== undefined && config.columns.length > count) {
    throw new FeedError(`Too many column names for feed ${config.filename}: columns names ${config.columns.length}, its first row has ${count}`);
  }
  const names = header ?? Array.from({ length: count }, (_, i) => config.columns?.[i] ?? `col${i + 1}`);
  const fields = config.fields.length === 0 ? [DEFAULT_FIELD] : config.fields;
  const indicators = fields.map((field) => {
    let index = header === undefined && config.columns === undefined ? -1 : names.indexOf(field.name);
    if (index < 0 && /^\d+$/.test(field.name)) index = Number(field.name) - 1;
    if (index < 0 || index >= names.length) {
      const expected = header === undefined ? `a column number from 1 to ${names.length}` : `one of ${header.slice(0, 20).map(columnName).join(", ")}${header.length > 20 ? ", ..." : ""} or a column number`;
      throw new FeedError(`Unknown column in feed ${config.filename}: got ${quote(field.name)}, expected ${expected}`);
    }
    return { index, field, category: field.category === "" ? undefined : field.category };
  });
  return { columns: names.length, names, indicators };
}

/**
 * Splits one CSV record; undefined when a quoted field is still open at the end of `text`.
 * Lenient where exports are sloppy: spaces before an opening quote are skipped (ThreatFox
 * writes `"a", "b"`) and text between a closing quote and the delimiter is kept.
 */
function parseCsvRow(text: string, delimiter: string): string[] | undefined {
  const cells: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    let j = i;
    while (j < n && text.charCodeAt(j) === 32) j++;
    if (j < n && text.charCodeAt(j) === 34) {
      let value = "";
      let k = j + 1;
      for (;;) {
        const q = text.indexOf('"', k);
        if (q < 0) return undefined;
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(k, q + 1);
          k = q + 2;
          continue;
        }
        value += text.slice(k, q);
        k = q + 1;
        break;
      }
      const d = text.indexOf(delimiter, k);
      const end = d < 0 ? n : d;
      if (end > k) value += text.slice(k, end).trim();
      cells.push(value);
      if (d < 0) return cells;
      i = d + delimiter.length;
      continue;
    }
    const d = text.indexOf(delimiter, i);
    if (d < 0) {
      cells.push(text.slice(i));
      return cells;
    }
    cells.push(text.slice(i, d));
    i = d + delimiter.length;
  }
}
