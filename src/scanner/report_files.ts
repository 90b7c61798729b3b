/**
 * Where a scan's report goes: `log_scanner_report<YYYYMMDD_HHMMSS>.txt` in OutputDir (local
 * time, like the rest of the report), its `.ndjson` sidecar beside it, or --output FILE.
 */
import { join } from "node:path";

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** `20261128_101500` for the given local time. */
export function reportTimestamp(date: Date): string {
  return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}_${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`;
}

export interface ReportPaths {
  /** The main report (text, json or ndjson by --format). */
  readonly report: string;
  /** The ndjson sidecar of a text report; undefined when the report is ndjson itself. */
  readonly sidecar?: string;
}

export type ReportFormat = "text" | "json" | "ndjson";

const EXTENSION: Readonly<Record<ReportFormat, string>> = { text: ".txt", json: ".json", ndjson: ".ndjson" };

/**
 * @example
 * ```ts
 * reportPaths("/opt/ioclens/reports", undefined, "text", new Date(2026, 10, 28, 10, 15, 0));
 * // { report: "/opt/ioclens/reports/log_scanner_report20261128_101500.txt",
 * //   sidecar: "/opt/ioclens/reports/log_scanner_report20261128_101500.ndjson" }
 * ```
 */
export function reportPaths(outputDir: string, output: string | undefined, format: ReportFormat, startedAt: Date): ReportPaths {
  const report = output ?? join(outputDir, `log_scanner_report${reportTimestamp(startedAt)}${EXTENSION[format]}`);
  if (format !== "text") return { report };
  const dot = report.lastIndexOf(".");
  const slash = Math.max(report.lastIndexOf("/"), report.lastIndexOf("\\"));
  const stem = dot > slash ? report.slice(0, dot) : report;
  return { report, sidecar: `${stem}.ndjson` };
}
