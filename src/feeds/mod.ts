/** Feed loading: per-format readers and the loader that fills the indicator index. */
export { FeedError } from "./feed_error.ts";
export type { FeedInput, FeedReadContext, FeedReader } from "./feed_reader.ts";
export { type FeedLoadReport, loadFeeds, type LoadFeedsDeps, MAX_WARNINGS } from "./load_feeds.ts";
export { type FeedRegistry, parseFeedRegistry } from "./parse_feed_registry.ts";
export { MAX_RECORD_LINES, readCsvFeed } from "./read_csv_feed.ts";
export { readFeed } from "./read_feed.ts";
export { ARRAY_JOINER, readKasperskyFeed } from "./read_kaspersky_feed.ts";
export { readLinesFeed } from "./read_lines_feed.ts";
export { readMaltrailFeed } from "./read_maltrail_feed.ts";
export { readMispFeed } from "./read_misp_feed.ts";
export { readStixFeed } from "./read_stix_feed.ts";
export { readZeekFeed } from "./read_zeek_feed.ts";
