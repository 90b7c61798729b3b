/**
 * The contract between the download engine (`RemoteFeeds`, src/feeds/remote_feeds.ts) and one
 * kind of remote source: a plain URL (`HttpFeedSource`), and later TAXII collections or a MISP
 * API. A source knows its protocol; the engine owns everything around it: the state file beside
 * the copy, retries with back-off, the temporary file, checking that the new bytes parse, the
 * atomic rename over the last good copy, redaction, status and alerts.
 *
 * A source is asked "what changed since `state`?" and answers with one of:
 * - `unchanged`: the copy in use is still current (HTTP 304, or nothing new in a collection);
 * - `changed`: it wrote the whole new feed to `request.target` and returns the state to keep;
 * - `failed`: why, said as "what failed: found X, expected Y", and whether trying again soon may
 *   help (`retryable`: a timeout, a 5xx, a reset connection; not a 404, a bad certificate or a
 *   body over the size limit).
 *
 * `state` is a flat string map the engine stores in the sidecar file and hands back on the next
 * fetch, also after a restart: an HTTP source keeps `etag` and `last_modified`; an incremental
 * source may keep a cursor (`added_after`) and merge what is new into `request.previous`, the
 * last good copy, when writing `target`. The engine starts from an empty state when there is no
 * copy on disk, or when the state file was written for another source.
 *
 * @example A source that serves a constant feed
 * ```ts
 * const source: FeedSource = {
 *   describe: "constant",
 *   secrets: [],
 *   async fetch(request) {
 *     if (request.state.version === "1") return { kind: "unchanged", state: request.state };
 *     await writeFile(request.target, "192.0.2.1\n");
 *     return { kind: "changed", bytes: 10, state: { version: "1" } };
 *   },
 * };
 * ```
 */

/** What a source remembers between fetches; persisted in the feed's state file. */
export type SourceState = Readonly<Record<string, string>>;

/** One fetch asked of a source. */
export interface FetchRequest {
  readonly state: SourceState;
  /** Where a `changed` answer writes the whole new feed (a temporary file beside the copy). */
  readonly target: string;
  /** The last good copy, when there is one (for sources that fetch only what is new). */
  readonly previous?: string;
}

/** Facts about the exchange, shown in /status: the last HTTP status and validators. */
export interface FetchFacts {
  readonly status?: number;
  readonly etag?: string;
  /** What a polled source left out of the copy, by reason (TAXII `revoked`, MISP `not to_ids`); shown in /status and the log. */
  readonly dropped?: Readonly<Record<string, number>>;
  /** How long the server asked us to wait before trying again (`Retry-After` of a 429 or 503), in ms. */
  readonly retryAfterMs?: number;
}

/** What a fetch found. */
export type FetchOutcome =
  | ({ readonly kind: "unchanged"; readonly state: SourceState } & FetchFacts)
  | ({ readonly kind: "changed"; readonly state: SourceState; readonly bytes: number } & FetchFacts)
  | ({ readonly kind: "failed"; readonly error: string; readonly retryable: boolean } & FetchFacts);

/** A remote source of one feed. */
export interface FeedSource {
  /** The source as logs and /status show it: credentials and secret query values already removed. */
  readonly describe: string;
  /** Strings that must never appear in a log, an alert or /status (header values, passwords). */
  readonly secrets: readonly string[];
  fetch(request: FetchRequest): Promise<FetchOutcome>;
}
