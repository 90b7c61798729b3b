/**
 * Tells whether each scan report read is whole. A scan report - the scanner's text report, its
 * sidecar, a `--format json` or `ndjson` report - ends with its summary: the three summary lines,
 * or a summary record. One that stops before it, or in the middle of its last line, was cut off
 * while being written (a full disk, a killed scanner, a copy taken too early); a summary record
 * with `partial` says the scan itself was interrupted. Counts taken from either cover only part
 * of a scan, and `report --summary` must not present them as the scan's.
 */
import type { ParsedLine } from "./parse_report_line.ts";

/** The scanner's report names (ours and CyberTrace's): such a file is a scan report even when empty. */
const SCAN_REPORT_NAME = /(?:^|[/\\])log_scanner_report[^/\\]*$/;

/** The text report's trailer, in order (src/report/summary_lines.ts). */
const TRAILER = ["objectsSent", "detectsReceived", "scanTimeMs"] as const;

/**
 * Follows one input at a time: `start`, then `line` for each of its lines, then `end`.
 *
 * @example
 * ```ts
 * const check = new ReportCompleteness();
 * check.start("log_scanner_report20261128_101500.txt");
 * check.line({ kind: "summary", fact: "objectsSent", value: 12 });
 * check.end(true); // "the report is truncated: it ends before its summary"
 * ```
 */
export class ReportCompleteness {
  #scanReport = false;
  #partial = false;
  /** The last meaningful lines of the input, newest last (at most three). */
  #tail: string[] = [];

  /** A new input begins; `name` is the path read (its name alone can make it a scan report). */
  start(name: string): void {
    this.#scanReport = SCAN_REPORT_NAME.test(name);
    this.#partial = false;
    this.#tail = [];
  }

  /** One line of the current input, as classified. */
  line(parsed: ParsedLine): void {
    let key: string;
    switch (parsed.kind) {
      case "empty":
      case "finished":
      case "alert":
        // Not results, and never the end of a report: they do not count.
        return;
      case "summary":
        this.#scanReport = true;
        key = parsed.fact;
        break;
      case "sidecarSummary":
        this.#scanReport = true;
        this.#partial ||= parsed.summary.partial;
        key = "sidecarSummary";
        break;
      case "detection":
        if (parsed.record.dialect === "sidecar") this.#scanReport = true;
        key = "detection";
        break;
      default:
        key = parsed.kind;
    }
    this.#tail.push(key);
    if (this.#tail.length > TRAILER.length) this.#tail.shift();
  }

  /**
   * The current input ended (`terminated`: its last byte was a line end). Returns what is wrong
   * with it as a scan report, or undefined when it is whole or no scan report at all.
   */
  end(terminated: boolean): string | undefined {
    if (!this.#scanReport) return undefined;
    if (!terminated) return "the report is truncated: its last line is cut off";
    const tail = this.#tail;
    const summed = tail.at(-1) === "sidecarSummary" || (tail.length === TRAILER.length && TRAILER.every((fact, i) => tail[i] === fact));
    if (!summed) return "the report is truncated: it ends before its summary";
    if (this.#partial) return "the scan was interrupted: its results are partial";
    return undefined;
  }
}
