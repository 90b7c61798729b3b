/**
 * A record flattened to the one map of a sidecar detection's `fields` (src/report/sidecar.ts):
 * the general rule, for a line of any dialect parseReportLine reads.
 */
import { contextFieldName } from "../events/context_field_name.ts";
import { ACTIONABLE_PREFIX } from "./_build_record.ts";
import type { ReportRecord } from "./record.ts";

/**
 * Adds a field to `out`, renamed `record_<name>` (again while taken) when the name is already
 * there: the rule of both {@link recordFields} and the key=value fast path.
 *
 * @example
 * ```ts
 * const out = { category: "KL_IP_Reputation" };
 * putField(out, "category", "test"); // out.record_category === "test"
 * ```
 */
export function putField(out: Record<string, string>, name: string, value: string): void {
  out[Object.hasOwn(out, name) ? contextFieldName(name, (n) => Object.hasOwn(out, n)) : name] = value;
}

/**
 * The record's fields, the service's own first: `time`, `category`, `matchedIndicator`, `feed`,
 * `confidence`, then the source values, the record's context and the actionable fields
 * (`actionable.<name>`). A later field whose name is already in the map (a record's own
 * `category`, sent by a CyberTrace that writes it twice) is renamed by the service's rule,
 * `record_<name>`, so it can never replace the service's category.
 *
 * @example
 * ```ts
 * const parsed = parseReportLine("Feb 02 11:57:59 category=KL_IP_Reputation matchedIndicator=192.0.2.0 ip=192.0.2.0 category=test", { now: Date.now() });
 * if (parsed.kind === "detection") recordFields(parsed.record);
 * // { time: "…", category: "KL_IP_Reputation", matchedIndicator: "192.0.2.0", ip: "192.0.2.0", record_category: "test" }
 * ```
 */
export function recordFields(r: ReportRecord): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: string, value: string) => putField(out, name, value);
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
