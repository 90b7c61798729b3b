/**
 * The normalised detection record: every dialect the report reader understands (key=value,
 * KUMA, LEEF 1.0/2.0, CEF, the scanner's NDJSON sidecar, our own JSON) becomes this one shape.
 */

/** What kind of indicator matched, from the category suffix or, failing that, the value's shape. */
export type IndicatorType = "url" | "ip" | "md5" | "sha1" | "sha256" | "domain" | "unknown";

/** Which reader produced a record. */
export type ReportDialect = "kv" | "kuma" | "leef1" | "leef2" | "cef" | "sidecar" | "json";

/**
 * One detection. Plain data (JSON-ready): optional members are absent, never `undefined`
 * in serialised output.
 *
 * @example Usage
 * ```ts
 * import type { ReportRecord } from "./record.ts";
 * const r: ReportRecord = {
 *   category: "KL_Malicious_URL", indicator: "bad.example/*", indicatorType: "url",
 *   context: {}, actionable: {}, source: { url: "http://bad.example/a" },
 *   dialect: "kv", raw: "category=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a",
 * };
 * ```
 */
export interface ReportRecord {
  /** ISO 8601 in UTC when the event time could be read; otherwise the time text as found. */
  time?: string;
  /** `%Category%`, e.g. `KL_Malicious_URL`; empty when the line named none. */
  category: string;
  /** `%MatchedIndicator%`: the feed's own text (a URL mask keeps its `*`). */
  indicator: string;
  indicatorType: IndicatorType;
  feed?: string;
  /** `%Confidence%`, 1..100. */
  confidence?: number;
  /** The matched feed record's fields (`%RecordContext%`). */
  context: Record<string, string>;
  /** `%ActionableFields%`. */
  actionable: Record<string, string>;
  /** Values taken from the input event (`url=`, `ip=`, `src=`, `md5=` …); empty ones dropped. */
  source: Record<string, string>;
  /** Scanned log file and line that produced the detection (known from the sidecar). */
  file?: string;
  line?: number;
  /** The request line the scanner sent (sidecar only). */
  sent?: string;
  /** Log-source identifier or host in front of a LEEF/CEF header (`KL_Threat_Feed_Service_v2`). */
  logSource?: string;
  /** Where this record was read: `report.txt:12`, `<stdin>:3`. */
  origin?: string;
  /** A RetroScan detection (the line says `retroscan=true`): its event came before the indicator. */
  retroscan?: true;
  dialect: ReportDialect;
  /** The detection line as the service sent it. */
  raw: string;
}
