/**
 * The main thread's side of ServiceSettings > Workers (docs/operations.md, "Workers"): starts the
 * worker threads that serve event connections on one shared index, swaps a new generation of
 * feeds into all of them at once, merges their counters, forwards their output lines and
 * RetroScan values to what the main thread owns, and confirms a PING only once every worker
 * answered a heartbeat.
 */
import type { ConnectionLimits } from "../config/types.ts";
import { pongFor } from "../protocol/ping_facts.ts";
import type { EncodedValues } from "../retroscan/value_batch.ts";
import { workerUrl } from "../runtime/runtime.ts";
import type { EpsMeter } from "./eps_meter.ts";
import type { Logger } from "./logger.ts";
import { ServiceCounters } from "./service_counters.ts";
import { ServiceStartError } from "./service_start_error.ts";
// Types only: the worker's module sets the thread's message handler when it is loaded.
import type { CounterReport, FromWorker, ToWorker, WorkerState } from "./_lookup_worker.ts";
import { linesInFlight, OUTPUT_IN_FLIGHT, OUTPUT_TAKEN } from "./_output_flow.ts";

export type { WorkerState };

/** What a pool needs from the service. */
export interface WorkerPoolOptions {
  readonly count: number;
  readonly host: string;
  readonly port: number;
  /** The service's limits; MaxConnections is divided among the workers (one process, one file limit). */
  readonly limits: ConnectionLimits;
  /** Scanner slots of the service (ScannersCount − 1), divided among the workers (rounded up). */
  readonly scanners: number;
  readonly slowEventMs: number;
  readonly log: Logger;
  /** The service's counters, to which the workers' deltas are added. */
  readonly counters: ServiceCounters;
  readonly eps: EpsMeter;
  /** Sends a line to the configured output (the main thread's one connection to the SIEM). */
  readonly toOutput: (line: string) => void;
  /**
   * RetroScan, when on: takes each worker thread's batch of values (for the writer) and the
   * values its batch dropped.
   */
  readonly retro?: { accept(values: EncodedValues | undefined, dropped: number): void } | undefined;
  /** A worker's RetroScan batch is sent this long (ms) after its first value (default: RetroScan's FLUSH_MS). */
  readonly retroFlushMs?: number | undefined;
  /** The PONG line for a PING with X-KF-SendFinishedEvent; without it, a plain PONG. */
  readonly pongLine?: (() => string) | undefined;
  /** Lines waiting in the output's queue and its limit, while an output target is up and takes lines. */
  readonly outputBacklog?: () => { readonly depth: number; readonly limit: number } | undefined;
  /** The output queue's limit (OutputSettings > QueueSize, lines): bounds each thread's lines in flight to it. */
  readonly outputQueueLimit?: number | undefined;
}

/** One worker as /status shows it. */
export interface WorkerStatus {
  readonly id: number;
  /** The generation of feeds it serves (the main thread's, once a reload committed). */
  readonly generation: number;
  /** It answered the last heartbeat before the next one was due; false while it is blocked. */
  readonly responding: boolean;
  readonly open: number;
  readonly events: number;
  /** Output lines it sent that the main thread has not taken yet (a live count, read even while the main thread is busy). */
  readonly outputInFlight: number;
}

/** A PING waits this long for every worker's heartbeat; the watchdog's probe gives up at 3 s. */
const PING_WAIT_MS = 2000;
/** Heartbeats for /status: a worker that misses one is shown not responding. */
const HEARTBEAT_MS = 500;
/** A retro run waits this long for a worker's pending values (a blocked worker's come later). */
const RETRO_FLUSH_WAIT_MS = 5000;
/** A reload waits this long for every worker to take the new generation, then fails. */
const PREPARE_WAIT_MS = 30_000;

interface Thread {
  readonly id: number;
  readonly worker: Worker;
  gauges: CounterReport | undefined;
  events: number;
  generation: number;
  answered: number;
  responding: boolean;
  dead: boolean;
  /** It said "stopped": it sends nothing more (its last RetroScan batch came before). */
  stopped: boolean;
  /** {@link WorkerStart.outputFlow}. */
  readonly outputFlow: Int32Array;
}

/**
 * @example
 * ```ts
 * const pool = await WorkerPool.start(options, { generation: 1, config, snapshot: index.share() });
 * await pool.prepare(nextState); // every worker built its reader
 * pool.commit(nextState.generation);
 * await pool.stop(5000);
 * ```
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #threads: Thread[] = [];
  readonly #listeners = new Set<(thread: Thread, message: FromWorker) => void>();
  #beat = 0;
  #tickBeat = 0;
  #generation: number;
  /** States still held until every worker confirmed it moved past them. */
  #held: WorkerState[] = [];
  readonly #timer: ReturnType<typeof setInterval>;
  /** Output sessions are held in every worker until the output queue drains (see #watchOutput). */
  #holdTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(options: WorkerPoolOptions, state: WorkerState) {
    this.#options = options;
    this.#generation = state.generation;
    this.#timer = setInterval(() => this.#tick(), HEARTBEAT_MS);
    this.#timer.unref?.();
  }

  /** Starts `options.count` workers on `state`; resolves once all listen, throws ServiceStartError when one cannot. */
  static async start(options: WorkerPoolOptions, state: WorkerState): Promise<WorkerPool> {
    const pool = new WorkerPool(options, state);
    const limits = { ...options.limits, max: Math.max(1, Math.ceil(options.limits.max / options.count)) };
    const scanners = pool.#scannersEach;
    // Lines each thread may have on their way to the output queue: together at most a quarter of
    // its limit, so that with the quarter the queue holds before the threads stop (#watchOutput)
    // half of it is left for the lines of the reads each thread finishes before it stops.
    const queueLimit = options.outputQueueLimit;
    const inFlight = queueLimit === undefined ? 0 : Math.max(1, Math.floor(queueLimit / (4 * options.count)));
    const started = [];
    for (let id = 0; id < options.count; id++) {
      const worker = new Worker(workerUrl("service/_lookup_worker.ts"), { type: "module" });
      const outputFlow = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
      outputFlow[OUTPUT_IN_FLIGHT] = inFlight;
      const thread: Thread = { id, worker, gauges: undefined, events: 0, generation: state.generation, answered: 0, responding: true, dead: false, stopped: false, outputFlow };
      pool.#threads.push(thread);
      worker.onmessage = (e: MessageEvent<FromWorker>) => pool.#receive(thread, e.data);
      worker.onerror = (e) => {
        e.preventDefault?.();
        thread.dead = true;
        thread.responding = false;
        options.log("error", `worker ${id} failed: ${e.message}`);
        pool.#emit(thread, { type: "failed", error: e.message });
      };
      started.push(pool.#next(thread, (m) => (m.type === "listening" || m.type === "failed" ? m : undefined)));
      const start: ToWorker = {
        type: "start", id, host: options.host, port: options.port, limits, scanners, slowEventMs: options.slowEventMs,
        retain: options.retro !== undefined, ...(options.retroFlushMs === undefined ? {} : { retroFlushMs: options.retroFlushMs }), state, outputFlow,
      };
      worker.postMessage(start);
    }
    const results = await Promise.all(started);
    const failed = results.find((r) => r?.type === "failed");
    if (failed !== undefined) {
      pool.#terminate();
      throw new ServiceStartError(`cannot listen on ${options.host}:${options.port} with ${options.count} workers (ServiceSettings > Workers): ${failed?.type === "failed" ? failed.error : ""}`);
    }
    return pool;
  }

  /** Connection gauges summed over the workers. */
  get gauges(): { active: number; waiting: number; limit: number; open: number } {
    const sum = { active: 0, waiting: 0, limit: 0, open: 0 };
    for (const t of this.#threads) {
      sum.active += t.gauges?.active ?? 0;
      sum.waiting += t.gauges?.waiting ?? 0;
      sum.limit += t.gauges?.limit ?? this.#scannersEach;
      sum.open += t.gauges?.open ?? 0;
    }
    return sum;
  }

  /** Scanner slots of each worker: ScannersCount 9 (8 slots) over 2 workers is 4 each, 8 in all. */
  get #scannersEach(): number {
    return Math.max(1, Math.ceil(this.#options.scanners / this.#options.count));
  }

  /** Each worker, for /status. */
  status(): WorkerStatus[] {
    return this.#threads.map((t) => ({
      id: t.id, generation: t.generation, responding: t.responding && !t.dead, open: t.gauges?.open ?? 0, events: t.events,
      outputInFlight: linesInFlight(t.outputFlow),
    }));
  }

  /**
   * Sends a new generation to every worker, which builds its reader (no copy of the tables) and
   * keeps serving the old one; resolves once all have, rejects naming a worker that failed or did
   * not answer within 30 s (a blocked worker): the reload then fails and the old feeds stay.
   */
  async prepare(state: WorkerState): Promise<void> {
    const replies = this.#threads.map((t) =>
      t.dead
        ? Promise.resolve({ type: "failed" as const, error: "the thread has stopped" })
        : this.#next(t, (m) => (m.type === "prepared" && m.generation === state.generation ? m : m.type === "failed" ? m : undefined), PREPARE_WAIT_MS),
    );
    for (const t of this.#threads) this.#post(t, { type: "prepare", state });
    const answers = await Promise.all(replies);
    answers.forEach((a, id) => {
      if (a === undefined) throw new Error(`worker ${id} did not take the new feeds within ${PREPARE_WAIT_MS / 1000} s (is it blocked?)`);
      if (a.type === "failed" || a.error !== undefined) throw new Error(`worker ${id}: ${a.type === "failed" ? a.error : a.error}`);
    });
  }

  /**
   * Puts a prepared generation in use in every worker, each between two events. The previous
   * generation's state is held until every worker confirmed the switch, so its shared tables are
   * released only once no thread reads them.
   */
  commit(previous: WorkerState, generation: number): void {
    this.#generation = generation;
    this.#held.push(previous);
    for (const t of this.#threads) this.#post(t, { type: "commit", generation });
  }

  /** Stops accepting in every worker, lets each drain (up to `drainMs`), then ends the threads. */
  async stop(drainMs: number): Promise<void> {
    clearInterval(this.#timer);
    const stopped = this.#threads.map((t) => this.#next(t, (m) => (m.type === "stopped" || m.type === "failed" ? m : undefined), drainMs + 1000));
    for (const t of this.#threads) this.#post(t, { type: "stop" });
    const answers = await Promise.all(stopped);
    answers.forEach((a, id) => {
      if (a === undefined) this.#options.log("warn", `stop: worker ${id} did not finish its connections in time (blocked?): ended`);
    });
    this.#terminate();
  }

  /** Values and counts waiting in the workers' RetroScan batches, as each last reported. */
  retroPending(): number {
    return this.#threads.reduce((n, t) => n + (t.dead ? 0 : (t.gauges?.retroPending ?? 0)), 0);
  }

  /**
   * Has every worker send RetroScan its pending values; resolves once all of them arrived (and
   * were queued for the writer) or their thread stopped, with the number of threads that did not
   * answer within `waitMs` (a blocked worker: its values come with its next batch).
   */
  async flushRetro(waitMs = RETRO_FLUSH_WAIT_MS): Promise<number> {
    const answer = ++this.#beat;
    // A thread that stops or fails meanwhile answers with that: its last batch came before.
    const pick = (m: FromWorker) => ((m.type === "retro" && m.answer === answer) || m.type === "stopped" || m.type === "failed" ? m : undefined);
    const answers = this.#threads.map((t) => (t.dead || t.stopped ? Promise.resolve(true) : this.#next(t, pick, waitMs)));
    for (const t of this.#threads) this.#post(t, { type: "retroFlush", answer });
    const missing = (await Promise.all(answers)).filter((a) => a === undefined).length;
    if (missing > 0) this.#options.log("warn", `RetroScan: ${missing} worker(s) did not send their pending values within ${waitMs} ms (blocked?); the retro run goes on without them`);
    return missing;
  }

  /** Has every worker's RetroScan batch forget which values of `day` it handed over (the size cap cut that day). */
  forgetRetroDay(day: number): void {
    for (const t of this.#threads) if (!t.dead && !t.stopped) this.#post(t, { type: "retroForget", day });
  }

  /** Resolves true once every worker answered a new heartbeat, false after `waitMs` without. */
  allAnswer(waitMs = PING_WAIT_MS): Promise<boolean> {
    const beat = ++this.#beat;
    const answers = this.#threads.map((t) => (t.dead ? Promise.resolve(undefined) : this.#next(t, (m) => (m.type === "heartbeat" && m.beat >= beat ? m : undefined), waitMs)));
    for (const t of this.#threads) this.#post(t, { type: "heartbeat", beat });
    return Promise.all(answers).then((all) => all.every((a) => a !== undefined));
  }

  /**
   * Backpressure the one-thread service gets for free: above a quarter of the output queue, every
   * worker stops reading the connections whose lines go to the output, until the queue is below
   * an eighth (or the target goes down: then it drops and counts, as one thread does). Without it, two threads filled a 10,000-line queue in bursts the SIEM could take
   * (1 M forwarded lines: 5,275 dropped, test/compat/maxpatrol_forwarder.test.ts).
   */
  #watchOutput(): void {
    const backlog = this.#options.outputBacklog?.();
    if (backlog === undefined) return;
    if (this.#holdTimer === undefined && backlog.depth > backlog.limit / 4) {
      for (const t of this.#threads) this.#post(t, { type: "holdOutput", on: true });
      this.#holdTimer = setInterval(() => {
        const now = this.#options.outputBacklog?.();
        if (now !== undefined && now.depth >= now.limit / 8) return;
        clearInterval(this.#holdTimer);
        this.#holdTimer = undefined;
        for (const t of this.#threads) this.#post(t, { type: "holdOutput", on: false });
      }, 10);
    }
  }

  #tick(): void {
    for (const t of this.#threads) t.responding = !t.dead && t.answered >= this.#tickBeat;
    this.#tickBeat = ++this.#beat;
    for (const t of this.#threads) this.#post(t, { type: "heartbeat", beat: this.#tickBeat });
  }

  #post(thread: Thread, message: ToWorker): void {
    if (!thread.dead) thread.worker.postMessage(message);
  }

  #terminate(): void {
    clearInterval(this.#timer);
    clearInterval(this.#holdTimer);
    for (const t of this.#threads) {
      t.dead = true;
      t.worker.terminate();
      // Waits that a message of this thread would have ended (a retro flush) end now.
      this.#emit(t, { type: "stopped" });
    }
  }

  /** The next message of `thread` that `pick` accepts, or undefined after `waitMs`. */
  #next<T>(thread: Thread, pick: (m: FromWorker) => T | undefined, waitMs?: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const listener = (t: Thread, m: FromWorker) => {
        if (t !== thread) return;
        const picked = pick(m);
        if (picked === undefined) return;
        this.#listeners.delete(listener);
        clearTimeout(timer);
        resolve(picked);
      };
      this.#listeners.add(listener);
      if (waitMs !== undefined) {
        timer = setTimeout(() => {
          this.#listeners.delete(listener);
          resolve(undefined);
        }, waitMs);
      }
    });
  }

  #emit(thread: Thread, message: FromWorker): void {
    for (const listener of [...this.#listeners]) listener(thread, message);
  }

  #receive(thread: Thread, message: FromWorker): void {
    switch (message.type) {
      case "report":
        this.#report(thread, message);
        break;
      case "retro":
        this.#options.retro?.accept(message.values, message.dropped);
        break;
      case "stopped":
        thread.stopped = true;
        break;
      case "log":
        this.#options.log(message.level, message.message, { ...message.fields, worker: thread.id });
        break;
      case "heartbeat":
        thread.answered = Math.max(thread.answered, message.beat);
        break;
      case "committed":
        thread.generation = message.generation;
        if (this.#threads.every((t) => t.dead || t.generation === this.#generation)) this.#held = [];
        break;
      case "ping":
        void this.allAnswer().then((all) => {
          const line = all ? pongFor(message.facts, this.#options.pongLine) : undefined;
          if (!all) this.#options.log("warn", "PING not answered: a worker did not answer its heartbeat within 2 s (blocked by a slow regex?)");
          this.#post(thread, { type: "pong", ping: message.ping, line });
        });
        break;
    }
    this.#emit(thread, message);
  }

  #report(thread: Thread, message: Extract<FromWorker, { type: "report" }>): void {
    const { counters, eps, toOutput } = this.#options;
    const { deltas, byCategory } = message.counters;
    for (const name of ServiceCounters.NAMES) counters[name] += deltas[name];
    for (const [category, n] of byCategory) counters.byCategory.set(category, (counters.byCategory.get(category) ?? 0) + n);
    if (deltas.events > 0) eps.mark(deltas.events);
    thread.events += deltas.events;
    thread.gauges = message.counters;
    for (const line of message.output) toOutput(line);
    Atomics.add(thread.outputFlow, OUTPUT_TAKEN, message.output.length);
    if (message.output.length > 0) this.#watchOutput();
  }
}
