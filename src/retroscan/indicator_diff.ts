/**
 * Finds the indicators new since the last retro run while the feeds load: an index writer that
 * passes every entry on to the real index and keeps a 53-bit fingerprint of each one it accepted
 * (feed, kind, value, category), plus a copy of each entry whose fingerprint the last run did
 * not know. The fingerprints of a finished run become the next run's baseline (docs/retroscan.md).
 */
import type { FeedEntry, FeedInfo, IndexWriter } from "../matching/types.ts";

/** What one feed load added since the baseline. */
export interface IndicatorChanges {
  /** Every accepted entry's fingerprint, sorted: the next baseline. */
  readonly fingerprints: Float64Array;
  /** Entries not in the baseline, by feed; empty when there was no baseline (the first run). */
  readonly added: readonly { readonly feed: FeedInfo; readonly entries: readonly FeedEntry[] }[];
  /** Number of entries in `added`. */
  readonly count: number;
}

/**
 * 53 bits of a string (two 32-bit multiply-xorshift lanes, the scheme known as cyrb53): one
 * collision in about 10^15 pairs, so a changed indicator is missed with negligible chance.
 * A `seed` gives another hash of the same text (the writer's keys put the value type there).
 */
export function fingerprint(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ Math.imul(seed, 0x9e3779b1);
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Whether sorted `list` holds `x`. */
function holds(list: Float64Array, x: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = list[mid]!;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * Wraps `target` for one feed load; read {@link changes} when it is done.
 *
 * @example
 * ```ts
 * const diff = new IndicatorDiff(index, baseline);
 * await loadFeeds(config.feeds, { index: diff, openFeed, now });
 * diff.changes().added; // the entries the last run did not see
 * ```
 */
export class IndicatorDiff implements IndexWriter {
  readonly #target: IndexWriter;
  readonly #baseline: Float64Array | undefined;
  readonly #feeds: FeedInfo[] = [];
  readonly #added = new Map<number, FeedEntry[]>();
  #fingerprints = new Float64Array(1024);
  #size = 0;
  #count = 0;

  /** `baseline`: the sorted fingerprints of the last run; undefined when there was none. */
  constructor(target: IndexWriter, baseline: Float64Array | undefined) {
    this.#target = target;
    this.#baseline = baseline;
  }

  addFeed(info: FeedInfo): number {
    const id = this.#target.addFeed(info);
    this.#feeds[id] = info;
    return id;
  }

  add(feedId: number, entry: FeedEntry): string | undefined {
    const refused = this.#target.add(feedId, entry);
    if (refused !== undefined) return refused;
    const feed = this.#feeds[feedId]!;
    const category = entry.category ?? feed.category;
    const fp = fingerprint(`${feed.name}\0${entry.kind}\0${entry.value}\0${category}`);
    if (this.#size === this.#fingerprints.length) {
      const grown = new Float64Array(this.#size * 2);
      grown.set(this.#fingerprints);
      this.#fingerprints = grown;
    }
    this.#fingerprints[this.#size++] = fp;
    if (this.#baseline !== undefined && !holds(this.#baseline, fp)) {
      // Readers may reuse their entry objects; a new entry is rare, so it is copied.
      const copy: FeedEntry = { kind: entry.kind, value: entry.value, fields: entry.fields.map(([k, v]) => [k, v] as const), ...(entry.category === undefined ? {} : { category: entry.category }) };
      let list = this.#added.get(feedId);
      if (list === undefined) this.#added.set(feedId, (list = []));
      list.push(copy);
      this.#count++;
    }
    return undefined;
  }

  changes(): IndicatorChanges {
    const fingerprints = this.#fingerprints.slice(0, this.#size).sort();
    const added = [...this.#added].map(([id, entries]) => ({ feed: this.#feeds[id]!, entries }));
    return { fingerprints, added, count: this.#count };
  }
}
