/**
 * The `fields` of a sidecar detection record: the detection line as the service rendered it,
 * parsed once by the report reader's rules (key=value, KUMA, LEEF, CEF), flattened to one map.
 */
import { contextFieldName } from "../events/context_field_name.ts";
import { parseReportLine } from "../report/parse_report_line.ts";

/** The prefix the sidecar reader (report/_build_record.ts) takes actionable fields by. */
const ACTIONABLE_PREFIX = "actionable.";

/**
 * Flattens the line into one map whose first keys are the service's own: `time`, `category`,
 * `matchedIndicator`, `feed`, `confidence`, then the source values, the record's context and
 * the actionable fields (`actionable.<name>`). A later field whose name is already in the map
 * (a record's own `category`, sent by a CyberTrace that writes it twice) is renamed by the
 * service's rule, `record_<name>`, so it can never replace the service's category.
 *
 * @example
 * ```ts
 * parseDetectionFields("Feb 02 11:57:59 category=KL_IP_Reputation matchedIndicator=192.0.2.0 ip=192.0.2.0 category=test");
 * // { time: "…", category: "KL_IP_Reputation", matchedIndicator: "192.0.2.0", ip: "192.0.2.0", record_category: "test" }
 * ```
 */
export function parseDetectionFields(text: string, now = Date.now()): Readonly<Record<string, string>> {
  const parsed = parseReportLine(text, { now });
  if (parsed.kind !== "detection") return {};
  const r = parsed.record;
  const out: Record<string, string> = {};
  const put = (name: string, value: string) => {
    out[contextFieldName(name, (n) => Object.hasOwn(out, n))] = value;
  };
  if (r.time) put("time", r.time);
  put("category", r.category);
  put("matchedIndicator", r.indicator);
  if (r.feed) put("feed", r.feed);
  if (r.confidence !== undefined) put("confidence", String(r.confidence));
  for (const [k, v] of Object.entries(r.source)) put(k, v);
  for (const [k, v] of Object.entries(r.context)) put(k, v);
  for (const [k, v] of Object.entries(r.actionable)) put(ACTIONABLE_PREFIX + k, v);
  return out;
}
