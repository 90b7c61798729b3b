/**
 * RetroScan in a running service (docs/retroscan.md): keeps the extracted values (batched off
 * the event path, flushed on a timer), enforces retention and the size cap, and re-checks the
 * stored values against the indicators new since the last run whenever the feeds change. A
 * locked, corrupt or full database turns it off with KL_ALERT_RetroScanDisabled and one log
 * line; the service's lookups never depend on it.
 */
import type { RetroScanSettings, ServiceConfig } from "../config/types.ts";
import { compileOutputTemplates, type OutputTemplates } from "../events/compile_output_templates.ts";
import { formatSyslogDate } from "../events/format_syslog_date.ts";
import { renderDetection } from "../events/render_detection.ts";
import type { IndexReader, IndexWriter, MatchedRecord } from "../matching/types.ts";
import { sqliteFault } from "../runtime/open_sqlite.ts";
import { fingerprint, IndicatorDiff, type IndicatorChanges } from "./indicator_diff.ts";
import { dayOf, RetroStore, type PruneResult, type StoreStats, type StoredRow } from "./retro_store.ts";
import { readBaseline, runRetroScan, type RetroRunResult } from "./run_retro_scan.ts";
import { StoreWriter } from "./store_writer.ts";
import type { WriterRequest } from "./_store_worker.ts";
import type { RetainValues, ValueBatchOptions } from "./value_batch.ts";
import { RawValueLog, transferOf, type RawValues } from "./_raw_values.ts";
import type { EncodedValues } from "./_value_codec.ts";

/** The alert raised when RetroScan turns itself off. */
export const RETROSCAN_DISABLED_ALERT = "KL_ALERT_RetroScanDisabled";

/** What a RetroScan needs from the service. */
export interface RetroScanDeps {
  readonly now: () => number;
  readonly log: (level: "debug" | "info" | "warn" | "error", message: string, fields?: Readonly<Record<string, unknown>>) => void;
  readonly alert: (name: string, fields?: readonly (readonly [string, string])[]) => void;
  /** Sends a retro detection to the output (never to a client). */
  readonly send: (line: string) => void;
  /** Milliseconds between a first pending value and its flush (default 1000). */
  readonly flushMs?: number;
  /** Lets the event loop run between chunks of a run (default: a macrotask). */
  readonly yieldToLoop?: () => Promise<void>;
  /** Stored rows per chunk of a run (default 20,000). */
  readonly chunkRows?: number;
}

/** Thrown into a run by {@link RetroScan.close}: the run stops after its chunk and resumes at the next start. */
class RunInterrupted extends Error {
  constructor() {
    super("RetroScan run interrupted: the service is stopping");
  }
}

/** The state a run reads: the config, its index and the regex names by slot. */
export interface RetroView {
  readonly config: ServiceConfig;
  readonly index: IndexReader;
  readonly slotNames: readonly string[];
}

/** A finished run, for /status. */
export interface RetroRunStatus extends RetroRunResult {
  /** ISO time the run started. */
  readonly at: string;
  readonly ms: number;
}

/** `/status` → `retroScan`. */
export interface RetroScanStatus {
  /** `on`, or `disabled` after a database fault. */
  readonly state: "on" | "disabled";
  readonly database: string;
  /** Why it is disabled. */
  readonly error?: string;
  readonly stored: StoreStats & { readonly maxBytes: number; readonly retentionDays: number };
  /** Distinct values waiting for the next flush. */
  readonly pending: number;
  /** Values dropped because the batch was full, or the writer's key memory (`key_memory`), since start. */
  readonly dropped: number;
  /** Rows and days removed by retention and the size cap (since start). */
  readonly pruned: PruneResult;
  readonly running: boolean;
  readonly runs: number;
  /** Retro detections sent (since start). */
  readonly hits: number;
  readonly lastRun?: RetroRunStatus;
}

/**
 * New values after which a batch goes to the writer at once, not after its second: the strings
 * of a flush stay a few megabytes, whose memory is reused (measured: joining the excerpts of a
 * 200,000-value batch, ~50 MB, cost 0.4–0.9 µs a value, most of it page faults on fresh memory;
 * of 10,000-value batches 0.05–0.3 µs).
 */
const FLUSH_SIZE = 16_384;
/**
 * Values (repeats included) after which the main thread's record goes to the writer at once, at
 * most half `batch_limit`: the writer's batch takes a record whole and drops new values past
 * `batch_limit`.
 */
const RAW_FLUSH_VALUES = 65_536;
/** Values the record holds at most (or `batch_limit`, if larger) while the writer is busy; past it an event's values are dropped and counted. */
const RAW_MAX_VALUES = 1 << 20;
/** Characters of event text the record holds after which it goes at once; it holds four times as many at most (64 Mi, with the values past it dropped and counted). */
const RAW_FLUSH_CHARS = 1 << 24;
/** A batch is written at most this long (ms) after its first value. */
export const FLUSH_MS = 1000;
/** Batches of worker threads waiting for the writer, at most; past it a batch is dropped and its values counted. */
const MAX_QUEUED_BATCHES = 16;
/** At most this often (ms) retention and the size cap are checked after a flush. */
const PRUNE_EVERY_MS = 60_000;
/** The writer's key table at its sparsest (24-byte slots, a quarter full after it grows): bytes per value. */
const KEY_BYTES = 96;
/** /status reads the store's figures at most this often (ms). */
const STATS_EVERY_MS = 1_000;

const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * @example
 * ```ts
 * const retro = await RetroScan.start(settings, { now: Date.now, log, alert, send });
 * const diff = retro.diff(index); // pass to loadFeeds instead of the index
 * await retro.feedsChanged(diff.changes(), { config, index, slotNames });
 * ```
 */
export class RetroScan {
  readonly #settings: RetroScanSettings;
  readonly #deps: RetroScanDeps;
  /** The main thread's events' values, recorded for the writer thread's batch. */
  readonly #raw: RawValueLog;
  /** Values of the main thread that the writer's batch dropped (full), since start. */
  #droppedByWriter = 0;
  #store: RetroStore | undefined;
  /** The writer thread: flushes and retention. */
  #writer: StoreWriter | undefined;
  /** The flushes and prunes sent to the writer and not answered yet, in order. */
  #writes: Promise<void> = Promise.resolve();
  /** A write is queued or in flight. */
  #writing = false;
  #error: string | undefined;
  #baseline: Float64Array | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pruneTimer: ReturnType<typeof setInterval> | undefined;
  #lastPrune = 0;
  #pruned = { rows: 0, days: 0 };
  #stats: { at: number; value: StoreStats } | undefined;
  #running: Promise<RetroRunResult | undefined> | undefined;
  /** The change waiting for a run, and how to answer its caller. */
  #next: { changes: IndicatorChanges; view: RetroView; resolve: (result: RetroRunResult | undefined | Promise<RetroRunResult | undefined>) => void } | undefined;
  #runs = 0;
  #hits = 0;
  #lastRun: RetroRunStatus | undefined;
  #closing = false;
  /** New values the writer dropped because its key memory was full (`key_memory`). */
  #droppedForKeys = 0;
  #keysFullWarnedDay = -1;

  /** Worker threads' values: dropped there (batch full) or here (too many batches queued), since start. */
  #droppedByWorkers = 0;
  #queuedBatches = 0;
  /** Tells every worker thread's batch that the size cap cut a day (see {@link forgetIn}). */
  #forgetInWorkers: ((day: number) => void) | undefined;
  /** Asks every worker thread for its pending values (they arrive through {@link accept}). */
  #gather: (() => Promise<void>) | undefined;

  private constructor(settings: RetroScanSettings, deps: RetroScanDeps, config: ServiceConfig) {
    this.#settings = settings;
    this.#deps = deps;
    this.#raw = new RawValueLog({
      flushValues: Math.min(RAW_FLUSH_VALUES, Math.max(1, settings.batchLimit >>> 1)),
      maxValues: Math.max(RAW_MAX_VALUES, settings.batchLimit),
      flushChars: RAW_FLUSH_CHARS,
      maxChars: 4 * RAW_FLUSH_CHARS,
      onPending: (due) => this.#schedule(due),
    });
    // The log itself, not a function around it: one call fewer per event.
    this.retain = this.#raw.add;
  }

  /**
   * Opens the store and reads the last run's baseline. Never throws: a database that cannot be
   * used leaves RetroScan disabled (alert, log line) and the service runs without it.
   */
  static async start(settings: RetroScanSettings, config: ServiceConfig, deps: RetroScanDeps): Promise<RetroScan> {
    const retro = new RetroScan(settings, deps, config);
    try {
      const store = await RetroStore.open(settings.database, settings.maxBytes);
      retro.#store = store;
      retro.#baseline = readBaseline(store);
      retro.#writer = await StoreWriter.open(settings.database, settings.maxBytes, Math.floor(settings.keyMemoryBytes / KEY_BYTES), retroBatchOptions(settings, config));
      retro.#pruneOrFail();
      // Retention also runs while no events come.
      retro.#pruneTimer = setInterval(() => retro.#pruneOrFail(), PRUNE_EVERY_MS);
      retro.#pruneTimer.unref?.();
      deps.log("info", `RetroScan on: ${settings.database}`, { retentionDays: settings.retentionDays, maxBytes: settings.maxBytes, excerptLength: settings.excerptLength });
    } catch (error) {
      retro.#fail(error);
    }
    return retro;
  }

  /** The event path's hook: records an event's values for the writer's batch (nothing once disabled). */
  readonly retain: RetainValues;

  /**
   * An index writer for the next feed load that notes what is new since the last run; undefined
   * while RetroScan is off. Without a baseline (a new database) nothing counts as new: the first
   * load becomes the baseline.
   */
  diff(target: IndexWriter): IndicatorDiff | undefined {
    return this.#store === undefined ? undefined : new IndicatorDiff(target, this.#baseline);
  }

  /**
   * The feeds in use changed to `view`, loaded with `changes`: runs them against the stored
   * values (after the run in progress, if any; a newer change replaces one still waiting, and
   * its run answers both: it compares with the last finished run, so it covers what the replaced
   * one added). Resolves with the result, or undefined when RetroScan is off or the run failed.
   */
  feedsChanged(changes: IndicatorChanges, view: RetroView): Promise<RetroRunResult | undefined> {
    if (this.#store === undefined) return Promise.resolve(undefined);
    // The first load on a new database is the baseline: nothing in it is new, and a load that
    // comes before its (empty) run has finished must be compared with it, not with nothing.
    this.#baseline ??= changes.fingerprints;
    const answer = Promise.withResolvers<RetroRunResult | undefined>();
    const replaced = this.#next;
    this.#next = { changes, view, resolve: answer.resolve };
    replaced?.resolve(answer.promise);
    const previous = this.#running ?? Promise.resolve(undefined);
    const run = previous.then(() => this.#runNext());
    this.#running = run;
    void run.finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    return answer.promise;
  }

  status(): RetroScanStatus {
    const s = this.#settings;
    const now = this.#deps.now();
    if (this.#store !== undefined && (this.#stats === undefined || now - this.#stats.at >= STATS_EVERY_MS)) {
      try {
        this.#stats = { at: now, value: this.#store.stats() };
      } catch (error) {
        this.#fail(error);
      }
    }
    return {
      state: this.#store === undefined ? "disabled" : "on",
      database: s.database,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      stored: { ...(this.#stats?.value ?? { rows: 0, bytes: 0 }), maxBytes: s.maxBytes, retentionDays: s.retentionDays },
      pending: this.#raw.size,
      dropped: this.#raw.dropped + this.#droppedByWriter + this.#droppedForKeys + this.#droppedByWorkers,
      pruned: { ...this.#pruned },
      running: this.#running !== undefined,
      runs: this.#runs,
      hits: this.#hits,
      ...(this.#lastRun === undefined ? {} : { lastRun: this.#lastRun }),
    };
  }

  /**
   * Hands what is pending to the writer thread now (also done before each run and by
   * {@link close}); resolves when it is written.
   */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writer === undefined || this.#raw.size === 0) return this.#writes;
    // One write at a time: while the writer is busy the events go on being recorded (and
    // dropped, counted, once the log is full), so a slow disk bounds memory instead of queueing
    // log after log.
    if (this.#writing) return this.#writes.then(() => this.flush());
    this.#writing = true;
    this.#writeRaw(this.#raw.take(), () => (this.#writing = false));
    return this.#writes;
  }

  /**
   * A worker thread's batch (its own handles: `values.producer`) and the values it dropped since
   * its last one: written after what is queued. A slow disk bounds the queue: past
   * MAX_QUEUED_BATCHES a batch is dropped and its values counted.
   */
  accept(values: EncodedValues | undefined, dropped: number): void {
    this.#droppedByWorkers += dropped;
    if (values === undefined || this.#writer === undefined) return;
    if (this.#queuedBatches >= MAX_QUEUED_BATCHES) {
      this.#droppedByWorkers += values.n;
      return;
    }
    this.#queuedBatches++;
    this.#write(values, () => this.#queuedBatches--);
  }

  /** How the worker threads' batches learn that the size cap cut a day (Workers above 1). */
  forgetIn(forget: (day: number) => void): void {
    this.#forgetInWorkers = forget;
  }

  /** How a run gets the worker threads' pending values first (Workers above 1). */
  gatherFrom(gather: () => Promise<void>): void {
    this.#gather = gather;
  }

  #write(values: EncodedValues, done: () => void): void {
    this.#request({ op: "write", ...values }, [], done);
  }

  /** The main thread's recorded events, folded and written by the writer. */
  #writeRaw(raw: RawValues, done: () => void): void {
    this.#request({ op: "raw", ...raw }, transferOf(raw), done);
  }

  /** Sends `request` after the writer's earlier tasks (moving `transfer`), notes its reply, then calls `done`. */
  #request(request: WriterRequest, transfer: Transferable[], done: () => void): void {
    this.#enqueue(async (writer) => {
      try {
        const reply = await writer.request(request, transfer);
        if (!reply.ok) throw new Error(reply.error);
        this.#store?.countRows(reply.added ?? 0);
        if ((reply.dropped ?? 0) > 0) this.#noteKeysFull(reply.dropped!);
        if (reply.batchDropped !== undefined) this.#droppedByWriter = reply.batchDropped;
        this.#stats = undefined;
      } finally {
        done();
      }
    });
    if (this.#deps.now() - this.#lastPrune >= PRUNE_EVERY_MS) this.#pruneOrFail();
  }

  /** Counts values the writer could not keep (its key memory full), with a warning once a day. */
  #noteKeysFull(dropped: number): void {
    this.#droppedForKeys += dropped;
    const day = dayOf(this.#deps.now());
    if (this.#keysFullWarnedDay === day) return;
    this.#keysFullWarnedDay = day;
    const s = this.#settings;
    this.#deps.log("warn", `RetroScan: the writer's memory of recent values is full (key_memory ${s.keyMemoryBytes} bytes): new values are dropped and counted until a new day or a smaller database frees it; raise key_memory or lower storage_max_size (docs/retroscan.md)`, { dropped });
  }

  /** Runs `task` after the writer's earlier tasks; its error turns RetroScan off. */
  #enqueue(task: (writer: StoreWriter) => Promise<void>): void {
    this.#writes = this.#writes.then(async () => {
      const writer = this.#writer;
      if (writer === undefined) return;
      try {
        await task(writer);
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  /** Waits for a run in progress, flushes and closes the database. */
  async close(): Promise<void> {
    // A change still waiting is not run: it runs at the next start (its baseline was not saved).
    this.#next?.resolve(undefined);
    this.#next = undefined;
    this.#closing = true;
    await this.#running;
    await this.flush();
    const store = this.#store;
    const writer = this.#writer;
    this.#store = undefined;
    this.#writer = undefined;
    this.#raw.stop();
    clearInterval(this.#pruneTimer);
    try {
      await writer?.close();
      store?.close();
    } catch (error) {
      this.#deps.log("warn", `RetroScan: closing ${this.#settings.database} failed: ${(error as Error).message}`);
    }
  }

  #schedule(due: boolean): void {
    if (due) {
      // Write soon: before values have to be dropped, and while the strings are small.
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.flush(), 0);
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#deps.flushMs ?? FLUSH_MS);
    }
    this.#timer.unref?.();
  }

  /** Retention and the size cap, run by the writer thread after what it has been given. */
  #pruneOrFail(): void {
    const now = this.#deps.now();
    this.#lastPrune = now;
    this.#enqueue(async (writer) => {
      const reply = await writer.request({ op: "prune", now, retentionDays: this.#settings.retentionDays });
      if (!reply.ok) throw new Error(reply.error);
      this.#notePruned(reply.pruned ?? { rows: 0, days: 0 });
    });
  }

  #notePruned(result: PruneResult): void {
    // The writer's own batch (the main thread's values) forgot that day already.
    if (result.partialDay !== undefined) this.#forgetInWorkers?.(result.partialDay);
    if (result.rows > 0) {
      this.#store?.countRows(-result.rows);
      this.#pruned.rows += result.rows;
      this.#pruned.days += result.days;
      this.#stats = undefined;
      this.#deps.log("info", `RetroScan: removed ${result.rows} stored value(s) of ${result.days} day(s) (retention ${this.#settings.retentionDays} days, size cap ${this.#settings.maxBytes} bytes)`);
    }
  }

  async #runNext(): Promise<RetroRunResult | undefined> {
    const next = this.#next;
    this.#next = undefined;
    if (next === undefined) return undefined;
    const result = await this.#run(next.changes, next.view);
    next.resolve(result);
    return result;
  }

  async #run(changes: IndicatorChanges, view: RetroView): Promise<RetroRunResult | undefined> {
    const store = this.#store;
    if (store === undefined) return undefined;
    const started = this.#deps.now();
    const templates = this.#templates(view);
    try {
      // Values of events seen before the change must be in the store before it is scanned.
      await this.#gather?.();
      await this.flush();
      if (this.#store === undefined) return undefined;
      const result = await runRetroScan(store, changes, {
        now: started,
        index: view.index,
        render: (row, record) => renderRetro(templates, view.slotNames, row, record, started),
        send: this.#deps.send,
        yieldToLoop: async () => {
          await (this.#deps.yieldToLoop ?? macrotask)();
          if (this.#closing) throw new RunInterrupted();
        },
        key: runKey(changes),
        ...(this.#deps.chunkRows === undefined ? {} : { chunkRows: this.#deps.chunkRows }),
      });
      this.#baseline = changes.fingerprints;
      this.#runs++;
      this.#hits += result.hits;
      const ms = this.#deps.now() - started;
      this.#lastRun = { at: new Date(started).toISOString(), ms, ...result };
      if (result.indicators > 0) {
        this.#deps.log("info", `RetroScan run: ${result.indicators} new indicator(s) against ${result.checked} stored value(s): ${result.hits} retro detection(s)`, { ms, ...(result.resumedAfter > 0 ? { resumedAfter: result.resumedAfter } : {}) });
      }
      return result;
    } catch (error) {
      if (error instanceof RunInterrupted) this.#deps.log("info", error.message + "; it resumes at the next start");
      else this.#fail(error);
      return undefined;
    }
  }

  #templates(view: RetroView): OutputTemplates {
    const output = view.config.output;
    const eventFormat = this.#settings.eventFormat ?? `${output.eventFormat} retroscan=%Retroscan% event_time=%EventReceivedDate%`;
    return compileOutputTemplates({ ...output, eventFormat }, view.config.feeds.feeds, view.slotNames, (message) =>
      this.#deps.log("warn", `RetroScan: RetroScanEventFormat: ${message}`),
    );
  }

  /** Turns RetroScan off for a database fault: one alert, one log line. */
  #fail(error: unknown): void {
    if (this.#error !== undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    const kind = sqliteFault(error);
    const what = { locked: "is locked by another process", corrupt: "is corrupt", full: "is full", other: "failed" }[kind];
    this.#error = `${kind}: ${message}`;
    const store = this.#store;
    this.#store = undefined;
    this.#writer?.terminate();
    this.#writer = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    clearInterval(this.#pruneTimer);
    this.#raw.stop();
    this.#raw.take();
    try {
      store?.close();
    } catch {
      // The fault is what matters; a database that cannot close is part of it.
    }
    this.#deps.log("error", `RetroScan disabled: database ${this.#settings.database} ${what} (${message}); lookups go on without it`);
    this.#deps.alert(RETROSCAN_DISABLED_ALERT, [["reason", kind], ["database", this.#settings.database], ["error", message]]);
  }
}

/** Identifies a set of new indicators, so a restarted run of the same set resumes. */
function runKey(changes: IndicatorChanges): string {
  let text = String(changes.count);
  for (const { feed, entries } of changes.added) for (const e of entries) text += `\n${feed.name}\0${e.kind}\0${e.value}`;
  return `${changes.count}:${fingerprint(text)}`;
}

/** The retro detection of `row` for `record`: `%Retroscan%` is `true`, `%EventReceivedDate%` the original event's time. */
function renderRetro(templates: OutputTemplates, slotNames: readonly string[], row: StoredRow, record: MatchedRecord, now: number): string {
  const slot = slotNames.indexOf(row.rule);
  const regexValues: (string | undefined)[] = [];
  if (slot >= 0) regexValues[slot] = row.value;
  return renderDetection(templates, { now, receivedAt: row.firstAt, sourceId: row.sourceId, regexValues, retroscan: true, date: formatSyslogDate(now) }, record, slot, row.value);
}

/**
 * The options of a RetroScan batch for `settings` (without `onPending`): the writer's, which folds
 * the main thread's recorded values, and each worker thread's (Workers above 1), which adds its
 * `producer`.
 */
export function retroBatchOptions(settings: RetroScanSettings, config: ServiceConfig): Omit<ValueBatchOptions, "onPending"> {
  const rules =
    settings.values === "marked"
      ? new Set(config.input.sources.flatMap((s) => s.regexes.filter((r) => r.useForRetroscan).map((r) => r.name)))
      : undefined;
  return { limit: settings.batchLimit, excerptLength: settings.excerptLength, ...(rules ? { rules } : {}), flushSize: Math.min(FLUSH_SIZE, settings.batchLimit >>> 1) };
}
