/**
 * Stored values in columns, and their compact form for the trip to the writer thread: the
 * numbers of every value in one Float64Array (moved, not copied: its buffer goes in the transfer
 * list) and the strings in three joined strings (a flat string is copied whole, in one go).
 * Cloning an array of objects cost ~14 µs a value on the benchmark machine and the earlier one
 * string per value-with-all-fields ~5 µs (building it and splitting it again); columns cost a
 * `join` and a `split` per flush. Fields are separated by U+001F; that control character inside
 * a string becomes U+FFFD (it does not occur in the URLs, hosts, addresses and hashes the regexes
 * extract).
 */
import { STORED_TYPES, type StoredColumns, type StoredValue } from "./retro_store.ts";

/** Numbers per value in {@link StoredColumns.nums}: type code, day, count, firstAt, lastAt, rule index, event index. */
export const NUMS_PER_VALUE = 7;

/** {@link StoredColumns} as sent to the writer. */
export interface EncodedValues {
  readonly n: number;
  readonly nums: Float64Array;
  /** The values, joined. */
  readonly values: string;
  /** Per event: Source id, client, excerpt; joined. */
  readonly events: string;
  readonly eventCount: number;
  /** The regex names the values refer to by index; joined. */
  readonly rules: string;
  readonly ruleCount: number;
}

const SEP = "\u001f";

/** `text` with the field separator replaced (it cannot travel inside a field). */
export function clean(text: string): string {
  return text.includes(SEP) ? text.replaceAll(SEP, "\ufffd") : text;
}

function split(text: string, count: number, what: string): string[] {
  const parts = count === 0 ? [] : text.split(SEP);
  if (parts.length !== count) throw new TypeError(`RetroScan writer: the ${what} do not decode: found ${parts.length}, expected ${count}`);
  return parts;
}

/**
 * @example
 * ```ts
 * decodeValues(encodeValues(columns)); // the same columns
 * ```
 */
export function encodeValues(c: StoredColumns): EncodedValues {
  return { n: c.n, nums: c.nums, values: c.values.join(SEP), events: c.events.join(SEP), eventCount: c.events.length / 3, rules: c.rules.join(SEP), ruleCount: c.rules.length };
}

/** The columns of {@link encodeValues}; throws a TypeError on what it did not write. */
export function decodeValues(e: EncodedValues): StoredColumns {
  if (!(e.nums instanceof Float64Array) || e.nums.length < e.n * NUMS_PER_VALUE) throw new TypeError(`RetroScan writer: the numbers of ${e.n} values do not decode`);
  return { n: e.n, nums: e.nums, values: split(e.values, e.n, "values"), events: split(e.events, e.eventCount * 3, "event fields"), rules: split(e.rules, e.ruleCount, "regex names") };
}

/** Objects to columns (each value its own event), strings cleaned. */
export function toColumns(values: readonly StoredValue[]): StoredColumns {
  const nums = new Float64Array(values.length * NUMS_PER_VALUE);
  const rules = new Map<string, number>();
  const events: string[] = [];
  values.forEach((v, i) => {
    let rule = rules.get(v.rule);
    if (rule === undefined) rules.set(v.rule, (rule = rules.size));
    nums.set([STORED_TYPES.indexOf(v.type), v.day, v.count, v.firstAt, v.lastAt, rule, i], i * NUMS_PER_VALUE);
    events.push(clean(v.sourceId), clean(v.client), clean(v.excerpt));
  });
  return { n: values.length, nums, values: values.map((v) => clean(v.value)), events, rules: [...rules.keys()].map(clean) };
}

/** Columns to objects. */
export function fromColumns(c: StoredColumns): StoredValue[] {
  const out: StoredValue[] = [];
  for (let i = 0, o = 0; i < c.n; i++, o += NUMS_PER_VALUE) {
    const e = c.nums[o + 6]! * 3;
    out.push({ type: STORED_TYPES[c.nums[o]!]!, value: c.values[i]!, day: c.nums[o + 1]!, count: c.nums[o + 2]!, firstAt: c.nums[o + 3]!, lastAt: c.nums[o + 4]!, sourceId: c.events[e]!, rule: c.rules[c.nums[o + 5]!]!, client: c.events[e + 1]!, excerpt: c.events[e + 2]! });
  }
  return out;
}
