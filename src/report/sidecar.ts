/**
 * The scanner's structured sidecar: `log_scanner_reportYYYYMMDD_HHMMSS.ndjson` beside the text
 * report, one JSON object per line, detections first and one summary last. `ioclens report`
 * prefers it to the text report because key=value text is ambiguous when values hold spaces
 * (log-scanner.md §5.5 item 6).
 */

/** One detection line the service sent back for one request line. */
export interface SidecarDetection {
  readonly type: "detection";
  /** Scanned file, as given on the command line (`logs/a.log`). */
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  /** The request line the scanner sent. */
  readonly sent: string;
  /** The detection line exactly as the service rendered it (its `EventFormat`). */
  readonly text: string;
  /** Every field of `text` by name, as the scanner parsed it (`category`, `matchedIndicator`, `url`, context fields …). */
  readonly fields: Readonly<Record<string, string>>;
}

/** The last line: the three summary facts plus when the scan started and whether it finished. */
export interface SidecarSummary {
  readonly type: "summary";
  readonly objectsSent: number;
  readonly detectsReceived: number;
  readonly scanTimeMs: number;
  /** ISO 8601. */
  readonly startedAt: string;
  /** True when the scan was interrupted (SIGINT, lost connection) before all replies arrived. */
  readonly partial: boolean;
}

/**
 * Any line of a sidecar file.
 *
 * @example Writing one line
 * ```ts
 * import type { SidecarLine } from "./sidecar.ts";
 * const line: SidecarLine = { type: "summary", objectsSent: 2, detectsReceived: 1, scanTimeMs: 1237, startedAt: "2024-04-15T10:02:11.000Z", partial: false };
 * const text = JSON.stringify(line) + "\n";
 * ```
 */
export type SidecarLine = SidecarDetection | SidecarSummary;
