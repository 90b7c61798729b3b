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
  readonly filename: string;
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
  readonly line: number;
}

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
  readonly feeds: readonly FeedConfig[];
}
