/**
 * The feed formats a `<Feed format="…">` may name, in one table: each row is the format's
 * reader and the file extensions that select it. The config validates `format` against the
 * keys, `FeedFormat` is derived from them, and readFeed looks the reader up here. Adding a
 * format: its reader and one row.
 */

import type { FeedReader } from "./feed_reader.ts";
import { readCsvFeed } from "./read_csv_feed.ts";
import { readKasperskyFeed } from "./read_kaspersky_feed.ts";
import { readLinesFeed } from "./read_lines_feed.ts";
import { readMaltrailFeed } from "./read_maltrail_feed.ts";
import { readMispFeed } from "./read_misp_feed.ts";
import { readMispAttributesFeed } from "./read_misp_attributes_feed.ts";
import { readStixFeed } from "./read_stix_feed.ts";
import { readZeekFeed } from "./read_zeek_feed.ts";

/**
 * Each format's reader, with the file extensions (lower case, after a `.gz` is dropped) that
 * select it when `format` is absent; a name with none of them is read as `lines`.
 *
 * @example
 * ```ts
 * Object.keys(FEED_FORMATS); // ["kaspersky", "lines", "csv", "tsv", "maltrail", "zeek", "misp", "stix", "taxii", "misp-api", "misp-feed"]
 * FEED_FORMATS.zeek.extensions; // ["intel"]
 * ```
 */
export const FEED_FORMATS = {
  /** A JSON array of Kaspersky records. */
  kaspersky: { read: readKasperskyFeed, extensions: ["json"] },
  lines: { read: readLinesFeed, extensions: [] },
  csv: { read: readCsvFeed, extensions: ["csv"] },
  tsv: { read: readCsvFeed, extensions: ["tsv"] },
  maltrail: { read: readMaltrailFeed, extensions: [] },
  zeek: { read: readZeekFeed, extensions: ["intel"] },
  misp: { read: readMispFeed, extensions: [] },
  stix: { read: readStixFeed, extensions: [] },
  /** A TAXII 2.1 collection, kept as the STIX bundle of its current indicators. */
  taxii: { read: readStixFeed, extensions: [] },
  /** A MISP server's `/attributes/restSearch`, kept as the attributes it returned. */
  "misp-api": { read: readMispAttributesFeed, extensions: [] },
  /** A MISP feed (`manifest.json` and one file per event), kept as the attributes of its events. */
  "misp-feed": { read: readMispAttributesFeed, extensions: [] },
} as const satisfies Record<string, { readonly read: FeedReader; readonly extensions: readonly string[] }>;

/** Formats a feed file can be in; `kaspersky` is a JSON array of records. */
export type FeedFormat = keyof typeof FEED_FORMATS;
