/**
 * The event thread's memory of the values it has handed to the writer this generation:
 * (type code, value) → handle, keyed by a 64-bit hash of the value's characters, holding no
 * strings. It replaces a `Map<string, number>` per type: inside the service, with the index and
 * the event text competing for the caches, a Map hit cost 0.4–0.7 µs a value (bucket, entry, the
 * stored key's header and characters: one cache miss each; docs/performance.md); here a hit
 * reads one 16-byte slot.
 *
 * A key is two 32-bit lanes hashed in one pass over the characters. Two values that share both
 * lanes would make the second one count as a repeat of the first (it would not be stored that
 * day); at the memory's cap of 2^18 values the chance that any two do is about 2^36 / 2^65 = 2^-29
 * per generation. The writer keys its rows the same way (DayKeys, two 53-bit hashes).
 */

/** Ints per slot: lane a, lane b, handle + 1 (0: empty), unused (a slot is 16 bytes: four to a cache line). */
const SLOT = 4;
const INITIAL_SLOTS = 4096;

/**
 * @example
 * ```ts
 * const known = new KnownValues();
 * if (known.find(6, "evil.example") < 0) known.insertFound(42);
 * known.find(6, "evil.example"); // 42
 * ```
 */
export class KnownValues {
  #slots = new Int32Array(SLOT * INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #size = 0;
  /** The key of the last {@link find} and the empty slot it stopped at, for {@link insertFound}. */
  #a = 0;
  #b = 0;
  #free = -1;

  /** Values held. */
  get size(): number {
    return this.#size;
  }

  /**
   * The handle of (code, value), or -1 when it is not held; either way the key is kept for an
   * {@link insertFound} that follows.
   */
  find(code: number, value: string): number {
    let h1 = 0x9e3779b9 ^ code;
    let h2 = 0x85ebca6b ^ Math.imul(code, 0xcc9e2d51);
    // Two UTF-16 units a step (they fit 32 bits whole): half the multiplications on each lane's
    // dependency chain; the length goes in last, so "a" and "a\0" differ.
    const length = value.length;
    let i = 1;
    for (; i < length; i += 2) {
      const pair = value.charCodeAt(i - 1) | (value.charCodeAt(i) << 16);
      h1 = Math.imul(h1 ^ pair, 0x5bd1e995);
      h2 = Math.imul(h2 ^ pair, 0x27d4eb2f);
    }
    const last = (i === length ? value.charCodeAt(i - 1) : 0) ^ Math.imul(length, 0x9e3779b1);
    h1 = Math.imul(h1 ^ last, 0x5bd1e995);
    h2 = Math.imul(h2 ^ last, 0x27d4eb2f);
    // Each lane's final mix takes the other lane in, as cyrb53 does (indicator_diff.ts fingerprint).
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
    this.#a = h1;
    this.#b = h2;
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const o = i * SLOT;
      const handle = slots[o + 2]!;
      if (handle === 0) {
        this.#free = o;
        return -1;
      }
      if (slots[o] === h1 && slots[o + 1] === h2) return handle - 1;
    }
  }

  /** Holds the value the last {@link find} did not find, with `handle` (≥ 0). */
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

  /** Forgets every value; the table keeps its size (the next generation is likely as large). */
  clear(): void {
    this.#slots.fill(0);
    this.#size = 0;
    this.#free = -1;
  }

  #grow(): void {
    const old = this.#slots;
    const count = (this.#mask + 1) * 2;
    const slots = new Int32Array(SLOT * count);
    const mask = count - 1;
    for (let o = 0; o < old.length; o += SLOT) {
      if (old[o + 2] === 0) continue;
      let i = old[o]! & mask;
      while (slots[i * SLOT + 2] !== 0) i = (i + 1) & mask;
      slots.set(old.subarray(o, o + SLOT), i * SLOT);
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}
