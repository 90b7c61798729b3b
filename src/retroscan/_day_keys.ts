/**
 * The writer's memory of one day's stored values: (type, value) → row id, so a new value is a
 * plain append and a known one a count update by row id, with no unique index on the table
 * (measured: an upsert into a table with a unique (type, value, day) index cost 40–75 µs a row at
 * 1 M random hashes; an append 4–6 µs). Keys are 53-bit hashes in an open-addressing table of two
 * Float64Arrays (16 bytes a slot, at most half full: ~32 bytes a value; it holds no strings).
 * A hash can collide: the writer checks the value when it updates the row, and a value whose hash
 * another value holds is kept in a small exact map instead ({@link DayKeys.setExact}).
 */

import { fingerprint } from "./indicator_diff.ts";

const EMPTY = 0;
const TWO_32 = 4294967296;

/** 53 bits of (type code, value), never 0 (the empty slot). */
function hashOf(code: number, value: string): number {
  return fingerprint(value, code + 1) || 1;
}

/**
 * @example
 * ```ts
 * const keys = new DayKeys();
 * keys.set(6, "evil.example", 42);
 * keys.get(6, "evil.example"); // 42 (or the id of a colliding value: check it)
 * ```
 */
export class DayKeys {
  #keys = new Float64Array(1024);
  #ids = new Float64Array(1024);
  #mask = 1023;
  #size = 0;
  /** Values whose hash another value holds: `${code}\u001f${value}` → id. */
  readonly #exact = new Map<string, number>();

  get size(): number {
    return this.#size + this.#exact.size;
  }

  /** The row id of (code, value), or of a value with the same hash; 0 when none. */
  get(code: number, value: string): number {
    if (this.#exact.size > 0) {
      const id = this.#exact.get(`${code}\u001f${value}`);
      if (id !== undefined) return id;
    }
    const h = hashOf(code, value);
    const keys = this.#keys;
    for (let i = this.#slot(h); ; i = (i + 1) & this.#mask) {
      const k = keys[i]!;
      if (k === h) return this.#ids[i]!;
      if (k === EMPTY) return 0;
    }
  }

  /** Notes (code, value) at row `id`, replacing what its hash held. */
  set(code: number, value: string, id: number): void {
    this.#put(hashOf(code, value), id);
  }

  /** Notes (code, value) at row `id` by its exact text: its hash belongs to another value. */
  setExact(code: number, value: string, id: number): void {
    this.#exact.set(`${code}\u001f${value}`, id);
  }

  #slot(h: number): number {
    return ((h % TWO_32) ^ (h / TWO_32)) & this.#mask;
  }

  #put(h: number, id: number): void {
    const keys = this.#keys;
    for (let i = this.#slot(h); ; i = (i + 1) & this.#mask) {
      const k = keys[i]!;
      if (k === h) {
        this.#ids[i] = id;
        return;
      }
      if (k === EMPTY) {
        keys[i] = h;
        this.#ids[i] = id;
        if (++this.#size * 2 > keys.length) this.#grow();
        return;
      }
    }
  }

  #grow(): void {
    const keys = this.#keys;
    const ids = this.#ids;
    this.#keys = new Float64Array(keys.length * 2);
    this.#ids = new Float64Array(keys.length * 2);
    this.#mask = keys.length * 2 - 1;
    this.#size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) this.#put(keys[i]!, ids[i]!);
  }
}
