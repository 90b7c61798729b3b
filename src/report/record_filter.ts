/** `--filter`, `--since` and `--until` as one predicate over records. */
import type { ReportRecord } from "./record.ts";
import { parseTimeOption, recordTimeMs } from "./_time.ts";

/**
 * Filter fields; `indicator` matches a substring, the others the whole value with `*` wildcards;
 * `retroscan` is `true` for RetroScan detections and `false` for the others.
 */
export const FILTER_KEYS = ["category", "type", "feed", "file", "indicator", "retroscan"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** One parsed `--filter key=value`. */
export interface FilterSpec {
  readonly key: FilterKey;
  readonly value: string;
}

/** Parses `key=value` (a bare value means `indicator=value`); throws a TypeError naming the problem. */
export function parseFilter(text: string): FilterSpec {
  const eq = text.indexOf("=");
  if (eq < 0) return { key: "indicator", value: text };
  const key = text.slice(0, eq).trim();
  if (!(FILTER_KEYS as readonly string[]).includes(key)) {
    throw new TypeError(`--filter field must be one of ${FILTER_KEYS.join(", ")}: got "${key}"`);
  }
  return { key: key as FilterKey, value: text.slice(eq + 1) };
}

/**
 * Parses the value of `--since` (inclusive) or `--until` (exclusive) into epoch ms; a bare date in
 * `--until` means through that day. Throws a TypeError naming the problem.
 */
export function parseTimeBound(option: "--since" | "--until", text: string): number {
  const t = parseTimeOption(text);
  if (t === undefined) throw new TypeError(`${option} must be an ISO date like 2024-04-15 or 2024-04-15T10:00:00Z: got "${text}"`);
  return option === "--until" && t.dateOnly ? t.ms + 86_400_000 : t.ms;
}

/** Time window in epoch ms: `since` inclusive, `until` exclusive. */
export interface TimeWindow {
  readonly since?: number;
  readonly until?: number;
}

/** Why a record was left out, for the counts on stderr. */
export type FilterVerdict = "keep" | "filtered" | "no-time";

/**
 * Builds the predicate: the same field given twice matches either value (OR); different fields
 * must all match (AND). With a time window, records without a readable time are left out.
 *
 * @example Usage
 * ```ts
 * import { createRecordFilter, parseFilter } from "./record_filter.ts";
 * const keep = createRecordFilter([parseFilter("category=KL_*_URL"), parseFilter("evil")], {});
 * keep(record); // "keep" | "filtered" | "no-time"
 * ```
 */
export function createRecordFilter(filters: readonly FilterSpec[], window: TimeWindow): (r: ReportRecord) => FilterVerdict {
  const byKey = new Map<FilterKey, ((s: string) => boolean)[]>();
  for (const f of filters) {
    const list = byKey.get(f.key) ?? [];
    list.push(f.key === "indicator" ? substring(f.value) : glob(f.value));
    byKey.set(f.key, list);
  }
  const groups = [...byKey];
  const timed = window.since !== undefined || window.until !== undefined;
  return (r) => {
    for (const [key, tests] of groups) {
      const v = valueOf(r, key);
      let any = false;
      for (const t of tests) if (t(v)) { any = true; break; }
      if (!any) return "filtered";
    }
    if (timed) {
      const ms = recordTimeMs(r.time);
      if (ms === undefined) return "no-time";
      if (window.since !== undefined && ms < window.since) return "filtered";
      if (window.until !== undefined && ms >= window.until) return "filtered";
    }
    return "keep";
  };
}

function valueOf(r: ReportRecord, key: FilterKey): string {
  switch (key) {
    case "category": return r.category;
    case "type": return r.indicatorType;
    case "feed": return r.feed ?? "";
    case "file": return r.file ?? "";
    case "indicator": return r.indicator;
    case "retroscan": return r.retroscan ? "true" : "false";
  }
}

function substring(needle: string): (s: string) => boolean {
  const n = needle.toLowerCase();
  return (s) => s.toLowerCase().includes(n);
}

/** Case-insensitive whole-value match where `*` stands for any run of characters. */
function glob(pattern: string): (s: string) => boolean {
  if (!pattern.includes("*")) {
    const p = pattern.toLowerCase();
    return (s) => s.toLowerCase() === p;
  }
  const re = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "is");
  return (s) => re.test(s);
}
