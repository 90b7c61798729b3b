/**
 * The shapes the status endpoint serves: what `/status` returns, what `/metrics` is rendered
 * from, and what a REST lookup answers (spec cybertrace-service.md §7.4).
 */
import type { RetroScanStatus } from "../retroscan/retro_scan.ts";

import type { DownloadStatus } from "../feeds/remote_feeds.ts";

/** How one configured feed loaded. */
export interface FeedStatus {
  /** Feed file name, as configured. */
  readonly name: string;
  /** Indicators indexed from it. */
  readonly records: number;
  /** Records the loader could not use. */
  readonly skipped: number;
  /** Milliseconds the last load took. */
  readonly loadMs: number;
  /** When the file in use was last modified (ISO 8601), read as it was loaded; absent for the
   *  embedded demo feeds. */
  readonly fileTime?: string;
  /** When the contents in use were loaded (ISO 8601); absent while the feed never loaded. */
  readonly loadedAt?: string;
  /** Why the last load failed (the previous contents, if any, stay in use). */
  readonly error?: string;
  /** Ours: for a feed with `url`, how its downloads went (docs/feeds.md, "Feeds from a URL"). */
  readonly download?: DownloadStatus;
}

/** A snapshot of the running service, built on demand by whoever owns the counters. */
export interface ServiceStatus {
  /**
   * ServiceSettings > Workers above 1: each worker thread, the generation of feeds it serves,
   * whether it answered its last heartbeat, its open connections and the events it processed.
   */
  readonly workers?: readonly { readonly id: number; readonly generation: number; readonly responding: boolean; readonly open: number; readonly events: number; readonly outputInFlight: number }[];
  readonly version: string;
  readonly uptimeSeconds: number;
  /** Feeds are loaded: events are matched and REST lookups are answered (else 425). */
  readonly ready: boolean;
  /** Why the service is unhealthy although it may be ready (e.g. a failed self-probe);
   *  undefined when healthy. */
  readonly unhealthy?: string;
  readonly feeds: readonly FeedStatus[];
  /**
   * Event connections: being served, waiting for a free scanner, and the scanner limit:
   * ScannersCount minus `reservedForProbe`, the one scanner CyberTrace keeps free for the health
   * probe (spec §1), so ScannersCount 9 shows limit 8 and reservedForProbe 1; open in all, the
   * MaxConnections cap, refused above it, closed by the idle-slot timeout, and closed by the
   * PROXY protocol rule (ServiceSettings > ProxyProtocol: a header where none is allowed, or
   * none where one is required).
   */
  readonly connections: {
    readonly active: number;
    readonly waiting: number;
    readonly limit: number;
    readonly reservedForProbe?: number;
    readonly open?: number;
    readonly max?: number;
    readonly refused?: number;
    readonly idleClosed?: number;
    readonly proxyRefused?: number;
  };
  /** Input events since start: all, with a detection, with a detection an allow-list
   *  cancelled, dropped unprocessed, cut because they exceeded 64 KiB (spec §2.1), and over
   *  the per-event time limit of 1 s (a regex backtracking catastrophically). */
  readonly events: {
    readonly total: number;
    readonly detections: number;
    readonly suppressed: number;
    readonly dropped: number;
    readonly cut: number;
    readonly slow?: number;
  };
  /** Detection events sent, per category (`KL_Malicious_URL` → 12). */
  readonly detectionsByCategory: Readonly<Record<string, number>>;
  /** Input events per second averaged over the last 1, 5 and 15 minutes. */
  readonly eps: { readonly m1: number; readonly m5: number; readonly m15: number };
  /** The outbound detection connection (non-ReplyBack mode, spec §2.3). */
  readonly output: {
    /** `OutputSettings > ConnectionString`, as `127.0.0.1:9998`, `udp://…` or `file:PATH`. */
    readonly target?: string;
    readonly queueDepth: number;
    readonly queueLimit: number;
    readonly dropped: number;
    readonly sent: number;
    /** Whether the target takes lines: TCP connected, the last file write succeeded (always
     *  true for UDP); false too before the first line, when nothing has connected yet. */
    readonly connected?: boolean;
    /** Why the target is down (reconnects exhausted, or the file cannot be written). */
    readonly error?: string;
  };
  /** Times the supervisor restarted the worker. */
  readonly restarts: number;
  /** The last reload (SIGHUP, `POST /reload`, `update_frequency`): when it was asked for and how
   *  it ended; a refused reload keeps the previous feeds, so `feeds` still describes those.
   *  Absent until the first reload. */
  readonly lastReload?: { readonly at: string; readonly ok: boolean; readonly error?: string };
  /** The config file the service runs (`<embedded>` for the built-in one). */
  readonly config?: string;
  /** Where it listens: the event port and the status endpoint's URL. */
  readonly listen?: { readonly events: string; readonly status?: string };
  /** REST lookups, counted by the status endpoint (absent when it is off). */
  readonly restLookups?: RestLookupStats;
  /** RetroScan, when configured on (docs/retroscan.md). */
  readonly retroScan?: RetroScanStatus;
}

/** REST lookups since start, and the limits they run under. */
export interface RestLookupStats {
  /** Being looked up now. */
  readonly active: number;
  /** Requests answered 200, and the objects they held. */
  readonly answered: number;
  readonly objects: number;
  /** Refused with 413 (too many objects or bytes) and with 429 (too many at once). */
  readonly rejectedTooLarge: number;
  readonly rejectedBusy: number;
  readonly limits: { readonly maxObjects: number; readonly maxBodyBytes: number; readonly maxConcurrent: number };
}

/** One matched category of a REST lookup answer. */
export interface LookupCategory {
  readonly category: string;
  /** The feed's own text of the indicator that matched. */
  readonly detected_indicator: string;
  /** The matched record's fields. */
  readonly context: Readonly<Record<string, string>>;
}

/** The answer for one `{"object": ...}` of a REST lookup (spec §7.4; the `result` literals
 *  are ours, the real ones were not retrievable, §9 item 12). */
export interface LookupAnswer {
  /** The value as sent. */
  readonly object: string;
  readonly result: "detected" | "not detected";
  readonly categories: readonly LookupCategory[];
}
