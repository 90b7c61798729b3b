/**
 * What the service config says about feeds, in the shape the readers take: the config parser
 * (src/config/) produces these, the readers here consume them. They live with the readers so
 * that feeds/ sits below config/ and the config can validate `format` against the one table of
 * readers (feed_formats.ts).
 */

import type { FeedFormat } from "./feed_formats.ts";

/** Concrete indicator kinds a feed field can hold. */
export type FeedFieldType = "URL" | "DOMAIN" | "IP" | "MD5" | "SHA1" | "SHA256" | "HASH" | "AUTO";

/** Which record field holds an indicator, and the category a hit on it gets. */
export interface FeedField {
  /** JSON path with `/` (`files/MD5`), CSV column name or 1-based number. */
  readonly name: string;
  readonly type: FeedFieldType;
  readonly category: string;
}

export interface ActionableField {
  readonly name: string;
  /** Empty means: keep `name`. */
  readonly outputName: string;
}

export interface FeedConfig {
  /** The feed file, relative to the bases directory; for a feed with `remote`, the local copy the download keeps there. */
  readonly filename: string;
  /** Ours: set when the feed is downloaded (`url=`); the copy is `filename`. */
  readonly remote?: RemoteFeedConfig;
  readonly enabled: boolean;
  /** 1..100, `%Confidence%`. */
  readonly confidence: number;
  readonly format: FeedFormat;
  /** Default category for entries whose field mapping gives none. */
  readonly category: string;
  /** Fields that hold indicators (from `<Field>` children or the feed registry). Empty: the format's default. */
  readonly fields: readonly FeedField[];
  readonly actionableFields: readonly ActionableField[];
  /** Hours; 0 = never; undefined = ServiceSettings > OutdatedBasesAlertPeriod. */
  readonly outdatedAlertPeriodHours?: number;
  /** Minutes; 0 = never expires. */
  readonly indicatorLifetimeMinutes: number;
  /** An allow-list (FalsePositive supplier): its matches suppress detections. */
  readonly allowList: boolean;
  /** CSV/TSV: does the first row name the columns. */
  readonly header: boolean;
  /** CSV/TSV: column separator (`,` or TAB by format; may be overridden). */
  readonly delimiter?: string;
  /** Ours: set when the Feed or its Feeds element names a limit; undefined = {@link DEFAULT_FEED_LIMITS}. */
  readonly limits?: FeedLimits;
  /** CSV/TSV without a header row (ours): names of the columns in order (`ip,score` for IPsum); the rest stay `colN`. */
  readonly columns?: readonly string[];
  /** The catalogue feed `source=` named (src/config/feed_catalogue.ts), if any. */
  readonly source?: string;
  readonly line: number;
}

/** Ours: where a downloaded feed comes from and how it is fetched (docs/feeds.md, "Feeds from a URL"). */
export interface RemoteFeedConfig {
  /** As configured: may hold credentials (`https://user:pw@…`, `?apikey=`), never shown as is. */
  readonly url: string;
  /** Minutes between downloads; undefined = the Feeds element's `update_frequency`. */
  readonly refreshMinutes?: number;
  /** Request headers (`<Header name="Authorization">…</Header>`); their values are never logged. */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  /** `http://host:port` of a proxy, or `none` to ignore HTTPS_PROXY/HTTP_PROXY; undefined = the environment's. */
  readonly proxy?: string;
  /** Absolute path of a PEM file of CA certificates to trust for this feed. */
  readonly caFile?: string;
  /** Seconds until the response head arrives. */
  readonly connectTimeoutSeconds: number;
  /** Seconds for the whole download. */
  readonly timeoutSeconds: number;
  /** Tries after the first when a download fails in a way that may pass (timeout, 5xx, reset). */
  readonly retries: number;
  /** The member of a zip body to use, when the archive holds more than one file. */
  readonly zipMember?: string;
  /** TAXII: the collection (id or title) to find when `url` is a discovery or API root URL. */
  readonly collection?: string;
}

/** Defaults of {@link RemoteFeedConfig}'s timeouts and retries. */
export const DEFAULT_REMOTE_FEED = { connectTimeoutSeconds: 30, timeoutSeconds: 600, retries: 2 } as const;

/**
 * Ours: how much of one feed file is read before the feed fails, so a sparse file or a gzip bomb
 * fails with a clear message instead of taking the memory (docs/configuration.md, Feeds).
 */
export interface FeedLimits {
  /** Bytes read from the file, before decompression. */
  readonly maxFileBytes: number;
  /** Bytes after decompression (for a plain file: its size again). */
  readonly maxDecompressedBytes: number;
  /**
   * Characters of one line (line-based formats) or one array element (Kaspersky JSON). MISP and
   * STIX documents are parsed whole and bounded by `maxDecompressedBytes` only.
   */
  readonly maxRecordLength: number;
}

/** Defaults of {@link FeedLimits}: 1 GiB read, 1 GiB decompressed, 4 Mi characters per record. */
export const DEFAULT_FEED_LIMITS: FeedLimits = { maxFileBytes: 2 ** 30, maxDecompressedBytes: 2 ** 30, maxRecordLength: 4 * 2 ** 20 };

/** The attribute of `Feeds` and `Feed` that sets each limit; error messages name it too. */
export const FEED_LIMIT_ATTRIBUTES: Readonly<Record<keyof FeedLimits, string>> = {
  maxFileBytes: "max_file_size",
  maxDecompressedBytes: "max_decompressed_size",
  maxRecordLength: "max_record_length",
};

export interface FeedsSettings {
  /** Undefined = unlimited. */
  readonly perScanDetectLimit?: number;
  /** Minutes; 0 = never. */
  readonly updateFrequencyMinutes: number;
  /** Path of a kl_feed_info.conf-style registry (feed name -> fields), if configured. */
  readonly registry?: string;
  /** Ours: the proxy of every downloaded feed that names none (`proxy=` on Feeds). */
  readonly proxy?: string;
  readonly feeds: readonly FeedConfig[];
}
