/**
 * Stored values in columns, and their form for the trip to the writer thread: a flat object of
 * strings and numbers only. Measured on Bun 1.4.5 (2 × EPYC), per event of the benchmark corpus:
 * a message of a few flat strings is posted for ~0.02 µs (the strings are not copied), while any
 * nested object or typed array in it sends the whole message down the copying path, ~2–3 µs
 * (a transferred Float64Array no better); an array of objects ~14 µs a value. So the numbers of
 * every value travel as a string too: 15 bits per UTF-16 unit (no surrogates, so TextDecoder's
 * utf-16le takes the bytes as they are), {@link UNITS_PER_VALUE} units a value. Fields of the text columns are
 * separated by U+001F; that control character inside a string becomes U+FFFD (it does not occur
 * in the URLs, hosts, addresses and hashes the regexes extract).
 */
import { STORED_TYPES, type StoredColumns, type StoredValue } from "./retro_store.ts";

/**
 * Numbers per value in {@link StoredColumns.nums}: type code, day, count, firstAt, lastAt, rule
 * index, event index, handle (-1: none).
 */
export const NUMS_PER_VALUE = 8;
/** Numbers per count in {@link StoredColumns.counts}: handle, count, firstAt, lastAt. */
export const NUMS_PER_COUNT = 4;

/** {@link StoredColumns} as sent to the writer: flat, strings and numbers only. */
export interface EncodedValues {
  readonly n: number;
  /** {@link UNITS_PER_VALUE} 15-bit units per value: type code, rule index, event index (2), day (2), count (2), firstAt (3), lastAt (3), handle + 1 (3). */
  readonly nums: string;
  /** {@link UNITS_PER_COUNT} units per count of a value handed over before: handle (3), count (2), firstAt (3), lastAt (3). */
  readonly counts: string;
  readonly countCount: number;
  /** {@link StoredColumns.forgetBelow}. */
  readonly forgetBelow: number;
  /** {@link StoredColumns.producer}. */
  readonly producer: number;
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
const UNITS_PER_VALUE = 17;
const UNITS_PER_COUNT = 11;
const UNIT = 32768;
/** Largest number that fits 2 units; counts beyond are kept at it (a billion events of one value in one flush). */
const MAX_2 = UNIT * UNIT - 1;
const UNIT_2 = UNIT * UNIT;
const MAX_3 = UNIT * UNIT * UNIT - 1;
const utf16 = new TextDecoder("utf-16le");
const NO_COUNTS = new Float64Array(0);

/** `text` with the field separator replaced (it cannot travel inside a field). */
function clean(text: string): string {
  return text.includes(SEP) ? text.replaceAll(SEP, "\ufffd") : text;
}

/**
 * `parts` joined by the separator. Checking the joined text once (one `indexOf` per separator)
 * is cheaper than checking every part (measured: 0.5 µs an event for the excerpt and values); a
 * part that held one is cleaned and the whole joined again.
 */
function joined(parts: readonly string[]): string {
  const text = parts.join(SEP);
  let found = 0;
  for (let i = text.indexOf(SEP); i >= 0; i = text.indexOf(SEP, i + 1)) found++;
  return found === Math.max(0, parts.length - 1) ? text : parts.map(clean).join(SEP);
}

function split(text: string, count: number, what: string): string[] {
  const parts = count === 0 ? [] : text.split(SEP);
  if (parts.length !== count) throw new TypeError(`RetroScan writer: the ${what} do not decode: found ${parts.length}, expected ${count}`);
  return parts;
}

/** `value` (an integer, kept within 0..2^30 - 1) as 2 units, most significant first. */
function put2(units: Uint16Array, at: number, value: number): void {
  const v = value <= 0 ? 0 : value >= MAX_2 ? MAX_2 : value;
  units[at] = v >>> 15;
  units[at + 1] = v & 0x7fff;
}

/** `value` (an integer, kept within 0..2^45 - 1) as 3 units, most significant first (no loop: this runs for every count of a flush). */
function put3(units: Uint16Array, at: number, value: number): void {
  const v = value <= 0 ? 0 : value >= MAX_3 ? MAX_3 : value;
  const high = Math.floor(v / UNIT_2);
  const low = v - high * UNIT_2;
  units[at] = high;
  units[at + 1] = low >>> 15;
  units[at + 2] = low & 0x7fff;
}

function take(text: string, at: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) v = v * UNIT + text.charCodeAt(at + k);
  return v;
}

/**
 * @example
 * ```ts
 * decodeValues(encodeValues(columns)); // the same columns
 * ```
 */
export function encodeValues(c: StoredColumns): EncodedValues {
  const units = new Uint16Array(c.n * UNITS_PER_VALUE);
  const nums = c.nums;
  for (let i = 0, o = 0, u = 0; i < c.n; i++, o += NUMS_PER_VALUE, u += UNITS_PER_VALUE) {
    units[u] = nums[o]!;
    units[u + 1] = Math.min(nums[o + 5]!, UNIT - 1);
    put2(units, u + 2, nums[o + 6]!);
    put2(units, u + 4, nums[o + 1]!);
    put2(units, u + 6, nums[o + 2]!);
    put3(units, u + 8, nums[o + 3]!);
    put3(units, u + 11, nums[o + 4]!);
    put3(units, u + 14, nums[o + 7]! + 1);
  }
  const counts = c.counts ?? NO_COUNTS;
  const countCount = counts.length / NUMS_PER_COUNT;
  const countUnits = new Uint16Array(countCount * UNITS_PER_COUNT);
  for (let i = 0, o = 0, u = 0; i < countCount; i++, o += NUMS_PER_COUNT, u += UNITS_PER_COUNT) {
    put3(countUnits, u, counts[o]!);
    put2(countUnits, u + 3, counts[o + 1]!);
    put3(countUnits, u + 5, counts[o + 2]!);
    put3(countUnits, u + 8, counts[o + 3]!);
  }
  return {
    n: c.n,
    nums: utf16.decode(units),
    values: joined(c.values),
    events: joined(c.events),
    eventCount: c.events.length / 3,
    rules: joined(c.rules),
    ruleCount: c.rules.length,
    counts: countCount === 0 ? "" : utf16.decode(countUnits),
    countCount,
    forgetBelow: c.forgetBelow ?? 0,
    producer: c.producer ?? 0,
  };
}

/** The columns of {@link encodeValues}; throws a TypeError on what it did not write. */
export function decodeValues(e: EncodedValues): StoredColumns {
  if (typeof e.nums !== "string" || e.nums.length !== e.n * UNITS_PER_VALUE) throw new TypeError(`RetroScan writer: the numbers of ${e.n} values do not decode`);
  const text = e.nums;
  const nums = new Float64Array(e.n * NUMS_PER_VALUE);
  for (let i = 0, o = 0, u = 0; i < e.n; i++, o += NUMS_PER_VALUE, u += UNITS_PER_VALUE) {
    nums[o] = text.charCodeAt(u);
    nums[o + 5] = text.charCodeAt(u + 1);
    nums[o + 6] = take(text, u + 2, 2);
    nums[o + 1] = take(text, u + 4, 2);
    nums[o + 2] = take(text, u + 6, 2);
    nums[o + 3] = take(text, u + 8, 3);
    nums[o + 4] = take(text, u + 11, 3);
    nums[o + 7] = take(text, u + 14, 3) - 1;
  }
  if (typeof e.counts !== "string" || e.counts.length !== e.countCount * UNITS_PER_COUNT) throw new TypeError(`RetroScan writer: the ${e.countCount} counts do not decode`);
  const counts = new Float64Array(e.countCount * NUMS_PER_COUNT);
  for (let i = 0, o = 0, u = 0; i < e.countCount; i++, o += NUMS_PER_COUNT, u += UNITS_PER_COUNT) {
    counts[o] = take(e.counts, u, 3);
    counts[o + 1] = take(e.counts, u + 3, 2);
    counts[o + 2] = take(e.counts, u + 5, 3);
    counts[o + 3] = take(e.counts, u + 8, 3);
  }
  if (!Number.isInteger(e.producer) || e.producer < 0) throw new TypeError(`RetroScan writer: producer ${String(e.producer)} is not a thread number`);
  return { n: e.n, nums, counts, forgetBelow: e.forgetBelow, producer: e.producer, values: split(e.values, e.n, "values"), events: split(e.events, e.eventCount * 3, "event fields"), rules: split(e.rules, e.ruleCount, "regex names") };
}

/** Objects to columns (each value its own event). */
export function toColumns(values: readonly StoredValue[]): StoredColumns {
  const nums = new Float64Array(values.length * NUMS_PER_VALUE);
  const rules = new Map<string, number>();
  const events: string[] = [];
  values.forEach((v, i) => {
    let rule = rules.get(v.rule);
    if (rule === undefined) rules.set(v.rule, (rule = rules.size));
    nums.set([STORED_TYPES.indexOf(v.type), v.day, v.count, v.firstAt, v.lastAt, rule, i, -1], i * NUMS_PER_VALUE);
    events.push(v.sourceId, v.client, v.excerpt);
  });
  return { n: values.length, nums, values: values.map((v) => v.value), events, rules: [...rules.keys()] };
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
