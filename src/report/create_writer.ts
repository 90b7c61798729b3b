/**
 * Output formats for records. All stream: only `table` holds its first rows (to size the
 * columns) and `html`/`markdown` keep one counter per category for their summary.
 */
import { CSV_COLUMNS, csvField, formatCsvRow } from "./format_csv.ts";
import { formatCef } from "./format_cef.ts";
import { formatLeef } from "./format_leef.ts";
import { formatSyslog } from "./format_syslog.ts";
import type { ReportRecord } from "./record.ts";
import { HtmlWriter } from "./render_html.ts";
import { formatSummaryLines } from "./summary_lines.ts";
import type { Output } from "../io/output.ts";
import type { RecordWriter, RunFacts } from "./_writer.ts";

/** Every `--format` value. */
export const REPORT_FORMATS = ["table", "json", "ndjson", "csv", "cef", "leef", "leef2", "syslog", "markdown", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Settings some formats need. */
export interface WriterOptions {
  readonly hostname: string;
  readonly now: number;
  /** LEEF 2.0 attribute delimiter. */
  readonly leefDelimiter: string;
}

/**
 * The writer for `format`, printing to `out`.
 *
 * @example Usage
 * ```ts
 * import { createWriter } from "./create_writer.ts";
 * const w = createWriter("ndjson", out, { hostname: "h", now: Date.now(), leefDelimiter: "^" });
 * await w.write(record);
 * await w.end(facts);
 * ```
 */
export function createWriter(format: ReportFormat, out: Output, options: WriterOptions): RecordWriter {
  switch (format) {
    case "table": return new TableWriter(out);
    case "json": return new JsonWriter(out);
    case "ndjson": return lines(out, (r) => JSON.stringify(r), (text, where) => JSON.stringify({ raw: text, origin: where }));
    case "csv": return new CsvWriter(out);
    case "cef": return lines(out, formatCef);
    case "leef": return lines(out, (r) => formatLeef(r, { version: "1.0" }));
    case "leef2": return lines(out, (r) => formatLeef(r, { version: "2.0", delimiter: options.leefDelimiter }));
    case "syslog": return lines(out, (r) => formatSyslog(r, options));
    case "markdown": return new MarkdownWriter(out);
    case "html": return new HtmlWriter(out);
  }
}

/** One line per record; the line for a format, as `--send` uses it. */
export function lineFormatter(format: ReportFormat, options: WriterOptions): ((r: ReportRecord) => string) | undefined {
  switch (format) {
    case "json":
    case "ndjson": return (r) => JSON.stringify(r);
    case "cef": return formatCef;
    case "leef": return (r) => formatLeef(r, { version: "1.0" });
    case "leef2": return (r) => formatLeef(r, { version: "2.0", delimiter: options.leefDelimiter });
    case "syslog": return (r) => formatSyslog(r, options);
    default: return undefined;
  }
}

function lines(out: Output, fmt: (r: ReportRecord) => string, raw?: (text: string, where: string) => string): RecordWriter {
  return {
    write: (r) => out.write(fmt(r) + "\n"),
    raw: raw && ((text, where) => out.write(raw(text, where) + "\n")),
    end: () => out.flush(),
  };
}

class JsonWriter implements RecordWriter {
  #first = true;
  constructor(private readonly out: Output) {}
  #item(s: string): void | Promise<void> {
    const sep = this.#first ? "[\n" : ",\n";
    this.#first = false;
    return this.out.write(sep + s);
  }
  write(r: ReportRecord) { return this.#item(JSON.stringify(r)); }
  raw(text: string, where: string) { return this.#item(JSON.stringify({ raw: text, origin: where })); }
  end() {
    this.out.write(this.#first ? "[]\n" : "\n]\n");
    return this.out.flush();
  }
}

class CsvWriter implements RecordWriter {
  constructor(private readonly out: Output) {
    out.write(CSV_COLUMNS.map(csvField).join(",") + "\r\n");
  }
  write(r: ReportRecord) { return this.out.write(formatCsvRow(r)); }
  end() { return this.out.flush(); }
}

// Terminal output must not carry control characters from hostile indicators (escape sequences).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const TABLE_COLUMNS = [
  { title: "TIME", max: 19 }, { title: "CATEGORY", max: 40 }, { title: "TYPE", max: 7 },
  { title: "INDICATOR", max: 64 }, { title: "WHERE", max: 0 },
] as const;
const SIZE_FROM_ROWS = 200;

/** Aligned columns sized from the first 200 rows; later rows are cut to those widths. */
class TableWriter implements RecordWriter {
  #pending: string[][] = [];
  #widths: number[] | undefined;
  #count = 0;
  constructor(private readonly out: Output) {}

  write(r: ReportRecord) {
    this.#count++;
    const cells = tableCells(r);
    if (this.#widths !== undefined) return this.out.write(this.#row(cells));
    this.#pending.push(cells);
    if (this.#pending.length >= SIZE_FROM_ROWS) return this.#start();
  }

  #start() {
    const widths = TABLE_COLUMNS.map((c, i) => {
      let w = c.title.length;
      for (const row of this.#pending) w = Math.max(w, row[i]!.length);
      return c.max > 0 ? Math.min(w, c.max) : w;
    });
    this.#widths = widths;
    this.out.write(this.#row(TABLE_COLUMNS.map((c) => c.title)));
    for (const row of this.#pending) this.out.write(this.#row(row));
    this.#pending = [];
    return this.out.flush();
  }

  #row(cells: string[]): string {
    const widths = this.#widths!;
    let s = "";
    for (let i = 0; i < cells.length; i++) {
      const last = i === cells.length - 1;
      let c = cells[i]!;
      if (!last && c.length > widths[i]!) c = c.slice(0, widths[i]! - 1) + "…";
      s += last ? c : c.padEnd(widths[i]! + 2);
    }
    return s.trimEnd() + "\n";
  }

  end() {
    if (this.#count === 0) {
      this.out.write("No detections.\n");
      return this.out.flush();
    }
    if (this.#widths === undefined) this.#start();
    this.out.write(`\n${this.#count} ${this.#count === 1 ? "detection" : "detections"}\n`);
    return this.out.flush();
  }
}

function tableCells(r: ReportRecord): string[] {
  const time = r.time === undefined ? "-" : r.time.replace(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.\d{3}Z$/, "$1 $2");
  const where = r.file !== undefined ? `${r.file}${r.line === undefined ? "" : `:${r.line}`}` : r.origin ?? "-";
  return [time, r.category || "-", r.indicatorType, r.indicator || "-", where].map((c) => c.replace(CONTROL, "?"));
}

/** GitHub-flavoured Markdown: the detections table, then a summary. */
class MarkdownWriter implements RecordWriter {
  #started = false;
  constructor(private readonly out: Output) {
    out.write("# ioclens report\n\n");
  }
  write(r: ReportRecord) {
    if (!this.#started) {
      this.#started = true;
      this.out.write("| Time | Category | Type | Indicator | Feed | Where |\n|---|---|---|---|---|---|\n");
    }
    const where = r.file !== undefined ? `${r.file}${r.line === undefined ? "" : `:${r.line}`}` : r.origin ?? "";
    return this.out.write(`| ${[r.time ?? "", r.category, r.indicatorType, r.indicator, r.feed ?? "", where].map(mdCell).join(" | ")} |\n`);
  }
  end(facts: RunFacts) {
    if (!this.#started) this.out.write("No detections.\n");
    this.out.write("\n## Summary\n\n");
    if (facts.byCategory.size > 0) {
      this.out.write("| Category | Detections |\n|---|---:|\n");
      for (const [c, n] of [...facts.byCategory].sort((a, b) => b[1] - a[1])) this.out.write(`| ${mdCell(c)} | ${n} |\n`);
      this.out.write("\n");
    }
    this.out.write("```\n" + formatSummaryLines(facts.summary) + "\n```\n");
    return this.out.flush();
  }
}

function mdCell(s: string): string {
  return s.replace(CONTROL, " ").replace(/[\\`*_[\]<>|]/g, "\\$&");
}
