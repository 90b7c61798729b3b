/**
 * The shape every per-format feed reader shares: input bytes or text in, indicator entries handed
 * to a sink one by one, skipped records reported through a callback.
 */
import type { FeedConfig } from "./feed_config.ts";
import type { FeedEntry, FeedSkip } from "../matching/types.ts";

/** A whole feed as text, or its bytes as a stream (gzip is detected by its magic bytes). */
export type FeedInput = string | AsyncIterable<Uint8Array>;

/** Where a reader sends what it read. Both callbacks are called in source order. */
export interface FeedReadContext {
  /** Called once per record, line or object that yields no entry. */
  readonly onSkip: (skip: FeedSkip) => void;
  /**
   * Takes one entry (the loader indexes it at once); returns undefined when it was accepted,
   * else why not, which the reader reports through `onSkip` with the entry's position
   * (`line 12`, `record 7`). The entry is not kept: the index takes a compact copy.
   */
  readonly onEntry: (entry: FeedEntry) => string | undefined;
}

/**
 * A per-format reader. It streams: a line-based feed is never held whole, and a Kaspersky
 * JSON array is parsed one record at a time. Entries go to `context.onEntry` synchronously,
 * a decoded chunk at a time: a plain loop per entry rather than an async-iterator step (each
 * `for await` step cost ≈ 0.4 µs, over a second for Maltrail's 1.6 M trails; see
 * docs/performance.md). Reads no more than `config.limits` allow (file size, decompressed size,
 * record length). Resolves when the input is exhausted; rejects with {@link FeedError} when the
 * feed cannot be read further or reaches a limit, and the entries already handed over stand.
 */
export type FeedReader = (
  input: FeedInput,
  config: FeedConfig,
  context: FeedReadContext,
) => Promise<void>;
