/**
 * Per-entry facts of the indicator index as u32 pairs in one array (no object per entry).
 * Everything entries share lives in an interned context — feed, kind, zone flag, category
 * and fields — since Maltrail's 1.6 M trails have only about 3,100 (family, group) pairs.
 * Feed texts are kept only for the entries whose text differs from the normalised key, in a
 * sparse side table found by binary search on a hit.
 */
import type { Fields } from "./types.ts";
import { grow32 } from "./_key_table.ts";

/** Context flag: a DOMAIN zone entry (`.xyz`) that matches names strictly under it. */
export const FLAG_ZONE = 8;
/** Context flag: a URL entry that is only a host, filed with the DOMAIN or IP keys. */
export const FLAG_EXACT_HOST = 16;
/** Bit of an entry's link word (`EntryStore.links[2 * id + 1]`) marking an entry that keeps its feed text. */
export const HAS_TEXT = 0x80000000;
/** The chain link bits of an entry's link word. */
export const NEXT_MASK = 0x7fffffff;
/** Low bits of the context flags: the entry's kind as an index into the kind names. */
export const KIND_MASK = 7;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Entries, contexts and texts. Entry ids are dense from 0; chains use id + 1, 0 = end. */
export class EntryStore {
  size = 0;
  /**
   * Per entry `id`: `[2 * id]` its context id, `[2 * id + 1]` its link word: the next entry id + 1
   * with the same key (0 = end of chain) in the low 31 bits, and HAS_TEXT. Side by side, a hit
   * reads both from one cache line (two arrays cost a second cache miss per hit).
   */
  links = new Uint32Array(32);

  private textEntry = new Uint32Array(16);
  private textOffsets = new Uint32Array(17);
  private textCount = 0;
  private textArena = new Uint8Array(1024);
  private textLength = 0;

  /** Per context: feed id, flags (kind | FLAG_ZONE), category (undefined = feed's), fields. */
  contextFeed = new Uint16Array(16);
  contextFlags = new Uint8Array(16);
  readonly contextCategory: (string | undefined)[] = [];
  readonly contextFields: Fields[] = [];
  private readonly contextIds = new Map<string, number>();
  private readonly pairs = new Map<string, Map<string, number>>();
  private readonly pairList: (readonly [string, string])[] = [];
  private last = -1;

  /** Appends an entry and returns its id. `text` is kept when given. */
  push(context: number, next: number, text: string | undefined): number {
    const id = this.size;
    if (2 * id === this.links.length) this.links = grow32(this.links, 2 * (Math.ceil(id * 1.5) + 16));
    this.links[2 * id] = context;
    this.links[2 * id + 1] = text === undefined ? next : (next | HAS_TEXT) >>> 0;
    this.size = id + 1;
    if (text !== undefined) this.addText(id, text);
    return id;
  }

  /** The feed text of entry `id`, or undefined when it equals the canonical key text. */
  textOf(id: number): string | undefined {
    // The flag spares the binary search for the ~90 % of entries without a text of their own.
    if ((this.links[2 * id + 1]! & HAS_TEXT) === 0) return undefined;
    let lo = 0;
    let hi = this.textCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.textEntry[mid]!;
      if (e === id) return decoder.decode(this.textArena.subarray(this.textOffsets[mid]!, this.textOffsets[mid + 1]!));
      if (e < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Id of the context with this content, shared by every entry with equal content. */
  internContext(feed: number, flags: number, category: string | undefined, fields: Fields): number {
    // Loaders emit runs of records with equal context (a Maltrail family), so compare with the
    // previous one before paying for a key string.
    const last = this.last;
    if (last >= 0 && this.contextFeed[last] === feed && this.contextFlags[last] === flags &&
      this.contextCategory[last] === category && sameFields(this.contextFields[last]!, fields)) {
      return last;
    }
    // Keyed by pair ids, not text: a short key for each of up to ~50 k contexts.
    let key = `${feed},${flags},${category === undefined ? "" : `${category.length}:${category}`}`;
    for (const [name, value] of fields) key += `,${this.pairId(name, value)}`;
    let id = this.contextIds.get(key);
    if (id === undefined) {
      id = this.contextCategory.length;
      if (id === this.contextFeed.length) {
        const feeds = new Uint16Array(id * 2);
        feeds.set(this.contextFeed);
        this.contextFeed = feeds;
        const fl = new Uint8Array(id * 2);
        fl.set(this.contextFlags);
        this.contextFlags = fl;
      }
      this.contextFeed[id] = feed;
      this.contextFlags[id] = flags;
      this.contextCategory.push(category === undefined ? undefined : detach(category));
      // A copy (the index must not change if the loader reuses its arrays) made of shared
      // pairs: Maltrail's ip_port trails give 47 k contexts that differ only in `ports`.
      this.contextFields.push(fields.map(([n, v]) => this.pairList[this.pairId(n, v)]!));
      this.contextIds.set(detach(key), id);
    }
    this.last = id;
    return id;
  }

  private pairId(name: string, value: string): number {
    // Two levels, so a lookup builds no key string (one add in six is a context miss).
    let byValue = this.pairs.get(name);
    if (byValue === undefined) {
      byValue = new Map();
      this.pairs.set(detach(name), byValue);
    }
    let id = byValue.get(value);
    if (id === undefined) {
      id = this.pairList.length;
      this.pairList.push([detach(name), detach(value)]);
      byValue.set(this.pairList[id]![1], id);
    }
    return id;
  }

  /** Shrinks every array to its used length (after a bulk load). */
  trim(): void {
    const n = this.size;
    this.links = this.links.slice(0, 2 * n);
    this.textEntry = this.textEntry.slice(0, this.textCount);
    this.textOffsets = this.textOffsets.slice(0, this.textCount + 1);
    this.textArena = this.textArena.slice(0, this.textLength);
  }

  /** Bytes held by the typed arrays. */
  byteSize(): number {
    return (
      this.links.byteLength + this.textEntry.byteLength + this.textOffsets.byteLength +
      this.textArena.byteLength + this.contextFeed.byteLength + this.contextFlags.byteLength
    );
  }

  private addText(id: number, s: string): void {
    const need = s.length * 3;
    if (this.textLength + need > this.textArena.length) {
      const next = new Uint8Array(Math.max(this.textLength + need, Math.ceil(this.textArena.length * 1.5)));
      next.set(this.textArena.subarray(0, this.textLength));
      this.textArena = next;
    }
    this.textLength += encoder.encodeInto(s, this.textArena.subarray(this.textLength)).written;
    const n = this.textCount;
    if (n + 2 > this.textOffsets.length) {
      const cap = Math.ceil(this.textOffsets.length * 1.5) + 16;
      this.textOffsets = grow32(this.textOffsets, cap);
      this.textEntry = grow32(this.textEntry, cap);
    }
    this.textEntry[n] = id;
    this.textOffsets[n + 1] = this.textLength;
    this.textCount = n + 1;
  }
}

/**
 * A copy of `s` that owns its characters. A loader's field is often a substring of a line that
 * is itself a substring of a decoded chunk (256 KiB); JSC substrings keep their base
 * alive, so keeping one such field kept a whole chunk (55 MB of 3,100 contexts, measured).
 */
function detach(s: string): string {
  return decoder.decode(encoder.encode(s));
}

function sameFields(a: Fields, b: Fields): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}
