/** Picks the reader for a feed's configured format. */
import type { FeedConfig } from "../config/types.ts";
import type { FeedFormat } from "../config/feed_formats.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext, FeedReader } from "./feed_reader.ts";
import { readCsvFeed } from "./read_csv_feed.ts";
import { readKasperskyFeed } from "./read_kaspersky_feed.ts";
import { readLinesFeed } from "./read_lines_feed.ts";
import { readMaltrailFeed } from "./read_maltrail_feed.ts";
import { readMispFeed } from "./read_misp_feed.ts";
import { readStixFeed } from "./read_stix_feed.ts";
import { readZeekFeed } from "./read_zeek_feed.ts";

/** A reader for every name of FEED_FORMATS (the `satisfies` fails the build when one is missing). */
const READERS = {
  kaspersky: readKasperskyFeed,
  lines: readLinesFeed,
  csv: readCsvFeed,
  tsv: readCsvFeed,
  maltrail: readMaltrailFeed,
  zeek: readZeekFeed,
  misp: readMispFeed,
  stix: readStixFeed,
} as const satisfies Record<FeedFormat, FeedReader>;

/**
 * Reads `input` with the reader for `config.format`, handing each entry to `context.onEntry`.
 *
 * @example
 * ```ts
 * await readFeed("192.0.2.1\n", { ...feed, format: "lines" }, { onSkip, onEntry: (e) => index.add(id, e) });
 * ```
 */
export function readFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const reader: FeedReader | undefined = READERS[config.format];
  if (reader === undefined) {
    throw new FeedError(`Unknown feed format: got ${JSON.stringify(config.format)}, expected one of ${Object.keys(READERS).join(", ")}`);
  }
  return reader(input, config, context);
}
