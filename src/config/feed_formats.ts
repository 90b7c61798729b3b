/**
 * The feed formats a `<Feed format="…">` may name, in one table: the config validates against
 * its keys, `FeedFormat` is derived from them, and src/feeds/read_feed.ts must map every key to
 * a reader (the compiler checks it). Adding a format: its reader, one row here, one in READERS.
 */

/**
 * Each format, with the file extensions (lower case, after a `.gz` is dropped) that select it
 * when `format` is absent; a name with none of them is read as `lines`.
 *
 * @example
 * ```ts
 * Object.keys(FEED_FORMATS); // ["kaspersky", "lines", "csv", "tsv", "maltrail", "zeek", "misp", "stix"]
 * FEED_FORMATS.zeek.extensions; // ["intel"]
 * ```
 */
export const FEED_FORMATS = {
  /** A JSON array of Kaspersky records. */
  kaspersky: { extensions: ["json"] },
  lines: { extensions: [] },
  csv: { extensions: ["csv"] },
  tsv: { extensions: ["tsv"] },
  maltrail: { extensions: [] },
  zeek: { extensions: ["intel"] },
  misp: { extensions: [] },
  stix: { extensions: [] },
} as const satisfies Record<string, { readonly extensions: readonly string[] }>;

/** Formats a feed file can be in; `kaspersky` is a JSON array of records. */
export type FeedFormat = keyof typeof FEED_FORMATS;
