/**
 * The event thread's memory of the values of one day it has handed to the writer (or holds in
 * the batch for it): (type code, value) → handle, and each value's events since the last flush
 * (count, first and last time), keyed by a 64-bit hash of the value's characters, holding no
 * strings. It replaces a `Map<string, number>` per type plus arrays indexed by handle: inside
 * the service, with the index and the event text competing for the caches, a Map hit cost
 * 0.4–0.7 µs a value (bucket, entry, the stored key's header and characters, then the handle's
 * counts: a cache miss each; docs/performance.md); here a repeat reads and writes one 16-byte slot
 * (and stores its time into a second array, without reading it, while events come in time order).
 *
 * A key is two 32-bit lanes hashed in one pass over the characters. Two values that share both
 * lanes would make the second one count as a repeat of the first (it would not be stored that
 * day); at 2^18 values the chance that any two do is about 2^36 / 2^65 = 2^-29. The writer keys
 * its rows the same way (DayKeys, two 53-bit hashes).
 */

/**
 * Ints per slot: lane a, lane b, handle + 1 (0: empty), events since the last flush: 16 bytes,
 * four to a cache line. Their first and last times are in a second array, two ints a slot: the
 * table probed for every value of every event is half as large as with them inside (less of the
 * caches taken from the index; measured in docs/performance.md, session 9).
 */
const SLOT = 4;
const INITIAL_SLOTS = 4096;
/** {@link KnownValues.takeCounts} walks the whole table, not its list, once at least one slot in this many is counted. */
const SCAN_ALL_BELOW = 16;

/**
 * @example
 * ```ts
 * const known = new KnownValues();
 * if (known.find(6, "evil.example") < 0) known.insertFound(42);
 * known.count(known.find(6, "evil.example"), 1_000); // true: the first count since the last take
 * const counts = new Float64Array(4);
 * known.takeCounts(counts, 0, dayStart); // 4: counts is [42, 1, dayStart + 1_000, dayStart + 1_000]
 * ```
 */
export class KnownValues {
  #slots = new Int32Array(SLOT * INITIAL_SLOTS);
  /** First and last time (ms into the day) of each slot's events since the last take. */
  #times = new Int32Array(2 * INITIAL_SLOTS);
  /** The latest time counted so far: a later one is every slot's latest, stored without a read. */
  #latest = -1;
  #mask = INITIAL_SLOTS - 1;
  #size = 0;
  /** Slot offsets with a count since the last {@link takeCounts}. */
  #counted = new Int32Array(1024);
  #countedN = 0;
  /** The key of the last {@link find} and the empty slot it stopped at, for {@link insertFound}. */
  #a = 0;
  #b = 0;
  #free = -1;

  /** Values held. */
  get size(): number {
    return this.#size;
  }

  /** Values with a count since the last {@link takeCounts}. */
  get counted(): number {
    return this.#countedN;
  }

  /**
   * The slot of (code, value) for {@link count}, or -1 when it is not held; either way the key is
   * kept for an {@link insertFound} that follows. The value is `text` from `start` to `end`: the
   * service passes the event and the value's place in it, since reading the characters of a value
   * sliced from the event makes it a string of its own (≈ 40 ns), which most values never need.
   */
  find(code: number, text: string, start = 0, end = text.length): number {
    let h1 = 0x9e3779b9 ^ code;
    let h2 = 0x85ebca6b ^ Math.imul(code, 0xcc9e2d51);
    // Two UTF-16 units a step (they fit 32 bits whole): half the multiplications on each lane's
    // dependency chain; the length goes in last, so "a" and "a\0" differ.
    const length = end - start;
    let i = start + 1;
    for (; i < end; i += 2) {
      const pair = text.charCodeAt(i - 1) | (text.charCodeAt(i) << 16);
      h1 = Math.imul(h1 ^ pair, 0x5bd1e995);
      h2 = Math.imul(h2 ^ pair, 0x27d4eb2f);
    }
    const last = (i === end ? text.charCodeAt(i - 1) : 0) ^ Math.imul(length, 0x9e3779b1);
    h1 = Math.imul(h1 ^ last, 0x5bd1e995);
    h2 = Math.imul(h2 ^ last, 0x27d4eb2f);
    // Each lane's final mix takes the other lane in, as cyrb53 does (indicator_diff.ts fingerprint).
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
    this.#a = h1;
    this.#b = h2;
    const slots = this.#slots;
    const mask = this.#mask;
    for (let s = h1 & mask; ; s = (s + 1) & mask) {
      const o = s * SLOT;
      if (slots[o + 2] === 0) {
        this.#free = o;
        return -1;
      }
      if (slots[o] === h1 && slots[o + 1] === h2) return o;
    }
  }

  /** Holds the value the last {@link find} did not find, with `handle` (≥ 0) and no count. */
  insertFound(handle: number): void {
    const o = this.#free;
    if (o < 0) throw new Error("KnownValues.insertFound without a find that missed");
    this.#free = -1;
    const slots = this.#slots;
    slots[o] = this.#a;
    slots[o + 1] = this.#b;
    slots[o + 2] = handle + 1;
    // At most half full: a miss ends after about 2.5 slots, a hit after 1.5 (linear probing).
    if (++this.#size * 2 > this.#mask + 1) this.#grow();
  }

  /** The handle of the value in slot `o` (from {@link find}). */
  handleAt(o: number): number {
    return this.#slots[o + 2]! - 1;
  }

  /**
   * One more event, `ms` into the day, of the value in slot `o` (from {@link find}). True when it
   * is the value's first since the last {@link takeCounts}.
   */
  count(o: number, ms: number): boolean {
    const slots = this.#slots;
    const times = this.#times;
    const t = o >>> 1;
    const n = slots[o + 3]!;
    slots[o + 3] = n + 1;
    const latest = ms >= this.#latest;
    if (latest) this.#latest = ms;
    if (n === 0) {
      times[t] = ms;
      times[t + 1] = ms;
      this.#noteCounted(o);
      return true;
    }
    // In time order (the service's case) `ms` is this value's last and not its first: two
    // stores, no read of a line the probe did not bring in.
    if (latest) times[t + 1] = ms;
    else {
      if (ms < times[t]!) times[t] = ms;
      if (ms > times[t + 1]!) times[t + 1] = ms;
    }
    return false;
  }

  /**
   * Writes (handle, count, firstAt, lastAt) into `out` from `at` for every value counted since the
   * last take, times as `dayStart` + ms, and starts every count over; returns where it stopped.
   * `out` must have room for {@link counted} × 4 numbers from `at`.
   */
  takeCounts(out: Float64Array, at: number, dayStart: number): number {
    const slots = this.#slots;
    let w = at;
    if (this.#countedN * SCAN_ALL_BELOW > this.#mask + 1) {
      // Most slots counted (a busy day's values recurring within a flush): one pass in memory
      // order reads the table at the prefetcher's pace; the counted list's order is random, a
      // cache miss per value (4.6% of the service's event thread on the adversarial corpus).
      for (let o = 0; o < slots.length; o += SLOT) if (slots[o + 3] !== 0) w = this.#takeCount(o, out, w, dayStart);
    } else {
      for (let c = 0; c < this.#countedN; c++) w = this.#takeCount(this.#counted[c]!, out, w, dayStart);
    }
    this.#countedN = 0;
    return w;
  }

  /** Writes slot `o`'s (handle, count, firstAt, lastAt) into `out` at `w` and starts its count over; returns `w` + 4. */
  #takeCount(o: number, out: Float64Array, w: number, dayStart: number): number {
    const slots = this.#slots;
    const times = this.#times;
    out[w] = slots[o + 2]! - 1;
    out[w + 1] = slots[o + 3]!;
    out[w + 2] = dayStart + times[o >>> 1]!;
    out[w + 3] = dayStart + times[(o >>> 1) + 1]!;
    slots[o + 3] = 0;
    return w + 4;
  }

  /** Forgets every value (take the counts first); the table keeps its size (the next day is likely as large). */
  clear(): void {
    this.#slots.fill(0);
    this.#latest = -1;
    this.#size = 0;
    this.#countedN = 0;
    this.#free = -1;
  }

  #noteCounted(o: number): void {
    if (this.#countedN === this.#counted.length) this.#counted = doubled(this.#counted);
    this.#counted[this.#countedN++] = o;
  }

  /** Twice the slots; the counted list is rebuilt, since every slot moves. */
  #grow(): void {
    const old = this.#slots;
    const oldTimes = this.#times;
    const count = (this.#mask + 1) * 2;
    const slots = new Int32Array(SLOT * count);
    const times = new Int32Array(2 * count);
    const mask = count - 1;
    this.#countedN = 0;
    for (let from = 0; from < old.length; from += SLOT) {
      if (old[from + 2] === 0) continue;
      let s = old[from]! & mask;
      while (slots[s * SLOT + 2] !== 0) s = (s + 1) & mask;
      const o = s * SLOT;
      for (let k = 0; k < SLOT; k++) slots[o + k] = old[from + k]!;
      times[o >>> 1] = oldTimes[from >>> 1]!;
      times[(o >>> 1) + 1] = oldTimes[(from >>> 1) + 1]!;
      if (old[from + 3] !== 0) this.#noteCounted(o);
    }
    this.#slots = slots;
    this.#times = times;
    this.#mask = mask;
  }
}

/** A copy of `array` in one twice its length (the rest zero). */
export function doubled<T extends Int32Array | Float64Array>(array: T): T {
  const grown = new (array.constructor as new (length: number) => T)(array.length * 2);
  grown.set(array as ArrayLike<number>);
  return grown;
}
