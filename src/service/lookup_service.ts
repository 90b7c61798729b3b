/**
 * The lookup service proper: loads the feeds, then listens for event connections and answers
 * them per the CyberTrace wire protocol (spec cybertrace-service.md §2): preamble, PING/PONG,
 * ReplyBack or output target, one finished event per input line. Also owns the counters behind
 * /status, service alerts, hot reload and the clean stop.
 */
import { createServer, type Server } from "node:net";
import { unlink } from "node:fs/promises";
import type { ConnectionLimits, ServiceConfig } from "../config/types.ts";
import { IndicatorIndex, type IndexSnapshot } from "../matching/indicator_index.ts";
import type { IndexReader } from "../matching/types.ts";
import { loadFeeds, type FeedLoadReport } from "../feeds/load_feeds.ts";
import type { FeedInput } from "../feeds/feed_reader.ts";
import type { FeedConfig, FeedsSettings } from "../config/types.ts";
import type { FeedSource } from "../feeds/feed_source.ts";
import { RemoteFeeds, type RefreshReport } from "../feeds/remote_feeds.ts";
import { renderAlert } from "../events/render_alert.ts";
import { compilePipeline, type Pipeline } from "./process_event.ts";
import { countingHost, type SessionHost } from "./session.ts";
import { Connections } from "./connections.ts";
import { SlotPool } from "./slot_pool.ts";
import { formatEndpoint } from "../io/endpoint.ts";
import { EpsMeter } from "./eps_meter.ts";
import { ServiceCounters } from "./service_counters.ts";
import { ServiceOutputs } from "./service_outputs.ts";
import { ServiceStartError } from "./service_start_error.ts";
import { listenServer } from "./listen_server.ts";
import { OutdatedFeeds } from "./outdated_feeds.ts";
import { reportFeed } from "./report_feed.ts";
import { ServiceReloader } from "./service_reloader.ts";
import { WorkerPool, type WorkerPoolOptions, type WorkerState, type WorkerStatus } from "./worker_pool.ts";
import type { FeedStatus, LookupAnswer, ServiceStatus } from "./service_status.ts";
import type { Logger } from "./logger.ts";
import { detectLookupType } from "./_detect_lookup_type.ts";
import { VERSION } from "../version.ts";
import type { IndicatorChanges } from "../retroscan/indicator_diff.ts";
import { RetroScan, type RetroScanStatus } from "../retroscan/retro_scan.ts";
import type { RetroRunResult } from "../retroscan/run_retro_scan.ts";
import { threadsShareListeningPort } from "../runtime/runtime.ts";
import { startEndpoint } from "./_start_endpoint.ts";

/** What the service needs from the world. */
export interface LookupServiceDeps {
  readonly now: () => number;
  readonly log: Logger;
  /** Opens a feed file by its configured name. */
  readonly openFeed: (config: ServiceConfig, filename: string) => Promise<FeedInput>;
  readonly readRegistry?: (path: string) => Promise<string>;
  /** Re-reads the config for a reload; undefined keeps the running config. */
  readonly reloadConfig?: () => Promise<ServiceConfig>;
  /** Restarts counted by the supervisor, shown in /status. */
  readonly restarts?: number;
  /**
   * When a feed file last changed (epoch ms), for KL_ALERT_OutdatedFeed; undefined when unknown
   * (embedded feeds). Without it, the time the feed was last loaded is used.
   */
  readonly feedUpdatedAt?: (config: ServiceConfig, filename: string) => Promise<number | undefined>;
  /** Per-event time limit in ms (default 1000): slower events are counted and logged. */
  readonly slowEventMs?: number;
  /** RetroScan's batches (the main thread's and each worker's) are written this long (ms) after their first value (default 1000). */
  readonly retroFlushMs?: number;
  /** The process's open-file limit, when known: MaxConnections is kept below it. */
  readonly openFileLimit?: number;
  /**
   * Ours: the PONG line for a PING that also carries X-KF-SendFinishedEvent (the facts a
   * scanner reads, src/protocol/ping_facts.ts); without it, such a PING gets a plain PONG.
   */
  readonly pongLine?: () => string;
  /**
   * The source of a feed with `url` (src/feeds/feed_source_for.ts); without it such feeds are
   * not downloaded and their copies on disk are loaded as they are.
   */
  readonly feedSource?: (feed: FeedConfig, settings: FeedsSettings) => Promise<FeedSource>;
  /** Waits between download retries; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A running service. */
export interface LookupService {
  /** Where it listens: the TCP port (0 when a socket path), or the path. */
  readonly port: number;
  readonly address: string;
  status(): ServiceStatus;
  /** Rebuilds the feeds (and config, when it can be re-read); the old state serves until the swap. */
  reload(): Promise<{ ok: boolean; error?: string }>;
  /**
   * `POST /retroscan`: reloads, then checks the stored values against the indicators new since
   * the last retro run; `{ ok: false }` when RetroScan is off or the reload failed.
   */
  retroScan(): Promise<{ ok: boolean; error?: string; run?: RetroRunResult }>;
  lookup(values: readonly string[]): Promise<LookupAnswer[]>;
  /**
   * Sends KL_ALERT_OutdatedFeed for each feed not updated within its outdated_alert_period
   * (or ServiceSettings > OutdatedBasesAlertPeriod), once per feed until it is updated. Runs every
   * 10 minutes on its own; exposed for tests, which pass their own clock through `deps.now`.
   */
  checkOutdatedFeeds(): Promise<string[]>;
  /**
   * Downloads the feeds with a `url` that are due (their `refresh`, else `update_frequency`,
   * minutes since the last try) and reloads when a copy changed. Runs every minute on its own.
   */
  refreshDownloads(): Promise<RefreshReport[]>;
  /** The first round of downloads, started once the service listens; resolves when its reload is done. */
  readonly initialDownloads: Promise<RefreshReport[]>;
  /** Stops accepting, finishes open work, sends ServiceStopped, closes. */
  close(): Promise<void>;
}

/** Everything a reload swaps at once. */
interface State {
  readonly config: ServiceConfig;
  readonly pipeline: Pipeline;
  readonly index: IndexReader;
  readonly feeds: readonly FeedStatus[];
  /** Downloaded feeds that had no copy on disk when this state was built. */
  readonly uncopied: ReadonlySet<string>;
  /** What sessions read per event (one object, so a reload swaps it with the rest). */
  readonly sessionView: ReturnType<SessionHost["current"]>;
  /** What this load added since the last retro run (RetroScan on). */
  readonly changes?: IndicatorChanges;
  /** The index's tables on shared memory, for worker threads (ServiceSettings > Workers above 1). */
  readonly snapshot?: IndexSnapshot;
}

export { ServiceStartError };

/**
 * Downloads the feeds with `url` that `which` names, then builds a state with each new download
 * (and those `carried` from a refresh tick) loaded in place of its copy: a download whose load
 * passes replaces the copy before the state is used (parsed once), one that fails is removed and
 * the state is built again from the copies. `settled` hears how each staged download ended.
 */
async function buildWithDownloads(
  config: ServiceConfig,
  deps: LookupServiceDeps,
  remote: RemoteFeeds | undefined,
  retro: RetroScan | undefined,
  which: "all" | "due",
  share: boolean,
  carried: ReadonlyMap<string, string> = new Map(),
  settled: (report: RefreshReport) => void = () => {},
): Promise<{ state: State; reports: FeedLoadReport[] }> {
  if (remote === undefined) return buildState(config, deps, { retro, share });
  const staged = new Map(carried);
  for (const r of await remote.refresh(config, which, { stage: true })) if (r.staged !== undefined) staged.set(r.name, r.staged);
  if (staged.size === 0) return buildState(config, deps, { remote, retro, share });
  let built: { state: State; reports: FeedLoadReport[] } | undefined;
  let rejected = false;
  try {
    built = await buildState(config, deps, { remote, staged, retro, share });
  } finally {
    // Settled even when the build threw, so no download waits forever.
    for (const name of staged.keys()) {
      const report = await remote.settle(name, built?.reports.find((r) => r.name === name));
      settled(report);
      rejected ||= report.error !== undefined;
    }
  }
  return rejected || built === undefined ? buildState(config, deps, { remote, retro, share }) : built;
}

/** Where a build's feeds come from besides the config: downloads (with new ones `staged`), and the RetroScan that diffs them. */
interface BuildSources {
  readonly remote?: RemoteFeeds | undefined;
  readonly staged?: ReadonlyMap<string, string>;
  readonly retro?: RetroScan | undefined;
  /** Move the index onto shared memory for worker threads. */
  readonly share?: boolean;
}

async function buildState(config: ServiceConfig, deps: LookupServiceDeps, { remote, staged, retro, share }: BuildSources = {}): Promise<{ state: State; reports: FeedLoadReport[] }> {
  const warn = (message: string) => deps.log("warn", message);
  const compiled = compilePipeline(config, warn);
  const pipeline = retro === undefined ? compiled : { ...compiled, retain: retro.retain };
  const index = new IndicatorIndex();
  const diff = retro?.diff(index);
  // A downloaded feed that never got a copy is shown failed but does not fail the load: one
  // unreachable URL must not hold back every other feed's reload.
  const uncopied = remote === undefined ? [] : (await remote.withoutCopy(config)).filter((name) => !staged?.has(name));
  const fileOf = (name: string) => staged?.get(name) ?? name;
  const settings = uncopied.length === 0 ? config.feeds : { ...config.feeds, feeds: config.feeds.feeds.filter((f) => !uncopied.includes(f.filename)) };
  const reports = await loadFeeds(settings, {
    openFeed: (filename) => deps.openFeed(config, fileOf(filename)),
    index: diff ?? index,
    now: deps.now,
    ...(deps.readRegistry ? { readRegistry: deps.readRegistry } : {}),
  });
  // Drops load-time slack and builds the presence filters that let most misses skip the big tables.
  index.compact();
  const snapshot = share === true ? index.share() : undefined;
  const counts = index.counts();
  const loadedAt = new Date(deps.now()).toISOString();
  const fileTimes = await Promise.all(reports.map((r) => deps.feedUpdatedAt?.(config, fileOf(r.name)).catch(() => undefined)));
  const feeds: FeedStatus[] = reports.map((r, i) => ({
    name: r.name,
    records: counts.get(r.name) ?? r.loaded,
    skipped: r.skipped,
    loadMs: Math.round(r.ms),
    ...(fileTimes[i] === undefined ? {} : { fileTime: new Date(fileTimes[i]).toISOString() }),
    ...(r.error ? { error: r.error } : { loadedAt }),
  }));
  for (const name of uncopied) feeds.push({ name, records: 0, skipped: 0, loadMs: 0, error: `${name}: no copy on disk` });
  // In the config's order, the feeds without a copy among the others.
  const order = config.feeds.feeds.map((f) => f.filename);
  if (uncopied.length > 0) feeds.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const eventDelimiter = config.input.eventDelimiter;
  const sessionView = { pipeline, index, ...(eventDelimiter ? { eventDelimiter } : {}) };
  return { state: { config, pipeline, index, feeds, uncopied: new Set(uncopied), sessionView, ...(diff ? { changes: diff.changes() } : {}), ...(snapshot ? { snapshot } : {}) }, reports };
}

/**
 * Loads the feeds of `config`, then listens; resolves once it accepts connections and
 * KL_ALERT_ServiceStarted has been sent. Throws ServiceStartError when it cannot listen.
 *
 * @example
 * ```ts
 * await using service = … // see test/service/lookup_service.test.ts
 * const service = await startLookupService(config, { now: Date.now, log, openFeed });
 * ```
 */
export async function startLookupService(config: ServiceConfig, deps: LookupServiceDeps): Promise<LookupService> {
  const started = deps.now();
  const eps = new EpsMeter(deps.now);
  const log = deps.log;
  const counters = new ServiceCounters(log, deps.slowEventMs ?? SLOW_EVENT_MS, (at) => eps.mark(1, at));
  const outputs = new ServiceOutputs(config, log, deps.now, (count, total) => alert("KL_ALERT_EventsDropped", [["count", String(count)], ["total", String(total)]]));
  const retro = await startRetroScan(config, deps, outputs, (name, fields) => alert(name, fields));

  // Downloads (the only source of its alerts) start once `alert` below exists.
  const remote = startDownloads(deps, (name, fields) => alert(name, fields));
  // Started from the copies on disk: downloads run once the service listens (below), so a slow or
  // unreachable server never holds back the start (nor trips the watchdog's readiness deadline).
  await remote?.restore(config);
  const workers = workerCount(config, log);
  const built = await buildState(config, deps, { remote, retro: retro.scan, share: workers > 1 });
  // Swapped whole by a reload; every reader goes through `live.state`.
  const live = { state: built.state };
  const reports = built.reports;
  const alert = (name: string, fields: readonly (readonly [string, string])[] = []) => {
    const line = renderAlert(live.state.pipeline.templates, name, fields, deps.now());
    log("debug", `alert ${name}`, Object.fromEntries(fields));
    if (line !== undefined) outputs.sendAlert(line);
  };
  for (const report of reports) reportFeed(report, alert, log);
  retro.ready();

  const scanners = Math.max(1, config.service.scannersCount - 1);
  const limits = effectiveLimits(config.service.connections, deps.openFileLimit, log);
  let closing = false;

  const front: Front = workers > 1
    ? await workerFront(config, { count: workers, limits, scanners, slowEventMs: deps.slowEventMs ?? SLOW_EVENT_MS, log, counters, eps, toOutput: (line) => outputs.send(line), retro: retro.scan, retroFlushMs: deps.retroFlushMs, pongLine: deps.pongLine, outputQueueLimit: config.output.queueSize, outputBacklog: () => {
      const sink = outputs.stats();
      // A target that is down drops and counts what overflows, as with one thread: no hold.
      return sink === undefined || !sink.connected ? undefined : { depth: sink.queueDepth, limit: sink.queueLimit };
    } }, live.state)
    : await inProcessFront(config, deps, limits, scanners, counters, () => live.state.sessionView, (line) => outputs.send(line));
  const { port, address } = front;
  // With worker threads each batches its own values: a retro run asks them for what is pending.
  if (front.flushRetro !== undefined) retro.scan?.gatherFrom(front.flushRetro);
  if (front.forgetRetroDay !== undefined) retro.scan?.forgetIn(front.forgetRetroDay);
  log("info", `listening on ${address}`, { feeds: live.state.feeds.length, indicators: live.state.feeds.reduce((n, f) => n + f.records, 0), workers });
  alert("KL_ALERT_ServiceStarted");

  // Retro runs follow every feed change; the last one's result answers POST /retroscan.
  let lastRun: Promise<RetroRunResult | undefined> = Promise.resolve(undefined);
  const feedsChanged = (state: State) => {
    if (retro.scan && state.changes) lastRun = retro.scan.feedsChanged(state.changes, { config: state.config, index: state.index, slotNames: state.pipeline.sources.slotNames });
  };
  feedsChanged(live.state);
  const { reloader, checkOutdatedFeeds, refreshDownloads, reloadNow, stopTimers } = startFeedUpkeep(config, { ...deps, retro: retro.scan }, alert, live, reports, remote, feedsChanged, front);
  const initialDownloads = remote === undefined ? Promise.resolve([]) : refreshDownloads();

  return {
    port,
    address,
    status: () =>
      statusOf({
        config,
        uptimeSeconds: Math.round((deps.now() - started) / 1000),
        ready: !closing,
        feeds: remote === undefined ? live.state.feeds : live.state.feeds.map((f) => withDownload(f, remote, live.state.uncopied.has(f.name))),
        gauges: front.gauges(),
        scanners,
        max: limits.max,
        counters,
        eps: eps.rates(),
        outputs,
        restarts: deps.restarts ?? 0,
        lastReload: reloader.last,
        ...(retro.scan ? { retroScan: withWorkersPending(retro.scan.status(), front) } : {}),
        ...(front.workers ? { workers: front.workers() } : {}),
      }),
    reload: reloadNow,
    retroScan: async () => {
      if (retro.scan === undefined) return { ok: false, error: "RetroScan is not enabled: set ServiceSettings > RetroScan enabled=\"true\"" };
      const reloaded = await reloadNow();
      if (!reloaded.ok) return reloaded;
      const run = await lastRun;
      return run === undefined ? { ok: false, error: retro.scan.status().error ?? "RetroScan run did not finish" } : { ok: true, run };
    },
    checkOutdatedFeeds,
    refreshDownloads,
    initialDownloads,
    lookup: async (values) => lookupValues(live.state.index, values, deps.now()),
    close: async () => {
      if (closing) return;
      closing = true;
      stopTimers();
      await stopService({ front, outputs, alert, drainMs: limits.drainTimeoutSeconds * 1000, ...(retro.scan ? { retro: retro.scan } : {}) });
      log("info", "stopped", { events: counters.events, detections: counters.detections });
    },
  };
}

/** Keeps the feeds fresh: the reloader, and the timers that reload and look for outdated feeds. */
interface FeedUpkeep {
  readonly reloader: ServiceReloader<State>;
  /** Alerts on feeds older than their limit; names them. */
  readonly checkOutdatedFeeds: () => Promise<string[]>;
  /** Downloads what is due; reloads when a copy changed. */
  readonly refreshDownloads: () => Promise<RefreshReport[]>;
  /** A reload asked from outside (SIGHUP, POST /reload): every downloaded feed is asked first. */
  readonly reloadNow: () => Promise<{ ok: boolean; error?: string }>;
  readonly stopTimers: () => void;
}

/**
 * Starts the feed upkeep of a service whose state is `live.state`: a reload swaps it, a reload
 * runs every UpdateFrequency minutes (none when 0), and outdated feeds are looked for now and
 * every 10 minutes.
 */
function startFeedUpkeep(
  config: ServiceConfig,
  deps: LookupServiceDeps & { readonly retro?: RetroScan | undefined },
  alert: (name: string, fields?: readonly (readonly [string, string])[]) => void,
  live: { state: State },
  reports: readonly FeedLoadReport[],
  remote: RemoteFeeds | undefined,
  feedsChanged: (state: State) => void,
  front: Front,
): FeedUpkeep {
  // A downloaded feed is as old as its last good download (a 304 counts), kept across restarts.
  const feedUpdatedAt = remote === undefined ? deps.feedUpdatedAt : async (current: ServiceConfig, filename: string) => remote.lastSuccess(filename) ?? deps.feedUpdatedAt?.(current, filename);
  const outdated = new OutdatedFeeds({ now: deps.now, feedUpdatedAt, alert });
  let downloadAll = false;
  // Downloads a refresh tick staged for the next build, and how the builds settled them.
  let carried = new Map<string, string>();
  const settledReports = new Map<string, RefreshReport>();
  const reloader = new ServiceReloader({
    now: deps.now,
    log: deps.log,
    alert,
    reloadConfig: deps.reloadConfig,
    build: async (next) => {
      const which = downloadAll ? "all" : "due";
      downloadAll = false;
      const taken = carried;
      carried = new Map();
      const built = await buildWithDownloads(next, deps, remote, deps.retro, which, front.prepare !== undefined, taken, (r) => settledReports.set(r.name, r));
      // Every worker builds its reader before any swaps; a load that failed is not swapped in.
      if (front.prepare !== undefined && built.reports.every((r) => !r.error)) await front.prepare(built.state);
      return built;
    },
    current: () => live.state,
    swap: (next, loaded) => {
      front.swapped?.(live.state, next);
      live.state = next;
      outdated.markLoaded(loaded);
      feedsChanged(next);
    },
  });
  outdated.markLoaded(reports);
  const checkOutdatedFeeds = (): Promise<string[]> => outdated.check(live.state.config);
  const outdatedTimer = every(10 * 60_000, () => void checkOutdatedFeeds());
  void checkOutdatedFeeds();
  const minutes = config.feeds.updateFrequencyMinutes;
  const updateTimer = minutes > 0 ? every(minutes * 60_000, () => void reloader.reload()) : undefined;
  const refreshDownloads = async (): Promise<RefreshReport[]> => {
    if (remote === undefined) return [];
    const refreshed = await remote.refresh(live.state.config, "due", { stage: true });
    const staged = refreshed.filter((r) => r.staged !== undefined);
    if (staged.length === 0) return refreshed;
    for (const r of staged) carried.set(r.name, r.staged!);
    await reloader.reload();
    // A reload already running when this one was asked took none of them: one more.
    if (carried.size > 0) await reloader.reload();
    return refreshed.map((r) => (r.staged === undefined ? r : (settledReports.get(r.name) ?? r)));
  };
  // A tick while the last one still downloads (a slow feed) is skipped rather than queued.
  let ticking = false;
  const tick = () => {
    if (ticking) return;
    ticking = true;
    void refreshDownloads()
      .catch((error: unknown) => deps.log("error", `feed downloads failed: ${(error as Error).message}`))
      .finally(() => (ticking = false));
  };
  const refreshTimer = remote === undefined ? undefined : every(60_000, tick);
  const stopTimers = () => {
    if (updateTimer) clearInterval(updateTimer);
    if (refreshTimer) clearInterval(refreshTimer);
    clearInterval(outdatedTimer);
  };
  const reloadNow = () => {
    downloadAll = true;
    return reloader.reload();
  };
  return { reloader, checkOutdatedFeeds, refreshDownloads, reloadNow, stopTimers };
}

/** The download engine of a service whose deps can make feed sources; undefined otherwise. */
function startDownloads(deps: LookupServiceDeps, alert: (name: string, fields: readonly (readonly [string, string])[]) => void): RemoteFeeds | undefined {
  const feedSource = deps.feedSource;
  if (feedSource === undefined) return undefined;
  return new RemoteFeeds({
    now: deps.now,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    log: deps.log,
    alert,
    sourceFor: feedSource,
    ...(deps.readRegistry ? { readRegistry: deps.readRegistry } : {}),
  });
}

/** A feed's status with its download's, when it is downloaded; a feed without a copy says why. */
function withDownload(feed: FeedStatus, remote: RemoteFeeds, uncopied: boolean): FeedStatus {
  const download = remote.status(feed.name);
  if (download === undefined) return feed;
  return uncopied ? { ...feed, error: `${feed.error}: ${download.error ?? "not downloaded yet"}`, download } : { ...feed, download };
}

/**
 * The stop sequence (docs/operations.md): stop accepting, drain the connections, send
 * KL_ALERT_ServiceStopped, give the sinks the drain time, remove the socket file.
 */
async function stopService(parts: {
  readonly front: Front;
  readonly outputs: ServiceOutputs;
  readonly alert: (name: string) => void;
  readonly drainMs: number;
  readonly retro?: RetroScan;
}): Promise<void> {
  await parts.front.stop(parts.drainMs);
  // After the drain, so the values of the last events are stored too.
  await parts.retro?.close();
  parts.alert("KL_ALERT_ServiceStopped");
  await parts.outputs.close(parts.drainMs);
}

/**
 * What serves the event connections: the main thread itself (Workers 1), or worker threads on
 * the shared index. The rest of the service (feeds, reloads, outputs, status) is the same.
 */
interface Front {
  readonly port: number;
  readonly address: string;
  /** Connections being served, waiting for a scanner, the scanner limit, open in all. */
  gauges(): { active: number; waiting: number; limit: number; open: number };
  /** Each worker thread, when there are some. */
  readonly workers?: () => WorkerStatus[];
  /** Worker threads: every one builds its reader of `state` before the swap (throws when one cannot). */
  readonly prepare?: (state: State) => Promise<void>;
  /** A reload put `next` in use in place of `previous`. */
  readonly swapped?: (previous: State, next: State) => void;
  /** Stops accepting, drains (up to `drainMs`), closes the listener(s). */
  stop(drainMs: number): Promise<void>;
  /** Worker threads: has each send RetroScan its pending values (see WorkerPool.flushRetro). */
  readonly flushRetro?: () => Promise<void>;
  /** Worker threads: has each RetroScan batch forget which values of `day` it handed over (the size cap cut that day). */
  readonly forgetRetroDay?: (day: number) => void;
  /** Worker threads: values and counts in their RetroScan batches, as they last reported. */
  readonly retroPending?: () => number;
}

/** Workers 1: the listener and every connection on the main thread (the behaviour before Workers). */
async function inProcessFront(
  config: ServiceConfig,
  deps: LookupServiceDeps,
  limits: ConnectionLimits,
  scanners: number,
  counters: ServiceCounters,
  current: SessionHost["current"],
  toOutput: (line: string) => void,
): Promise<Front> {
  const pool = new SlotPool(scanners);
  const sessionHost = countingHost(counters, current, deps.now, toOutput);
  const connections = new Connections({ now: deps.now, log: deps.log, limits, pool, host: sessionHost, counters, pongLine: deps.pongLine });
  const server: Server = createServer({ noDelay: true }, (socket) => connections.accept(socket));
  const { port, address, socketPath } = await listenServer(server, config.input.connectionString, deps.log);
  return {
    port,
    address,
    gauges: () => ({ active: pool.active, waiting: pool.waiting, limit: pool.limit, open: connections.open }),
    stop: async () => {
      await connections.shutDown(server);
      if (socketPath !== undefined) await unlink(socketPath).catch(() => {});
    },
  };
}

/**
 * Workers above 1: the address is checked and its port resolved by one ordinary listener (so a
 * port in use fails as before, and port 0 becomes one port all workers share), which closes before
 * the workers bind the port together.
 */
async function workerFront(config: ServiceConfig, options: Omit<WorkerPoolOptions, "host" | "port">, state: State): Promise<Front> {
  const probe = createServer();
  const { port, address } = await listenServer(probe, config.input.connectionString, options.log);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const endpoint = startEndpoint(config.input.connectionString, "InputSettings > ConnectionString");
  const host = endpoint.kind === "tcp" ? endpoint.host : "127.0.0.1";
  let current: WorkerState = { generation: 1, config: state.config, snapshot: state.snapshot! };
  const pool = await WorkerPool.start({ ...options, host, port }, current);
  const prepared = new WeakMap<State, WorkerState>();
  return {
    port,
    address,
    gauges: () => pool.gauges,
    workers: () => pool.status(),
    flushRetro: async () => void (await pool.flushRetro()),
    forgetRetroDay: (day) => pool.forgetRetroDay(day),
    retroPending: () => pool.retroPending(),
    prepare: async (next) => {
      const nextState: WorkerState = { generation: current.generation + 1, config: next.config, snapshot: next.snapshot! };
      await pool.prepare(nextState);
      prepared.set(next, nextState);
    },
    swapped: (_previous, next) => {
      const nextState = prepared.get(next);
      if (nextState === undefined) return;
      pool.commit(current, nextState.generation);
      current = nextState;
    },
    stop: (drainMs) => pool.stop(drainMs),
  };
}

/**
 * ServiceSettings > Workers, or 1 where threads cannot share the listening port (not Linux, not
 * Bun, a Unix socket or pipe): said once in the log.
 */
function workerCount(config: ServiceConfig, log: Logger): number {
  const wanted = config.service.workers;
  if (wanted <= 1) return 1;
  const endpoint = startEndpoint(config.input.connectionString, "InputSettings > ConnectionString");
  const why = !threadsShareListeningPort()
    ? "this runtime or system cannot spread one port's connections over threads (Linux and Bun are needed)"
    : endpoint.kind !== "tcp"
      ? "InputSettings > ConnectionString is not a TCP address"
      : undefined;
  if (why === undefined) return wanted;
  log("info", `ServiceSettings > Workers ${wanted}: ${why}; serving on the main thread (Workers 1)`);
  return 1;
}

/** What /status reports, gathered from the parts of a running service. */
interface StatusSources {
  readonly config: ServiceConfig;
  readonly uptimeSeconds: number;
  readonly ready: boolean;
  readonly feeds: readonly FeedStatus[];
  /** Connections being served, waiting, the scanner limit and open in all. */
  readonly gauges: { active: number; waiting: number; limit: number; open: number };
  /** Scanner slots of the service (ScannersCount − 1, at least 1); the rest is kept for the probe. */
  readonly scanners: number;
  /** MaxConnections in effect. */
  readonly max: number;
  readonly counters: ServiceCounters;
  readonly eps: ServiceStatus["eps"];
  readonly outputs: ServiceOutputs;
  readonly restarts: number;
  readonly lastReload: ServiceStatus["lastReload"];
  readonly retroScan?: ServiceStatus["retroScan"];
  readonly workers?: ServiceStatus["workers"];
}

function statusOf(s: StatusSources): ServiceStatus {
  const { gauges: pool, counters } = s;
  const sink = s.outputs.stats();
  return {
    version: VERSION,
    uptimeSeconds: s.uptimeSeconds,
    ready: s.ready,
    feeds: s.feeds,
    connections: { active: pool.active, waiting: pool.waiting, limit: pool.limit, reservedForProbe: s.config.service.scannersCount - s.scanners, open: pool.open, max: s.max, refused: counters.refused, idleClosed: counters.evicted, proxyRefused: counters.proxyRefused },
    events: { total: counters.events, detections: counters.eventsWithDetections, suppressed: counters.suppressed, dropped: counters.dropped + (sink?.dropped ?? 0), cut: counters.cut, slow: counters.slow },
    detectionsByCategory: Object.fromEntries(counters.byCategory),
    eps: s.eps,
    output: { target: formatEndpoint(s.outputs.target), queueDepth: sink?.queueDepth ?? 0, queueLimit: s.config.output.queueSize, dropped: sink?.dropped ?? 0, sent: sink?.sent ?? 0, connected: sink?.connected ?? false, ...(sink?.error === undefined ? {} : { error: sink.error }) },
    restarts: s.restarts,
    ...(s.lastReload ? { lastReload: s.lastReload } : {}),
    ...(s.retroScan ? { retroScan: s.retroScan } : {}),
    ...(s.workers ? { workers: s.workers } : {}),
  };
}

/**
 * RetroScan when the config turns it on. Its alerts wait until the service can send alerts
 * (`ready`): a database fault at start is reported right after the feeds' alerts.
 */
async function startRetroScan(
  config: ServiceConfig,
  deps: LookupServiceDeps,
  outputs: ServiceOutputs,
  alert: (name: string, fields?: readonly (readonly [string, string])[]) => void,
): Promise<{ scan?: RetroScan; ready: () => void }> {
  const settings = config.service.retroScan;
  let early: [string, readonly (readonly [string, string])[] | undefined][] | undefined = [];
  const ready = () => {
    for (const [name, fields] of early ?? []) alert(name, fields);
    early = undefined;
  };
  if (settings === undefined || !settings.enabled) return { ready };
  const scan = await RetroScan.start(settings, config, {
    ...(deps.retroFlushMs === undefined ? {} : { flushMs: deps.retroFlushMs }),
    now: deps.now,
    log: deps.log,
    alert: (name, fields) => (early === undefined ? alert(name, fields) : early.push([name, fields])),
    send: (line) => outputs.send(line),
  });
  return { scan, ready };
}

/** The REST lookup (POST /lookup): each value's type detected, looked up in `index` at `now`. */
function lookupValues(index: IndexReader, values: readonly string[], now: number): LookupAnswer[] {
  return values.map((object): LookupAnswer => {
    const result = index.lookup(detectLookupType(object.trim()), object.trim(), now);
    const categories = result.records.map((r) => ({ category: r.category, detected_indicator: r.indicator, context: Object.fromEntries(r.fields) }));
    return { object, result: categories.length > 0 ? "detected" : "not detected", categories };
  });
}

/** Runs `task` every `ms`, without keeping the process alive for it. */
function every(ms: number, task: () => void): ReturnType<typeof setInterval> {
  const timer = setInterval(task, ms);
  timer.unref?.();
  return timer;
}

/** Per-event time limit: slower events are counted in status().events.slow and logged. */
const SLOW_EVENT_MS = 1000;

/** Descriptors kept for feeds, the output and alert targets, the status endpoint and the runtime. */
const RESERVED_FDS = 64;

/** MaxConnections, lowered below the open-file limit so the listener never runs out of descriptors. */
function effectiveLimits(limits: ConnectionLimits, fileLimit: number | undefined, log: Logger): ConnectionLimits {
  if (fileLimit === undefined || limits.max <= fileLimit - RESERVED_FDS) return limits;
  const max = Math.max(1, fileLimit - RESERVED_FDS);
  log("warn", `ServiceSettings > MaxConnections ${limits.max} is above what the open-file limit ${fileLimit} allows: using ${max} (raise it with ulimit -n or LimitNOFILE=)`);
  return { ...limits, max };
}

/** RetroScan's status with what waits in the worker threads' batches counted as pending too. */
function withWorkersPending(status: RetroScanStatus, front: Front): RetroScanStatus {
  const workers = front.retroPending?.() ?? 0;
  return workers === 0 ? status : { ...status, pending: status.pending + workers };
}
