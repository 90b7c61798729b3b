/**
 * One worker thread of the lookup service (ServiceSettings > Workers, docs/operations.md
 * "Workers"): it listens on the service's port beside the other workers (SO_REUSEPORT, so the
 * kernel spreads connections and a connection stays on one thread), reads the index the main
 * thread shares with it, and sends back what the main thread owns: output lines, RetroScan
 * values, counter deltas, logs, and the PING it must confirm with every worker.
 */
import { createServer } from "node:net";
import type { ConnectionLimits, ServiceConfig } from "../config/types.ts";
import { IndicatorIndex, type IndexSnapshot } from "../matching/indicator_index.ts";
import { FLUSH_MS, retroBatchOptions } from "../retroscan/retro_scan.ts";
import { ValueBatch, type EncodedValues, type ValueBatchOptions } from "../retroscan/value_batch.ts";
import { Connections } from "./connections.ts";
import type { LogLevel } from "./logger.ts";
import { compilePipeline, type Pipeline } from "./process_event.ts";
import { ServiceCounters } from "./service_counters.ts";
import { linesInFlight, OUTPUT_IN_FLIGHT, OUTPUT_POSTED } from "./_output_flow.ts";
import { countingHost } from "./session.ts";
import { SlotPool } from "./slot_pool.ts";

/** What a worker starts with. */
export interface WorkerStart {
  readonly type: "start";
  readonly id: number;
  readonly host: string;
  readonly port: number;
  /** This worker's share of the limits (MaxConnections divided among the workers). */
  readonly limits: ConnectionLimits;
  readonly scanners: number;
  readonly slowEventMs: number;
  /** RetroScan is on: this thread batches its events' values and sends the batches to the main thread for the writer. */
  readonly retain: boolean;
  /** The batch is sent this long (ms) after its first value (default FLUSH_MS). */
  readonly retroFlushMs?: number;
  readonly state: WorkerState;
  /** Output lines in flight to the main thread, shared with it: see {@link OUTPUT_POSTED}. */
  readonly outputFlow: Int32Array;
}

/** A generation of the feeds and config: what a reload swaps in every worker at once. */
export interface WorkerState {
  readonly generation: number;
  readonly config: ServiceConfig;
  readonly snapshot: IndexSnapshot;
}

/** Messages from the main thread. */
export type ToWorker =
  | WorkerStart
  | { readonly type: "prepare"; readonly state: WorkerState }
  | { readonly type: "commit"; readonly generation: number }
  | { readonly type: "heartbeat"; readonly beat: number }
  | { readonly type: "pong"; readonly ping: number; readonly line: string | undefined }
  | { readonly type: "holdOutput"; readonly on: boolean }
  /** Send RetroScan's pending values now, answering with `answer` (before a retro run). */
  | { readonly type: "retroFlush"; readonly answer: number }
  /** The size cap cut `day`: the batch hands its values over again. */
  | { readonly type: "retroForget"; readonly day: number }
  | { readonly type: "stop" };

/** Counter increments since the last report; connection gauges as they are now. */
export interface CounterReport {
  readonly deltas: Readonly<Record<CounterName, number>>;
  readonly byCategory: readonly (readonly [string, number])[];
  readonly active: number;
  readonly waiting: number;
  readonly limit: number;
  readonly open: number;
  /** Values and counts waiting in this thread's RetroScan batch. */
  readonly retroPending: number;
}

/** The numeric counters of ServiceCounters that workers add to the service's totals. */
export type CounterName = (typeof ServiceCounters.NAMES)[number];
const COUNTER_NAMES = ServiceCounters.NAMES;

/** Messages to the main thread. */
export type FromWorker =
  | { readonly type: "listening" }
  | { readonly type: "failed"; readonly error: string }
  | { readonly type: "prepared"; readonly generation: number; readonly error?: string }
  | { readonly type: "committed"; readonly generation: number }
  | { readonly type: "heartbeat"; readonly beat: number }
  | { readonly type: "ping"; readonly ping: number; readonly facts: boolean }
  | {
    readonly type: "report";
    readonly counters: CounterReport;
    readonly output: readonly string[];
  }
  /**
   * RetroScan: this thread's batch (its own handles, `values.producer`) and the values its batch
   * dropped since the last one; `answer` when a retroFlush asked for it.
   */
  | { readonly type: "retro"; readonly values?: EncodedValues; readonly dropped: number; readonly answer?: number }
  | { readonly type: "log"; readonly level: LogLevel; readonly message: string; readonly fields?: Record<string, unknown> }
  | { readonly type: "stopped" };

declare const self: { onmessage: ((e: MessageEvent<ToWorker>) => void) | null; postMessage(message: FromWorker): void; close(): void };

/** Counter reports go at most this often (plus at stop); output and RetroScan values go at once. */
const REPORT_MS = 50;

/** What sessions read: swapped whole by a commit. */
interface Live {
  generation: number;
  view: { readonly pipeline: Pipeline; readonly index: IndicatorIndex; readonly eventDelimiter?: string };
}

function post(message: FromWorker): void {
  self.postMessage(message);
}

const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => post({ type: "log", level, message, ...(fields ? { fields } : {}) });

let output: string[] = [];
/** RetroScan's batch of this thread's values, while RetroScan is on. */
let retroBatch: ValueBatch | undefined;
let retroTimer: ReturnType<typeof setTimeout> | undefined;
/** The batch's dropped count at the last send. */
let retroDroppedSent = 0;
let flushQueued = false;

/** Output lines and retained values leave with the current task, in the order they were made. */
function queueFlush(): void {
  if (flushQueued) return;
  flushQueued = true;
  queueMicrotask(() => {
    flushQueued = false;
    report();
  });
}

let counters: ServiceCounters | undefined;
let pool: SlotPool | undefined;
let connections: Connections | undefined;
let live: Live | undefined;
const sent: Record<CounterName, number> = Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Record<CounterName, number>;
const sentByCategory = new Map<string, number>();

/** The main thread asked to hold output-bound connections (its queue is backed up). */
let outputHeldByMain = false;
/** This thread holds them: too many of its lines are in flight to the main thread. */
let outputHeldInFlight = false;
let inFlightTimer: ReturnType<typeof setInterval> | undefined;

function holdOutput(): void {
  connections?.holdOutputSessions(outputHeldByMain || outputHeldInFlight);
}

/** After posting `lines`: holds the output-bound connections while too many lines are in flight. */
function noteInFlight(lines: number): void {
  const flow = start?.outputFlow;
  if (flow === undefined || lines === 0) return;
  Atomics.add(flow, OUTPUT_POSTED, lines);
  const bound = Atomics.load(flow, OUTPUT_IN_FLIGHT);
  if (bound === 0 || outputHeldInFlight || linesInFlight(flow) <= bound) return;
  outputHeldInFlight = true;
  holdOutput();
  // Released at half the bound: the main thread took what it was sent, and no message says so.
  inFlightTimer = setInterval(() => {
    if (linesInFlight(flow) > bound / 2) return;
    clearInterval(inFlightTimer);
    inFlightTimer = undefined;
    outputHeldInFlight = false;
    holdOutput();
  }, 5);
}

function report(): void {
  if (counters === undefined || pool === undefined || connections === undefined || live === undefined) return;
  const deltas = {} as Record<CounterName, number>;
  for (const name of COUNTER_NAMES) {
    deltas[name] = counters[name] - sent[name];
    sent[name] = counters[name];
  }
  const byCategory: [string, number][] = [];
  for (const [category, n] of counters.byCategory) {
    const d = n - (sentByCategory.get(category) ?? 0);
    if (d !== 0) byCategory.push([category, d]);
    sentByCategory.set(category, n);
  }
  post({
    type: "report",
    counters: { deltas, byCategory, active: pool.active, waiting: pool.waiting, limit: pool.limit, open: connections.open, retroPending: retroBatch?.size ?? 0 },
    output,
  });
  noteInFlight(output.length);
  output = [];
}

function viewOf(state: WorkerState, retain: boolean): Live {
  // Template warnings were logged by the main thread when it compiled the same config.
  const compiled = compilePipeline(state.config);
  const pipeline: Pipeline = retain ? { ...compiled, retain: retroBatchOf().add } : compiled;
  const eventDelimiter = state.config.input.eventDelimiter;
  return { generation: state.generation, view: { pipeline, index: IndicatorIndex.fromSnapshot(state.snapshot), ...(eventDelimiter ? { eventDelimiter } : {}) } };
}

const pings = new Map<number, (line: string | undefined) => void>();
let nextPing = 0;
let prepared: Live | undefined;
let start: WorkerStart | undefined;
let server: ReturnType<typeof createServer> | undefined;
let reportTimer: ReturnType<typeof setInterval> | undefined;

async function begin(message: WorkerStart): Promise<void> {
  start = message;
  live = viewOf(message.state, message.retain);
  counters = new ServiceCounters(log, message.slowEventMs, () => {});
  pool = new SlotPool(message.scanners);
  // This thread's counters have no EPS meter (the main thread's counts the deltas it is sent).
  const host = countingHost(counters, () => live!.view, Date.now, (line) => {
    output.push(line);
    queueFlush();
  });
  connections = new Connections({
    now: Date.now,
    log,
    limits: message.limits,
    pool,
    host,
    counters,
    // A PONG only once every worker answered a heartbeat (the main thread asks them).
    answerPing: (facts) =>
      new Promise((resolve) => {
        const ping = nextPing++;
        pings.set(ping, resolve);
        post({ type: "ping", ping, facts });
      }),
  });
  // A report at each accept and close, not only every REPORT_MS: the main thread's `open` gauge
  // must never read 0 while a connection is open, and a closed connection's events are counted
  // by the time its close is (a short connection fits between two timed reports).
  const listener = createServer({ noDelay: true }, (socket) => {
    connections!.accept(socket);
    socket.once("close", queueFlush);
    queueFlush();
  });
  server = listener;
  try {
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      // Every worker binds the same port; the kernel spreads new connections over them.
      listener.listen({ host: message.host, port: message.port, reusePort: true } as Parameters<typeof listener.listen>[0], () => resolve());
    });
    listener.on("error", (error) => log("error", `listener: ${error.message}`));
  } catch (error) {
    post({ type: "failed", error: (error as Error).message });
    return;
  }
  reportTimer = setInterval(report, REPORT_MS);
  post({ type: "listening" });
}

async function stop(): Promise<void> {
  if (reportTimer !== undefined) clearInterval(reportTimer);
  // RetroScan's pending values go now, and what the drain brings after it: a client that holds
  // its connection keeps the drain going for its whole time.
  sendRetro();
  // Both are set once the start got as far as listening.
  if (connections !== undefined && server !== undefined) await connections.shutDown(server);
  report();
  // Nothing is held any more: no connection is left to release.
  clearInterval(inFlightTimer);
  inFlightTimer = undefined;
  // Before "stopped": the main thread closes RetroScan's writer once every thread has stopped.
  sendRetro();
  post({ type: "stopped" });
}

/**
 * This thread's RetroScan batch. RetroScan's settings take a restart (docs/operations.md), so it
 * keeps those of the config the thread started with, as the main thread's batch does, whatever a
 * reload brings.
 */
function retroBatchOf(): ValueBatch {
  if (retroBatch !== undefined) return retroBatch;
  const config = start!.state.config;
  const options: ValueBatchOptions = { ...retroBatchOptions(config.service.retroScan!, config), producer: start!.id + 1, onPending: scheduleRetro };
  return (retroBatch = new ValueBatch(options));
}

/** As the main thread's batch: a flush's worth of new values goes at once, the rest after FLUSH_MS. */
function scheduleRetro(due: boolean): void {
  if (due) {
    clearTimeout(retroTimer);
    retroTimer = setTimeout(sendRetro, 0);
  } else if (retroTimer === undefined) retroTimer = setTimeout(sendRetro, start!.retroFlushMs ?? FLUSH_MS);
}

/** Sends what the batch holds (and its new drops) to the main thread; always when `answer` is given. */
function sendRetro(answer?: number): void {
  clearTimeout(retroTimer);
  retroTimer = undefined;
  const batch = retroBatch;
  const dropped = batch === undefined ? 0 : batch.dropped - retroDroppedSent;
  retroDroppedSent += dropped;
  const values = batch !== undefined && batch.size > 0 ? batch.takeEncoded() : undefined;
  if (values === undefined && dropped === 0 && answer === undefined) return;
  post({ type: "retro", ...(values === undefined ? {} : { values }), dropped, ...(answer === undefined ? {} : { answer }) });
  // The main thread's figure of what is pending here (/status) follows soon.
  if (values !== undefined) queueFlush();
}

self.onmessage = ({ data: message }: MessageEvent<ToWorker>) => {
  switch (message.type) {
    case "start":
      // A start that throws (a snapshot it cannot read) fails the service's start, never hangs it.
      begin(message).catch((error: unknown) => post({ type: "failed", error: (error as Error).message }));
      break;
    case "prepare":
      try {
        prepared = viewOf(message.state, start!.retain);
        post({ type: "prepared", generation: message.state.generation });
      } catch (error) {
        post({ type: "prepared", generation: message.state.generation, error: (error as Error).message });
      }
      break;
    case "commit":
      if (prepared?.generation === message.generation) {
        live = prepared;
        prepared = undefined;
      }
      post({ type: "committed", generation: live!.generation });
      break;
    case "heartbeat":
      post({ type: "heartbeat", beat: message.beat });
      break;
    case "pong":
      pings.get(message.ping)?.(message.line);
      pings.delete(message.ping);
      break;
    case "holdOutput":
      outputHeldByMain = message.on;
      holdOutput();
      break;
    case "retroFlush":
      sendRetro(message.answer);
      break;
    case "retroForget":
      retroBatch?.forgetDay(message.day);
      break;
    case "stop":
      void stop();
      break;
  }
};
