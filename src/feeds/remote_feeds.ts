/**
 * The download engine of feeds with a `url`: asks each feed's {@link FeedSource} what changed
 * since the state kept beside its copy, retries with back-off, parses a new download fully with
 * the feed's own reader, and only then renames it over the last good copy. On any failure the
 * last good copy stays, and the failure is logged once (feed, source without credentials, what
 * failed) and alerted as KL_ALERT_FailedToUpdateFeed. The service then loads the copies like
 * local feed files (docs/feeds.md, "Feeds from a URL").
 *
 * Files beside the copy `<Bases>/<filename>`:
 * - `<filename>.download`: the download in progress (removed when it fails);
 * - `<filename>.state.json`: the source's state (ETag, Last-Modified…), the source it was
 *   written for, and when the last download succeeded, so a restart still sends the validators
 *   and still knows the copy's age.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import type { FeedConfig, FeedsSettings } from "./feed_config.ts";
import { redactSecrets, shownUrl, urlSecrets } from "../io/redact_secrets.ts";
import type { FeedSource, FetchOutcome, SourceState } from "./feed_source.ts";
import { IndicatorIndex } from "../matching/indicator_index.ts";
import { loadFeeds, type FeedLoadReport } from "./load_feeds.ts";

/**
 * What the engine reads of the service config: the feeds, and the bases folder the copies live
 * in (a `DownloadSettings` is one; the config parser refuses `url` with the embedded bases).
 */
export interface DownloadSettings {
  readonly feeds: FeedsSettings;
  readonly service: { readonly basesDir: string };
}

/** Feeds downloaded at once in one refresh. */
const PARALLEL_DOWNLOADS = 4;
/** The longest `Retry-After` a refresh waits for before its next try; a longer one ends the refresh's tries. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** How a download went, as /status and /metrics show it (times ISO 8601). */
export interface DownloadStatus {
  /** The URL without credentials. */
  readonly source: string;
  readonly lastAttempt?: string;
  /** The last download that ended with a good copy: new bytes that parsed, or a 304. */
  readonly lastSuccess?: string;
  /** Seconds since `lastSuccess`, at the time of asking. */
  readonly ageSeconds?: number;
  /** HTTP status of the last answer (after redirects). */
  readonly httpStatus?: number;
  /** Bytes of the last body downloaded, and the indicators it held when it was parsed. */
  readonly bytes?: number;
  readonly records?: number;
  readonly etag?: string;
  /** SHA-256 of the copy in use (hex): a body with the same hash is not parsed again. */
  readonly sha256?: string;
  /** What the last download's source left out of the copy, by reason (TAXII, MISP). */
  readonly dropped?: Readonly<Record<string, number>>;
  /** Why the last attempt failed; absent when it succeeded. */
  readonly error?: string;
}

/** What one refresh of one feed did. */
export interface RefreshReport {
  readonly name: string;
  /** A new copy was put in place (or, with `staged`, is waiting for its load): the service should reload. */
  readonly changed: boolean;
  /** With `refresh(…, { stage: true })`: the new download, relative to the bases folder, to load instead of the copy. */
  readonly staged?: string;
  readonly error?: string;
}

/** What the engine needs from the world. */
export interface RemoteFeedsDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  log(level: "debug" | "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>): void;
  alert(name: string, fields: readonly (readonly [string, string])[]): void;
  /** The source of a feed with `remote` (throws when it cannot be made, e.g. an unreadable ca_file). */
  sourceFor(feed: FeedConfig, settings: FeedsSettings): Promise<FeedSource>;
  /** Reads `FeedsSettings.registry` when a Kaspersky download is checked without fields. */
  readRegistry?(path: string): Promise<string>;
  /** Milliseconds before retry `n` (1, 2, …); default 1 s, 4 s, 16 s… */
  backoffMs?(n: number): number;
}

/** A download that passed the fetch and waits for its check. */
interface Pending {
  readonly feed: FeedConfig;
  readonly copy: string;
  readonly source: FeedSource;
  readonly hasCopy: boolean;
  readonly state: SourceState;
  /** The status once it replaces the copy (records added then), and if it does not. */
  readonly status: DownloadStatus;
  readonly failed: DownloadStatus;
}

/** The sidecar `<copy>.state.json`. */
interface StateFile {
  readonly source: string;
  readonly state: SourceState;
  readonly lastSuccess?: string;
  readonly bytes?: number;
  readonly records?: number;
  readonly httpStatus?: number;
  readonly etag?: string;
  readonly sha256?: string;
}

/**
 * Keeps the downloaded feeds of a service: one refresh at a time, per-feed status in memory.
 *
 * @example
 * ```ts
 * const remote = new RemoteFeeds({ now: Date.now, sleep, log, alert, sourceFor });
 * const reports = await remote.refresh(config, "all"); // [{ name: "urlhaus.csv", changed: true }]
 * remote.status("urlhaus.csv"); // { source: "https://urlhaus.abuse.ch/…", httpStatus: 200, … }
 * ```
 */
export class RemoteFeeds {
  readonly #deps: RemoteFeedsDeps;
  readonly #status = new Map<string, DownloadStatus>();
  /** Epoch ms of the last attempt per feed, for `due`. */
  readonly #attempted = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();
  /** Downloads staged for the caller's load, by feed name, until {@link settle}. */
  readonly #staged = new Map<string, Pending>();

  constructor(deps: RemoteFeedsDeps) {
    this.#deps = deps;
  }

  /**
   * Downloads the enabled feeds of `config` that have a `url`: all of them, or those `due` (never
   * tried by this process under their current source, or tried longer ago than their `refresh`,
   * else `update_frequency`, minutes; 0 = only once). Resolves once each is done or failed.
   *
   * A new download is checked by parsing it into a scratch index, then renamed over the copy.
   * With `stage`, it is left as `<filename>.download` (the report's `staged`) for the caller to
   * load in place of the copy, and the caller hands the load's report to {@link settle}: the
   * service does this, so a new feed is parsed once, not twice.
   */
  refresh(config: DownloadSettings, which: "all" | "due", options: { readonly stage?: boolean } = {}): Promise<RefreshReport[]> {
    const run = this.#queue.then(() => this.#refreshAll(config, which, options.stage === true));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** A feed's download status, `ageSeconds` as of now; undefined for a feed without `url`. */
  status(name: string): DownloadStatus | undefined {
    const status = this.#status.get(name);
    if (status?.lastSuccess === undefined) return status;
    return { ...status, ageSeconds: Math.max(0, Math.round((this.#deps.now() - Date.parse(status.lastSuccess)) / 1000)) };
  }

  /**
   * Reads the state file of each enabled feed of `config` with a `url`, so status, age and
   * outdated checks know the copies on disk before anything is downloaded, and says per feed
   * what the service starts from. Downloads nothing.
   */
  async restore(config: DownloadSettings): Promise<void> {
    for (const feed of config.feeds.feeds) {
      if (!feed.enabled || feed.remote === undefined) continue;
      const copy = copyPath(config, feed);
      const source = shownUrl(feed.remote.url);
      const kept = await readStateFile(`${copy}.state.json`);
      if (!(await exists(copy))) {
        this.#status.set(feed.filename, { source });
        this.#deps.log("info", `feed ${feed.filename}: no copy on disk yet: downloading it from ${source}`);
        continue;
      }
      const status: DownloadStatus = kept?.source === source ? statusFrom(kept) : { source, ...(kept?.lastSuccess ? { lastSuccess: kept.lastSuccess } : {}) };
      this.#status.set(feed.filename, status);
      this.#deps.log("info", `feed ${feed.filename}: starting from the copy on disk${status.lastSuccess ? ` downloaded ${status.lastSuccess}` : ""}; refreshing it from ${source}`);
    }
  }

  /** The names of the enabled feeds of `config` with a `url` and no copy on disk yet. */
  async withoutCopy(config: DownloadSettings): Promise<string[]> {
    const names: string[] = [];
    for (const feed of config.feeds.feeds) {
      if (!feed.enabled || feed.remote === undefined) continue;
      if (!(await exists(copyPath(config, feed)))) names.push(feed.filename);
    }
    return names;
  }

  /** When the feed's last download succeeded (epoch ms), also from before a restart. */
  lastSuccess(name: string): number | undefined {
    const iso = this.#status.get(name)?.lastSuccess;
    return iso === undefined ? undefined : Date.parse(iso);
  }

  /** Up to {@link PARALLEL_DOWNLOADS} feeds at once, so one slow server does not hold back the rest; reports in config order. */
  async #refreshAll(config: DownloadSettings, which: "all" | "due", stage: boolean): Promise<RefreshReport[]> {
    const now = this.#deps.now();
    const due = config.feeds.feeds.filter((feed) => {
      if (!feed.enabled || feed.remote === undefined) return false;
      const minutes = feed.remote.refreshMinutes ?? config.feeds.updateFrequencyMinutes;
      const last = this.#attempted.get(attemptKey(feed));
      return which === "all" || last === undefined || (minutes > 0 && now - last >= minutes * 60_000);
    });
    const reports: RefreshReport[] = new Array(due.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < due.length; i = next++) {
        const feed = due[i]!;
        reports[i] = await this.#refreshOne(feed, config, stage).catch((error: unknown) =>
          // A file system error (the bases folder, the state file): the feed fails, the round goes on.
          this.#fail(feed, { source: shownUrl(feed.remote!.url), lastAttempt: new Date(this.#deps.now()).toISOString() }, urlSecrets(feed.remote!.url), describeError(error), true),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, due.length) }, worker));
    return reports;
  }

  async #refreshOne(feed: FeedConfig, config: DownloadSettings, stage: boolean): Promise<RefreshReport> {
    const deps = this.#deps;
    const name = feed.filename;
    const attempt = new Date(deps.now()).toISOString();
    this.#attempted.set(attemptKey(feed), deps.now());
    const shown = { source: shownUrl(feed.remote!.url), lastAttempt: attempt };
    const copy = copyPath(config, feed);
    let source: FeedSource;
    try {
      source = await deps.sourceFor(feed, config.feeds);
    } catch (error) {
      return this.#fail(feed, shown, urlSecrets(feed.remote!.url), (error as Error).message, await exists(copy));
    }
    const kept = await readStateFile(`${copy}.state.json`);
    const hasCopy = await exists(copy);
    // `filename="downloads/urlhaus.csv"`: the folder is made on the first download.
    if (!hasCopy) await mkdir(dirname(copy), { recursive: true });
    // The copy's age stays known when the URL changes; its validators belong to the old URL.
    const previous: DownloadStatus = kept?.source === source.describe ? statusFrom(kept) : { source: source.describe, ...(hasCopy && kept?.lastSuccess ? { lastSuccess: kept.lastSuccess } : {}) };
    const base: DownloadStatus = { ...previous, source: source.describe, lastAttempt: attempt };
    const state = hasCopy && kept?.source === source.describe ? kept.state : {};
    const target = `${copy}.download`;
    const outcome = await this.#fetchWithRetries(source, { state, target, ...(hasCopy ? { previous: copy } : {}) }, name, feed.remote!.retries);
    const facts = { ...(outcome.status === undefined ? {} : { httpStatus: outcome.status }), ...(outcome.etag === undefined ? {} : { etag: outcome.etag }) };
    if (outcome.kind === "failed") {
      await unlink(target).catch(() => {});
      return this.#fail(feed, { ...base, ...facts }, source.secrets, outcome.error, hasCopy);
    }
    const success = { ...base, ...facts, lastSuccess: attempt };
    // A server without validators sends the same body again: the same SHA-256 as the copy costs no parse and no reload.
    const sha256 = outcome.kind === "changed" ? await fileSha256(target) : undefined;
    if (outcome.kind === "unchanged" || (hasCopy && sha256 === previous.sha256)) {
      if (outcome.kind === "changed") await unlink(target).catch(() => {});
      await writeStateFile(`${copy}.state.json`, { ...fileFrom(success), state: outcome.state });
      this.#status.set(name, success);
      const how = outcome.kind === "unchanged" ? "not modified since the last download" : "downloaded again, the same bytes as the copy (SHA-256)";
      deps.log("info", `feed ${name}: ${how}`, { source: source.describe, status: outcome.status });
      return { name, changed: false };
    }
    const pending: Pending = { feed, copy, source, hasCopy, state: outcome.state, status: { ...success, bytes: outcome.bytes, ...(sha256 === undefined ? {} : { sha256 }), ...(outcome.dropped === undefined ? {} : { dropped: outcome.dropped }) }, failed: { ...base, ...facts, bytes: outcome.bytes } };
    if (stage) {
      this.#staged.set(name, pending);
      return { name, changed: true, staged: `${name}.download` };
    }
    return this.#settle(pending, await this.#check(feed, config.feeds, target));
  }

  /**
   * Ends a download that {@link refresh} staged: with the report of the service's load of the
   * staged file, the same rules as the engine's own check decide; the file then replaces the copy
   * or is removed (logged and alerted). Without a report (the load never ran), it is removed.
   */
  settle(name: string, report: FeedLoadReport | undefined, why = "the download was not loaded"): Promise<RefreshReport> {
    const pending = this.#staged.get(name);
    this.#staged.delete(name);
    if (pending === undefined) return Promise.resolve({ name, changed: false, error: `${name} has no staged download` });
    return this.#settle(pending, report, why);
  }

  async #settle(pending: Pending, report: FeedLoadReport | undefined, why = "the download was not checked"): Promise<RefreshReport> {
    const { feed, copy, source } = pending;
    const name = feed.filename;
    const target = `${copy}.download`;
    const problem = report === undefined ? why : downloadProblem(feed, report);
    if (problem !== undefined) {
      await unlink(target).catch(() => {});
      return this.#fail(feed, pending.failed, source.secrets, problem, pending.hasCopy);
    }
    const done = { ...pending.status, records: report!.loaded };
    try {
      await rename(target, copy);
      await writeStateFile(`${copy}.state.json`, { ...fileFrom(done), state: pending.state });
    } catch (error) {
      await unlink(target).catch(() => {});
      return this.#fail(feed, pending.failed, source.secrets, `cannot replace the copy ${copy}: ${describeError(error)}`, pending.hasCopy);
    }
    this.#status.set(name, done);
    this.#deps.log("info", `feed ${name}: downloaded`, { source: source.describe, bytes: done.bytes, records: done.records, ...(done.dropped === undefined ? {} : { dropped: done.dropped }) });
    return { name, changed: true };
  }

  async #fetchWithRetries(source: FeedSource, request: Parameters<FeedSource["fetch"]>[0], name: string, retries: number): Promise<FetchOutcome> {
    const deps = this.#deps;
    for (let n = 0; ; n++) {
      let outcome: FetchOutcome;
      try {
        outcome = await source.fetch(request);
      } catch (error) {
        outcome = { kind: "failed", error: (error as Error).message, retryable: true };
      }
      if (outcome.kind !== "failed" || !outcome.retryable || n >= retries) return outcome;
      const backoff = deps.backoffMs?.(n + 1) ?? 1000 * 4 ** n;
      if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > MAX_RETRY_AFTER_MS) {
        // Waiting hours inside one refresh would hold every other feed's refresh behind it.
        return { ...outcome, error: `${outcome.error} (the server asks to retry after ${Math.ceil(outcome.retryAfterMs / 1000)} s: left to the next refresh)` };
      }
      const wait = Math.max(backoff, outcome.retryAfterMs ?? 0);
      deps.log("warn", `feed ${name}: download failed, retry ${n + 1} in ${wait} ms: ${redactSecrets(outcome.error, source.secrets)}`, { source: source.describe });
      await deps.sleep(wait);
    }
  }

  /**
   * Parses the download with the feed's own reader into a scratch index (which rejects what the
   * real one would), dropped afterwards: fails on a FeedError, or when more records skip than load.
   */
  async #check(feed: FeedConfig, settings: FeedsSettings, target: string): Promise<FeedLoadReport | undefined> {
    const scratch = new IndicatorIndex();
    const [report] = await loadFeeds(
      { updateFrequencyMinutes: 0, ...(settings.registry === undefined ? {} : { registry: settings.registry }), feeds: [{ ...feed, enabled: true }] },
      {
        openFeed: async () => createReadStream(target) as AsyncIterable<Uint8Array>,
        index: scratch,
        now: this.#deps.now,
        ...(this.#deps.readRegistry ? { readRegistry: this.#deps.readRegistry } : {}),
      },
    );
    return report;
  }

  #fail(feed: FeedConfig, status: DownloadStatus, secrets: readonly string[], error: string, hasCopy: boolean): RefreshReport {
    const deps = this.#deps;
    const message = redactSecrets(error, secrets);
    const source = redactSecrets(status.source, secrets);
    this.#status.set(feed.filename, { ...status, source, error: message });
    const kept = hasCopy ? `the last good copy stays in use${status.lastSuccess ? ` (downloaded ${status.lastSuccess})` : ""}` : "no copy on disk: the feed is not loaded";
    deps.log("error", `feed ${feed.filename}: download from ${source} failed: ${message}; ${kept}`);
    deps.alert("KL_ALERT_FailedToUpdateFeed", [["feed", feed.filename], ["error", `download from ${source} failed: ${message}`]]);
    return { name: feed.filename, changed: false, error: message };
  }
}

function copyPath(config: DownloadSettings, feed: FeedConfig): string {
  return isAbsolute(feed.filename) ? feed.filename : join(config.service.basesDir, feed.filename);
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code !== undefined && e.message !== undefined && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : (e.message ?? String(error));
}

/** A feed counts as never tried again when its URL changes (a reload with a new config). */
function attemptKey(feed: FeedConfig): string {
  return `${feed.filename}\n${feed.remote?.url ?? ""}`;
}

/**
 * Why a loaded download may not replace the copy: the reader stopped (a limit, broken JSON, a
 * missing column), or more records skipped than loaded, which is what a login page or an error
 * text served with 200 reads as.
 */
function downloadProblem(feed: FeedConfig, report: FeedLoadReport): string | undefined {
  if (report.error !== undefined) return `the download does not read as ${feed.format}: ${report.error.startsWith(`${feed.filename}: `) ? report.error.slice(feed.filename.length + 2) : report.error}`;
  if (report.skipped > report.loaded) {
    return `the download is mostly not indicators: found ${report.loaded} records and ${report.skipped} skipped (first: ${report.warnings[0] ?? "?"}), expected more records than skips`;
  }
  return undefined;
}

function statusFrom(file: StateFile): DownloadStatus {
  return {
    source: file.source,
    ...(file.lastSuccess === undefined ? {} : { lastSuccess: file.lastSuccess }),
    ...(file.bytes === undefined ? {} : { bytes: file.bytes }),
    ...(file.records === undefined ? {} : { records: file.records }),
    ...(file.httpStatus === undefined ? {} : { httpStatus: file.httpStatus }),
    ...(file.etag === undefined ? {} : { etag: file.etag }),
    ...(file.sha256 === undefined ? {} : { sha256: file.sha256 }),
  };
}

function fileFrom(status: DownloadStatus): Omit<StateFile, "state"> {
  const { source, lastSuccess, bytes, records, httpStatus, etag, sha256 } = status;
  return {
    source,
    ...(lastSuccess === undefined ? {} : { lastSuccess }),
    ...(bytes === undefined ? {} : { bytes }),
    ...(records === undefined ? {} : { records }),
    ...(httpStatus === undefined ? {} : { httpStatus }),
    ...(etag === undefined ? {} : { etag }),
    ...(sha256 === undefined ? {} : { sha256 }),
  };
}

/** The hex SHA-256 of a file, read as a stream. */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Uint8Array);
  return hash.digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** The state file, or undefined when it is missing or unreadable (then the next download is unconditional). */
async function readStateFile(path: string): Promise<StateFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as StateFile;
    return typeof parsed.source === "string" && typeof parsed.state === "object" && parsed.state !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Written beside and renamed, so a crash leaves the old state or the new one. */
async function writeStateFile(path: string, file: StateFile): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}
