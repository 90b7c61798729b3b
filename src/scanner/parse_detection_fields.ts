/**
 * The `fields` of a sidecar detection record: the detection line as the service rendered it,
 * parsed once by the report reader's rules (key=value, KUMA, LEEF, CEF), flattened to one map.
 */
import { parseReportLine } from "../report/parse_report_line.ts";

/**
 * @example
 * ```ts
 * parseDetectionFields("Feb 02 11:57:59 category=KL_IP_Reputation matchedIndicator=192.0.2.0 ip=192.0.2.0 threat_score=75");
 * // { time: "…", category: "KL_IP_Reputation", matchedIndicator: "192.0.2.0", ip: "192.0.2.0", threat_score: "75" }
 * ```
 */
export function parseDetectionFields(text: string, now = Date.now()): Readonly<Record<string, string>> {
  const parsed = parseReportLine(text, { now });
  if (parsed.kind !== "detection") return {};
  const r = parsed.record;
  return {
    ...(r.time ? { time: r.time } : {}),
    category: r.category,
    matchedIndicator: r.indicator,
    ...(r.feed ? { feed: r.feed } : {}),
    ...(r.confidence !== undefined ? { confidence: String(r.confidence) } : {}),
    ...r.source,
    ...r.context,
    ...r.actionable,
  };
}
