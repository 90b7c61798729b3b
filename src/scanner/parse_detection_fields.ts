/**
 * The `fields` of a sidecar detection record: the detection line as the service rendered it,
 * parsed once by the report reader's rules (key=value, KUMA, LEEF, CEF), flattened to one map.
 */
import { kvDetectionFields } from "../report/kv_detection_fields.ts";
import { parseReportLine } from "../report/parse_report_line.ts";
import { recordFields } from "../report/record_fields.ts";

/**
 * Flattens the line into one map whose first keys are the service's own: `time`, `category`,
 * `matchedIndicator`, `feed`, `confidence`, then the source values, the record's context and
 * the actionable fields (`actionable.<name>`); a later field whose name is taken is renamed
 * `record_<name>` (`recordFields`). A plain key=value line (the service's default EventFormat)
 * takes `kvDetectionFields`, the same result in one pass without a record: it was most of the
 * report's CPU in `scan -r`. Every other line goes through `parseReportLine`.
 *
 * @example
 * ```ts
 * parseDetectionFields("Feb 02 11:57:59 category=KL_IP_Reputation matchedIndicator=192.0.2.0 ip=192.0.2.0 category=test");
 * // { time: "…", category: "KL_IP_Reputation", matchedIndicator: "192.0.2.0", ip: "192.0.2.0", record_category: "test" }
 * ```
 */
export function parseDetectionFields(text: string, now = Date.now()): Readonly<Record<string, string>> {
  const fast = kvDetectionFields(text, now);
  if (fast !== undefined) return fast;
  const parsed = parseReportLine(text, { now });
  return parsed.kind === "detection" ? recordFields(parsed.record) : {};
}
