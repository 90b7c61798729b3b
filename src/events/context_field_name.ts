/**
 * The renaming rule for a record field whose name is already a key of the line it is written
 * into (docs/configuration.md, "Field names that clash"): CyberTrace writes the field as it is,
 * so the demo IP reputation record gave `category=KL_IP_Reputation … category=test` and every
 * key=value reader kept one of the two.
 */

/** What a clashing field name is prefixed with, as often as it takes to be unique. */
export const CLASH_PREFIX = "record_";

/**
 * `name` if `taken(name)` is false, else `record_<name>`, `record_record_<name>`, … — the first
 * that is not taken.
 *
 * @example
 * ```ts
 * const keys = new Set(["eventName", "category"]);
 * contextFieldName("category", (n) => keys.has(n)); // "record_category"
 * contextFieldName("threat_score", (n) => keys.has(n)); // "threat_score"
 * ```
 */
export function contextFieldName(name: string, taken: (name: string) => boolean): string {
  let out = name;
  while (taken(out)) out = CLASH_PREFIX + out;
  return out;
}
