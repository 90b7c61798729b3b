/** CSV (RFC 4180) rows with a stable column set. */
import type { ReportRecord } from "./record.ts";

/** Column names, in order; `context`, `actionable` and `source` hold JSON objects. */
export const CSV_COLUMNS = [
  "time", "category", "indicator", "indicator_type", "feed", "confidence",
  "url", "ip", "md5", "sha1", "sha256", "file", "line", "origin", "context", "actionable", "source", "retroscan",
] as const;

/**
 * Text a spreadsheet would run as a formula when a cell starts with it (OWASP "CSV injection").
 * Detections carry attacker-controlled text (URLs, user agents), so such cells get a leading `'`.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Quotes a field when it holds a comma, quote, CR or LF (quotes inside are doubled), after
 * neutralising a leading formula character with `'`.
 */
export function csvField(s: string): string {
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * One CSV record ending in CRLF, columns as in `CSV_COLUMNS`.
 *
 * @example Usage
 * ```ts
 * import { CSV_COLUMNS, csvField, formatCsvRow } from "./format_csv.ts";
 * const text = CSV_COLUMNS.map(csvField).join(",") + "\r\n" + formatCsvRow(record);
 * ```
 */
export function formatCsvRow(r: ReportRecord): string {
  const s = r.source;
  const cells = [
    r.time ?? "", r.category, r.indicator, r.indicatorType, r.feed ?? "", r.confidence === undefined ? "" : String(r.confidence),
    s.url ?? "", s.ip ?? s.src ?? "", s.md5 ?? "", s.sha1 ?? "", s.sha256 ?? "", r.file ?? "", r.line === undefined ? "" : String(r.line),
    r.origin ?? "", JSON.stringify(r.context), JSON.stringify(r.actionable), JSON.stringify(r.source), r.retroscan ? "true" : "false",
  ];
  let out = "";
  for (let i = 0; i < cells.length; i++) out += (i === 0 ? "" : ",") + csvField(cells[i]!);
  return out + "\r\n";
}
