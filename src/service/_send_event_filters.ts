/**
 * `OutputSettings > SendEventFilters` (spec cybertrace-service.md §3.3): a detection is sent only
 * when its record's attribute satisfies the filters.
 *
 * Semantics where the docs are silent (documented in docs/protocol.md):
 * - attribute `ioc_supplier_context.<field>` and plain `<field>` both name a record field;
 *   `ioc_updated_timestamp` without such a field means the feed's load time; `ioc_category`,
 *   `ioc_supplier_name` and `ioc_confidence` name the hit's category, feed and confidence;
 * - filters on the same attribute are alternatives (OR), different attributes must all hold (AND);
 * - a record without the attribute fails the filter;
 * - `[a;b]` is an inclusive range; a bound is a number, a date `dd.MM.yyyy[ HH:mm[:ss]]` (UTC; a
 *   date-only upper bound covers its whole day), `%NOW%`, `%NOW%-N` or `%NOW%+N` (N days), or
 *   empty (open); any other value is compared as an exact string.
 */
import type { SendEventFilter } from "../config/types.ts";
import type { MatchedRecord } from "../matching/types.ts";

const DAY_MS = 86_400_000;

type Bound =
  | { readonly kind: "open" }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "date"; readonly value: number }
  | { readonly kind: "now"; readonly offsetMs: number };

type Test =
  | { readonly kind: "exact"; readonly value: string }
  | { readonly kind: "range"; readonly dates: boolean; readonly lo: Bound; readonly hi: Bound };

/** Filters grouped by attribute: every group must have one passing test. */
export type CompiledFilters = readonly { readonly attribute: string; readonly tests: readonly Test[] }[];

const DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/** Epoch ms of a `dd.MM.yyyy[ HH:mm[:ss]]` date (UTC); `endOfDay` moves a date-only value to its last ms. */
function parseDotDate(text: string, endOfDay: boolean): number | undefined {
  const m = DATE.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return endOfDay && m[4] === undefined ? ms + DAY_MS - 1 : ms;
}

/** A record's date field: `dd.MM.yyyy…`, ISO 8601, or epoch seconds / ms. */
function parseFieldDate(text: string): number | undefined {
  const t = text.trim();
  const dot = parseDotDate(t, false);
  if (dot !== undefined) return dot;
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? n * 1000 : n;
  }
  const iso = /^\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : Number.NaN;
  return Number.isNaN(iso) ? undefined : iso;
}

function parseBound(text: string, upper: boolean): Bound | undefined {
  const t = text.trim();
  if (t === "") return { kind: "open" };
  const now = /^%NOW%(?:\s*([+-])\s*(\d+(?:\.\d+)?))?$/i.exec(t);
  if (now !== null) {
    const days = now[2] === undefined ? 0 : Number(now[2]);
    return { kind: "now", offsetMs: (now[1] === "-" ? -days : days) * DAY_MS };
  }
  const date = parseDotDate(t, upper);
  if (date !== undefined) return { kind: "date", value: date };
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) return { kind: "number", value: Number(t) };
  return undefined;
}

function compileTest(value: string): Test {
  const m = /^\[([^;\]]*);([^;\]]*)\]$/.exec(value.trim());
  if (m !== null) {
    const lo = parseBound(m[1]!, false);
    const hi = parseBound(m[2]!, true);
    if (lo !== undefined && hi !== undefined) {
      const dates = lo.kind === "date" || lo.kind === "now" || hi.kind === "date" || hi.kind === "now";
      if (!(dates && (lo.kind === "number" || hi.kind === "number"))) return { kind: "range", dates, lo, hi };
    }
  }
  return { kind: "exact", value };
}

/** Groups and parses the configured filters once. */
export function compileSendEventFilters(filters: readonly SendEventFilter[]): CompiledFilters {
  const groups = new Map<string, Test[]>();
  for (const f of filters) {
    const tests = groups.get(f.attribute) ?? [];
    tests.push(compileTest(f.value));
    groups.set(f.attribute, tests);
  }
  return [...groups].map(([attribute, tests]) => ({ attribute, tests }));
}

function attributeValue(record: MatchedRecord, attribute: string): string | undefined {
  const name = attribute.startsWith("ioc_supplier_context.") ? attribute.slice(21) : attribute;
  for (const [n, v] of record.fields) if (n === name || n === attribute) return v;
  switch (attribute) {
    case "ioc_updated_timestamp":
      return String(record.feed.loadedAt);
    case "ioc_category":
      return record.category;
    case "ioc_supplier_name":
      return record.feed.name;
    case "ioc_confidence":
      return String(record.feed.confidence);
    default:
      return undefined;
  }
}

function boundValue(b: Bound, now: number): number {
  switch (b.kind) {
    case "open":
      return Number.NaN;
    case "now":
      return now + b.offsetMs;
    default:
      return b.value;
  }
}

function passes(test: Test, value: string, now: number): boolean {
  if (test.kind === "exact") return value === test.value;
  const v = test.dates ? parseFieldDate(value) : value.trim() === "" ? undefined : Number(value);
  if (v === undefined || Number.isNaN(v)) return false;
  const lo = boundValue(test.lo, now);
  const hi = boundValue(test.hi, now);
  return !(v < lo) && !(v > hi);
}

/** Whether `record` may be sent under `filters` at `now` (epoch ms). */
export function passesSendEventFilters(filters: CompiledFilters, record: MatchedRecord, now: number): boolean {
  for (let g = 0; g < filters.length; g++) {
    const group = filters[g]!;
    const value = attributeValue(record, group.attribute);
    if (value === undefined) return false;
    let ok = false;
    for (let t = 0; t < group.tests.length && !ok; t++) ok = passes(group.tests[t]!, value, now);
    if (!ok) return false;
  }
  return true;
}
