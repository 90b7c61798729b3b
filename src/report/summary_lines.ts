/**
 * The three summary lines of a Log Scanner report, worded byte for byte as in the seed report
 * example (log-scanner.md §5.3). The only place these strings live: correct them here once
 * someone runs the real binary.
 */

/** Line prefixes, each followed by the value. */
export const SUMMARY_WORDING = {
  objectsSent: "Total number of objects sent to KTFS: ",
  detectsReceived: "Total number of detects received from KTFS: ",
  scanTime: "Total scan time: ",
} as const;

/** The facts the summary reports. */
export interface SummaryFacts {
  readonly objectsSent: number;
  readonly detectsReceived: number;
  readonly scanTimeMs: number;
}

/**
 * Renders the three summary lines (no trailing newline on the last).
 *
 * @example Usage
 * ```ts
 * import { formatSummaryLines } from "./summary_lines.ts";
 * formatSummaryLines({ objectsSent: 2, detectsReceived: 1, scanTimeMs: 1237 });
 * // "Total number of objects sent to KTFS: 2\nTotal number of detects received from KTFS: 1\nTotal scan time: 00:00:01.237"
 * ```
 */
export function formatSummaryLines(facts: SummaryFacts): string {
  return [
    SUMMARY_WORDING.objectsSent + facts.objectsSent,
    SUMMARY_WORDING.detectsReceived + facts.detectsReceived,
    SUMMARY_WORDING.scanTime + formatScanTime(facts.scanTimeMs),
  ].join("\n");
}

/** `HH:MM:SS.mmm`; hours grow past two digits rather than wrap. */
export function formatScanTime(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${String(t % 1000).padStart(3, "0")}`;
}

/** Reads `HH:MM:SS.mmm` (milliseconds optional) back to milliseconds. */
export function parseScanTime(text: string): number | undefined {
  const m = /^(\d+):([0-5]\d):([0-5]\d)(?:\.(\d{1,3}))?$/.exec(text);
  if (!m) return undefined;
  return ((+m[1]! * 60 + +m[2]!) * 60 + +m[3]!) * 1000 + (m[4] ? +m[4].padEnd(3, "0") : 0);
}
