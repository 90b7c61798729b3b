/**
 * The typed, validated shape of both config files: the service's `kl_feed_service.conf`
 * dialect and the scanner's `log_scanner.conf`. Parsers in this folder produce these;
 * every other folder consumes them and never sees XML.
 */

import type { ValueEscape } from "../io/value_escapes.ts";
import type { FeedsSettings } from "../feeds/feed_config.ts";

export type { FeedFormat } from "../feeds/feed_formats.ts";
export {
  type ActionableField,
  DEFAULT_FEED_LIMITS,
  DEFAULT_REMOTE_FEED,
  type RemoteFeedConfig,
  FEED_LIMIT_ATTRIBUTES,
  type FeedConfig,
  type FeedField,
  type FeedFieldType,
  type FeedLimits,
  type FeedsSettings,
} from "../feeds/feed_config.ts";

/** Value kinds a regex can extract (spec cybertrace-service.md §3.2). */
export type RegexType = "URL" | "MD5" | "SHA1" | "SHA256" | "HASH" | "IP" | "DOMAIN" | "CONTEXT";

/** One `<NAME type= extract= concatenate=>REGEX</NAME>` element inside a Source. */
export interface RegexRule {
  readonly name: string;
  readonly pattern: string;
  readonly type: RegexType;
  readonly extract: "first" | "all";
  /** `#N` template joining capture groups; undefined when absent or empty. */
  readonly concatenate?: string;
  readonly useForRetroscan: boolean;
  /** Line in the config file, for error messages raised later (e.g. a regex that will not compile). */
  readonly line: number;
}

export interface ReplaceRule {
  readonly input: string;
  readonly output: string;
  readonly line: number;
}

export interface SourceProfile {
  readonly id: string;
  /** Peer IPs whose events use this profile (`ip=` attribute, comma or space separated). */
  readonly ips: readonly string[];
  /** Syslog host names whose events use this profile (`hostname=` attribute). */
  readonly hostnames: readonly string[];
  readonly replace: readonly ReplaceRule[];
  readonly ignore: readonly { readonly input: string; readonly line: number }[];
  readonly regexes: readonly RegexRule[];
}

export interface InputSettings {
  /** `host:port` (IPv4 or `[IPv6]:port`), a Unix socket path, or `\\.\pipe\name`. */
  readonly connectionString: string;
  readonly eventDelimiter?: string;
  /** Always holds a profile with id `default`. */
  readonly sources: readonly SourceProfile[];
}

export interface SendEventFilter {
  readonly attribute: string;
  readonly value: string;
}

export interface OutputSettings {
  readonly eventFormat: string;
  readonly recordFieldContextFormat: string;
  readonly actionableFieldContextFormat: string;
  /** Absent: no service alerts are emitted (spec §3.3). */
  readonly alertFormat?: string;
  /** Detection target; see docs/configuration.md for the accepted forms (tcp/udp/file). */
  readonly connectionString: string;
  readonly alertConnectionString?: { readonly enabled: boolean; readonly value: string };
  readonly finishedEventFormat: { readonly enabled: boolean; readonly value: string };
  readonly sendEventFilters: readonly SendEventFilter[];
  /** Ours: how many output lines may wait while the target is down. */
  readonly queueSize: number;
  /** Ours: how each format writes its placeholders' values (its `escape=` attribute); absent = `none`. */
  readonly escapes?: Readonly<Partial<Record<OutputFormatName, ValueEscape>>>;
  /**
   * Per template element (`EventFormat`), the placeholders that render empty without a warning:
   * the default regex names in a template the config left to its built-in default, which names
   * `%RE_DOMAIN%` whether or not the config's Source defines it. A default must not warn about
   * itself; the same placeholder written by the user still warns.
   */
  readonly quietPlaceholders?: Readonly<Record<string, readonly string[]>>;
}

/** The templates of OutputSettings, by the names `escapes` uses. */
export type OutputFormatName = "event" | "recordField" | "actionableField" | "alert" | "finished";

export interface ServiceSettings {
  readonly scannersCount: number;
  readonly threadsPerScanner: number;
  readonly eventSendingRetriesCount: number;
  readonly eventSendingRetriesTimeoutSeconds: number;
  readonly outdatedBasesAlertPeriodHours: number;
  readonly feedsRollbackEnabled: boolean;
  /** Directory feed filenames are relative to (already resolved to an absolute path). */
  readonly basesDir: string;
  readonly basesBackupDir?: string;
  readonly basesDownloadDir?: string;
  readonly temporaryDir?: string;
  /** Limits on event connections (docs/operations.md, "Limits"). */
  readonly connections: ConnectionLimits;
  /**
   * Ours: `ServiceSettings > Workers`, the threads that serve event connections on one shared
   * index (docs/operations.md, "Workers"); default the number of cores, 1 = no threads.
   */
  readonly workers: number;
  /** Ours: `ServiceSettings > RetroScan` when present (docs/retroscan.md); absent = off. */
  readonly retroScan?: RetroScanSettings;
}

/** `ServiceSettings > RetroScan`: which values `serve` keeps, where, how long, and how hits read. */
export interface RetroScanSettings {
  readonly enabled: boolean;
  /** The SQLite file (absolute). */
  readonly database: string;
  /** `storage_event_ttl`: days a stored value is kept (the current day counts as one). */
  readonly retentionDays: number;
  /** `storage_max_size`: bytes the database may use; the oldest days go first above it. */
  readonly maxBytes: number;
  /** Characters of the event kept with a value; 0 keeps none. */
  readonly excerptLength: number;
  /** `all` typed values, or only those of regexes marked `use_for_retroscan="true"`. */
  readonly values: "all" | "marked";
  /** Distinct values waiting to be written at most; more are dropped and counted. */
  readonly batchLimit: number;
  /** `key_memory`: bytes the writer may hold for the recent days' value keys; past it new values are dropped and counted. */
  readonly keyMemoryBytes: number;
  /** `RetroScanEventFormat`; undefined = EventFormat plus `retroscan=true event_time=%EventReceivedDate%`. */
  readonly eventFormat?: string;
}

/** Ours: `MaxConnections`, `IdleTimeout`, `StopDrainTimeout` and `ProxyProtocol` in ServiceSettings. */
export interface ConnectionLimits {
  /** Open event connections at most; more are refused at once. */
  readonly max: number;
  /** Seconds a connection may hold a scanner slot without sending while others wait; 0 = never closed. */
  readonly idleTimeoutSeconds: number;
  /** Seconds a stop waits for connections to finish their partial lines and unread answers. */
  readonly drainTimeoutSeconds: number;
  /**
   * Every event connection starts with a PROXY protocol header (v1 or v2, from a load balancer),
   * whose client address stands for the peer's; off: a connection that starts with one is closed.
   */
  readonly proxyProtocol: boolean;
}

/** Defaults of {@link ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { max: 1024, idleTimeoutSeconds: 30, drainTimeoutSeconds: 5, proxyProtocol: false };

/** Ours: the Hono status endpoint. */
export interface StatusSettings {
  readonly enabled: boolean;
  /** `host:port`; default 127.0.0.1:9997 (port 0 picks one). */
  readonly listen: string;
  /** `Authorization: Bearer` (or Basic with it as password); this or `basicAuth` is required
   *  when `listen` is not loopback. */
  readonly token?: string;
  /** HTTP Basic credentials, the way CyberTrace's REST API authenticates its clients. */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** HTTPS from PEM files (absolute paths); absent: plain HTTP. */
  readonly tls?: StatusTlsFiles;
  /** Bounds of the REST lookup; absent: the defaults of src/service/rest_lookups.ts. */
  readonly lookupLimits?: Partial<RestLookupLimits>;
}

/** `StatusEndpoint > MaxLookupObjects`, `MaxLookupBodySize`, `MaxConcurrentLookups`. */
export interface RestLookupLimits {
  /** Objects in one request; more is a 413. */
  readonly maxObjects: number;
  /** Bytes of one request body; more is a 413. */
  readonly maxBodyBytes: number;
  /** Requests looked up at once; more are answered 429. */
  readonly maxConcurrent: number;
}

/** `StatusEndpoint > CertificateFile` and `PrivateKeyFile`, and the lines that name them. */
export interface StatusTlsFiles {
  readonly certificateFile: string;
  readonly certificateLine: number;
  readonly privateKeyFile: string;
  readonly privateKeyLine: number;
}

export interface ServiceConfig {
  /** Where it came from: a path, or `<embedded>`. */
  readonly source: string;
  readonly input: InputSettings;
  readonly output: OutputSettings;
  readonly feeds: FeedsSettings;
  readonly service: ServiceSettings;
  readonly status: StatusSettings;
}

export interface ScannerConfig {
  readonly source: string;
  /** 0 = summary only. */
  readonly verbose: number;
  /** 1..64, default 8. */
  readonly threadsCount: number;
  /** Resolved against the binary's folder when relative (spec log-scanner.md §3). */
  readonly outputDir: string;
  readonly pattern: string;
  /** `Connection`: one address of the service, or (ours) several, comma-separated (replicas). */
  readonly connections: readonly string[];
  /** Seconds; default 15. */
  readonly connectionTimeoutSeconds: number;
}
