/**
 * Where a scan's report goes: `log_scanner_report<YYYYMMDD_HHMMSS>.txt` in OutputDir (local
 * time, like the rest of the report), its `.ndjson` sidecar beside it, or --output FILE. When a
 * name is taken (two scans started in the same second), the report writer moves both files on
 * to `…-2.txt`/`…-2.ndjson`, `-3`, … (see {@link numberedPaths}).
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

/** The file extension of each scan report format; the formats `scan --format` accepts are its keys. */
const EXTENSION = { text: ".txt", json: ".json", ndjson: ".ndjson" } as const;

/** A format of the scan's own report file (not `ioclens report`'s output formats, `ReportFormat`). */
export type ScanReportFormat = keyof typeof EXTENSION;

/** The names `scan --format` accepts, in the order its messages list them. */
export const SCAN_REPORT_FORMATS = Object.keys(EXTENSION) as ScanReportFormat[];

/**
 * @example
 * ```ts
 * reportPaths("/opt/ioclens/reports", undefined, "text", new Date(2026, 10, 28, 10, 15, 0));
 * // { report: "/opt/ioclens/reports/log_scanner_report20261128_101500.txt",
 * //   sidecar: "/opt/ioclens/reports/log_scanner_report20261128_101500.ndjson" }
 * ```
 */
export function reportPaths(outputDir: string, output: string | undefined, format: ScanReportFormat, startedAt: Date): ReportPaths {
  const report = output ?? join(outputDir, `log_scanner_report${reportTimestamp(startedAt)}${EXTENSION[format]}`);
  if (format !== "text") return { report };
  return { report, sidecar: `${splitExtension(report)[0]}.ndjson` };
}

/**
 * The `n`-th choice of names when the plain ones are taken: `-n` before each file's extension,
 * the report and its sidecar alike so that they stay a pair.
 *
 * @example
 * ```ts
 * numberedPaths({ report: "/r/log_scanner_report20261128_101500.txt", sidecar: "/r/log_scanner_report20261128_101500.ndjson" }, 2);
 * // { report: "/r/log_scanner_report20261128_101500-2.txt", sidecar: "/r/log_scanner_report20261128_101500-2.ndjson" }
 * ```
 */
export function numberedPaths(paths: ReportPaths, n: number): ReportPaths {
  const numbered = (path: string) => {
    const [stem, extension] = splitExtension(path);
    return `${stem}-${n}${extension}`;
  };
  return paths.sidecar === undefined ? { report: numbered(paths.report) } : { report: numbered(paths.report), sidecar: numbered(paths.sidecar) };
}

/** `["/r/x", ".txt"]` for `/r/x.txt`; `["/r/x", ""]` for a name without an extension. */
function splitExtension(path: string): [string, string] {
  const dot = path.lastIndexOf(".");
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return dot > slash ? [path.slice(0, dot), path.slice(dot)] : [path, ""];
}
