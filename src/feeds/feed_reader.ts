/**
 * The shape every per-format feed reader shares: input bytes or text in, indicator entries out,
 * skipped records reported through a callback.
 */
import type { FeedConfig } from "../config/types.ts";
import type { FeedEntry, FeedSkip } from "../matching/types.ts";

/** A whole feed as text, or its bytes as a stream (gzip is detected by its magic bytes). */
export type FeedInput = string | AsyncIterable<Uint8Array>;

/** What a reader reports to, and where it tells the caller it is. */
export interface FeedReadContext {
  /** Called once per record, line or object that yields no entry. */
  readonly onSkip: (skip: FeedSkip) => void;
  /** Where the entry just yielded came from, in FeedSkip's terms (`line 12`, `record 7`);
   *  set by the reader before each yield, so the caller can name it when the index rejects it. */
  where: string;
}

/**
 * A per-format reader. It streams: a line-based feed is never held whole, and a Kaspersky
 * JSON array is parsed one record at a time. Throws {@link FeedError} when the feed cannot be
 * read further; the entries already yielded stand.
 */
export type FeedReader = (
  input: FeedInput,
  config: FeedConfig,
  context: FeedReadContext,
) => AsyncIterable<FeedEntry>;
