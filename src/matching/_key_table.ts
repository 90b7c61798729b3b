/**
 * A set of byte-string keys packed into one arena, found through an open-addressing table of
 * key ids. It replaces `Map<string, number>` for the millions of domains, URLs and hashes:
 * a JS string plus a Map entry costs about 60–80 bytes on top of the text, this costs the
 * text plus 13–16 bytes (offset, head, slot at load ≤ 0.75) — see docs/performance.md.
 *
 * Keys are hashed right to left (`hashStep` from the last byte to the first) so that a caller
 * walking a host name backwards gets the hash of every label-aligned suffix in one pass.
 */

import { PresenceFilter } from "./_presence_filter.ts";

/** FNV-1a offset basis: the hash of the empty key before `hashStep`s. */
export const HASH_SEED = 0x811c9dc5;

/** Folds one more byte (the next one to the LEFT) into a running key hash. */
export function hashStep(h: number, byte: number): number {
  return Math.imul(h ^ byte, 16777619);
}

/** The hash of `buf[start, end)`, folded right to left as the table expects. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = HASH_SEED;
  for (let i = end - 1; i >= start; i--) h = Math.imul(h ^ buf[i]!, 16777619);
  return h;
}

/** Keys per table: slot words keep the id + 1 in 24 bits and an 8-bit hash tag above. */
export const MAX_KEYS = 0xfffffe;
const ID_MASK = 0xffffff;
const TAG_MASK = 0xff000000 | 0;

function finish(h: number): number {
  // FNV's low bits are weak on short keys; one murmur finaliser round spreads them.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Byte-string keys → dense ids 0..size-1, each with one u32 payload (`heads`). */
export class KeyTable {
  arena: Uint8Array;
  private arenaLength = 0;
  /** Key `id` spans `arena[offsets[id], offsets[id + 1])`. */
  offsets: Uint32Array;
  /** One u32 per key for the owner (e.g. first entry id + 1, 0 = none). */
  heads: Uint32Array;
  size = 0;
  private slots: Uint32Array;
  private mask: number;
  /**
   * Each key's hash while loading, so growth does not hash every key again (rehashing was 6 %
   * of Maltrail's load); 4 bytes a key, dropped by `trim()`.
   */
  private loadHashes: Uint32Array | undefined = new Uint32Array(16);
  /** Built by `trim()`: lets most absent keys skip the slot array (a cache miss on a big table). */
  private filter: PresenceFilter | undefined;

  constructor(initialKeys = 16) {
    let cap = 16;
    while (cap * 3 < initialKeys * 4) cap *= 2;
    this.slots = new Uint32Array(cap);
    this.mask = cap - 1;
    this.arena = new Uint8Array(Math.max(64, initialKeys * 16));
    this.offsets = new Uint32Array(initialKeys + 1);
    this.heads = new Uint32Array(initialKeys);
  }

  /** Id of the key `buf[start, end)` whose right-to-left hash is `h`, or -1. */
  find(buf: Uint8Array, start: number, end: number, h: number): number {
    h = finish(h);
    if (this.filter !== undefined && !this.filter.mayHave(h)) return -1;
    const tag = h & TAG_MASK;
    const len = end - start;
    const slots = this.slots;
    const offsets = this.offsets;
    const arena = this.arena;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const s = slots[i]!;
      if (s === 0) return -1;
      // The tag (hash bits above the slot index) rejects most probes without touching the arena.
      if ((s & TAG_MASK) === tag) {
        const id = (s & ID_MASK) - 1;
        const ks = offsets[id]!;
        if (offsets[id + 1]! - ks === len) {
          let k = 0;
          while (k < len && arena[ks + k] === buf[start + k]) k++;
          if (k === len) return id;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** Id of the key `buf[start, end)`, adding it when new. */
  intern(buf: Uint8Array, start: number, end: number, h: number): number {
    const found = this.find(buf, start, end, h);
    if (found >= 0) return found;
    const id = this.size;
    if (id >= MAX_KEYS) throw new RangeError(`Too many distinct keys in one table: expected at most ${MAX_KEYS}`);
    const len = end - start;
    if (id + 2 > this.offsets.length) {
      const cap = Math.ceil(this.offsets.length * 1.5) + 16;
      this.offsets = grow32(this.offsets, cap + 1);
      this.heads = grow32(this.heads, cap);
    }
    if (this.arenaLength + len > this.arena.length) {
      const next = new Uint8Array(Math.max(this.arenaLength + len, Math.ceil(this.arena.length * 1.5)));
      next.set(this.arena.subarray(0, this.arenaLength));
      this.arena = next;
    }
    // A byte loop: keys are short, and a subarray view per key cost more than the copy.
    const arena = this.arena;
    let at = this.arenaLength;
    for (let i = start; i < end; i++) arena[at++] = buf[i]!;
    this.arenaLength = at;
    this.offsets[id + 1] = this.arenaLength;
    this.size = id + 1;
    if (this.loadHashes !== undefined) {
      if (id === this.loadHashes.length) this.loadHashes = grow32(this.loadHashes, Math.ceil(id * 1.5) + 16);
      this.loadHashes[id] = h;
    }
    // Load ≤ 0.75: tags keep long probe runs cheap, and slots are the biggest fixed cost.
    if (this.size * 4 > this.slots.length * 3) this.rehash(this.slots.length * 2);
    else this.place(id, h);
    return id;
  }

  /** Shrinks the arena and per-key arrays to their used length (after a bulk load). */
  trim(): void {
    const filter = new PresenceFilter(this.size);
    for (let id = 0; id < this.size; id++) {
      filter.add(finish(this.loadHashes !== undefined ? this.loadHashes[id]! : hashBytes(this.arena, this.offsets[id]!, this.offsets[id + 1]!)));
    }
    this.filter = filter;
    this.loadHashes = undefined;
    this.arena = this.arena.slice(0, this.arenaLength);
    this.offsets = this.offsets.slice(0, this.size + 1);
    this.heads = this.heads.slice(0, this.size);
  }

  /** Bytes held by the typed arrays (for the benchmark's per-structure figures). */
  byteSize(): number {
    return this.arena.byteLength + this.offsets.byteLength + this.heads.byteLength + this.slots.byteLength + (this.filter?.byteLength ?? 0);
  }

  private place(id: number, h: number): void {
    h = finish(h);
    this.filter?.add(h);
    const mask = this.mask;
    let i = h & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = (h & TAG_MASK) | (id + 1);
  }

  private rehash(capacity: number): void {
    this.slots = new Uint32Array(capacity);
    this.mask = capacity - 1;
    const hashes = this.loadHashes;
    for (let id = 0; id < this.size; id++) {
      this.place(id, hashes !== undefined ? hashes[id]! : hashBytes(this.arena, this.offsets[id]!, this.offsets[id + 1]!));
    }
  }
}

/** A copy of `a` with room for `length` elements. */
export function grow32(a: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(length);
  next.set(a.subarray(0, Math.min(a.length, length)));
  return next;
}
