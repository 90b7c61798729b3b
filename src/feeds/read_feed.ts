/** Picks the reader for a feed's configured format. */
import type { FeedConfig } from "./feed_config.ts";
import { FEED_FORMATS } from "./feed_formats.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext, FeedReader } from "./feed_reader.ts";
/**
 * Reads `input` with the reader for `config.format`, handing each entry to `context.onEntry`.
 *
 * @example
 * ```ts
 * await readFeed("192.0.2.1\n", { ...feed, format: "lines" }, { onSkip, onEntry: (e) => index.add(id, e) });
 * ```
 */
export function readFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const reader: FeedReader | undefined = FEED_FORMATS[config.format]?.read;
  if (reader === undefined) {
    throw new FeedError(`Unknown feed format: got ${JSON.stringify(config.format)}, expected one of ${Object.keys(FEED_FORMATS).join(", ")}`);
  }
  return reader(input, config, context);
}
