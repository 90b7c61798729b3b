/**
 * The contract between feeds (which produce entries), the matching engine (which indexes and
 * looks them up) and events (which render what matched).
 */

/** Concrete kinds an indexed indicator has. An IP entry may be a CIDR range (`203.0.113.0/24`). */
export type IndicatorKind = "URL" | "DOMAIN" | "IP" | "MD5" | "SHA1" | "SHA256";

/** What a lookup may ask for: HASH picks MD5/SHA1/SHA256 by length (spec §4.3). */
export type LookupType = IndicatorKind | "HASH";

/** An ordered list of name/value pairs: a record's context, in source order. */
export type Fields = readonly (readonly [string, string])[];

/** One indicator a feed loader produced. Transient: the index keeps a compact copy. */
export interface FeedEntry {
  readonly kind: IndicatorKind;
  /** The feed's own text (URL masks keep their `*`); the index normalises it. */
  readonly value: string;
  /** Every other field of the record, nested objects flattened with `/`. */
  readonly fields: Fields;
  /** Category for this entry; undefined = the feed's configured category. */
  readonly category?: string;
}

/** Where and why a feed loader skipped a record. */
export interface FeedSkip {
  /** `line 12`, `record 7`, `byte 1024`. */
  readonly where: string;
  readonly reason: string;
}

/** Feed-level facts the index keeps once per feed. */
export interface FeedInfo {
  readonly name: string;
  readonly category: string;
  readonly confidence: number;
  readonly allowList: boolean;
  /** Epoch ms when the feed was loaded; with lifetime gives expiry. */
  readonly loadedAt: number;
  /** Minutes; 0 = never expires. */
  readonly indicatorLifetimeMinutes: number;
}

/** A hit, materialised only when something matched (no allocation on misses). */
export interface MatchedRecord {
  readonly feed: FeedInfo;
  readonly kind: IndicatorKind;
  readonly category: string;
  /** `%MatchedIndicator%`: the feed's own text. */
  readonly indicator: string;
  readonly fields: Fields;
}

/** What one lookup found. `records` excludes allow-list hits; `suppressed` counts how many
 *  detections an allow-list hit cancelled (then `records` is empty). A result stays valid after
 *  later lookups, but may be shared with them (a repeated hit can return the same object):
 *  read it, never modify it. */
export interface LookupResult {
  readonly records: readonly MatchedRecord[];
  readonly suppressed: number;
}

/** The write side of the index, used by feed loading. */
export interface IndexWriter {
  /** Registers a feed; returns its id for `add`. */
  addFeed(info: FeedInfo): number;
  /** Indexes one entry; returns undefined when accepted, or why it was rejected
   *  (e.g. `not an IPv4 or IPv6 address: "1.2.3"`), which the loader counts as a skip. */
  add(feedId: number, entry: FeedEntry): string | undefined;
}

/** The read side, used by the event pipeline and the REST lookup. */
export interface IndexReader {
  /** Every record `value` matches, as type `type`; `now` (epoch ms) drops expired indicators. */
  lookup(type: LookupType, value: string, now: number): LookupResult;
  /**
   * Optional: the same as `lookup(type, text.slice(start, end), now)` without making the slice
   * (the event path uses it when present; see `IndicatorIndex.lookupRange`).
   */
  lookupRange?(type: LookupType, text: string, start: number, end: number, now: number): LookupResult;
  /** Number of indicators indexed, per feed name. */
  counts(): ReadonlyMap<string, number>;
}
