/**
 * The scan engine: streams lines over up to ThreadsCount connections to the lookup service,
 * keeps a bounded window of lines in flight on each, and attributes the answers to their line.
 *
 * Attribution relies on the protocol's ordering (spec cybertrace-service.md §2.4): on one
 * connection, the detections of a line arrive before that line's finished event, and lines are
 * answered in the order they were sent (protocol/answer_reader.ts). Detections are committed
 * only when the finished event arrives, so when a connection drops, its unfinished lines are
 * sent again (on any connection) and nothing is counted twice.
 *
 * A line that takes the service down (a regex that backtracks catastrophically on it, say)
 * would be resent forever. So a line lost with its connection twice is sent alone, one such
 * line at a time; lost once more while alone, it is given up and reported (docs/protocol.md).
 * Those rules live in `ScanQueue` (scan_queue.ts), without sockets; each connection is a
 * `ScanSession` (scan_session.ts); which address (replica) each connection uses, and where it
 * goes when that one fails, is `ScanTargets` (scan_targets.ts); this file starts the
 * connections, reconnects, and feeds the queue from the input.
 */
import type { Socket } from "node:net";
import { probeService } from "../protocol/probe.ts";
import { ScanQueue } from "./scan_queue.ts";
import { ScanSession, type SessionContext } from "./scan_session.ts";
import { ScanTargets } from "./scan_targets.ts";

/** One line to send, and where it came from. */
export interface ScanItem {
  readonly source: string;
  readonly line: number;
  readonly text: string;
  /** `text` as UTF-8, when at hand: sent as it is, with no encoding (see `SentLine`). */
  readonly bytes?: Uint8Array | undefined;
}

/** One address of the lookup service (one replica, or the load balancer in front of them). */
export interface ScanTarget {
  /** As the user wrote it, for messages. */
  readonly name: string;
  /** Opens a connection to it (node:net `createConnection`). */
  readonly connect: () => Socket;
}

export interface ScanDeps {
  /**
   * The service's addresses, at least one: connections are spread over them in turn, and a
   * connection whose address fails moves to the next (docs/scale-out.md).
   */
  readonly targets: readonly ScanTarget[];
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface ScanOptions {
  readonly connections: number;
  /** Lines in flight per connection. */
  readonly window: number;
  /** -r: ReplyBack; otherwise detections go to the service's own target. */
  readonly replyBack: boolean;
  /** How long to keep trying to (re)connect after a failure, in ms (over every address). */
  readonly connectionTimeoutMs: number;
  /** How long one connection may stay silent with lines in flight before it is considered lost. */
  readonly replyTimeoutMs: number;
}

export interface ScanCallbacks {
  /**
   * A line's answers are complete (called once per line, in completion order). `count` is the
   * number of detections: those received, or without ReplyBack the finished event's
   * `sent_events` (the detections went to the service's own target).
   */
  readonly onLineDone: (item: ScanItem, detections: readonly string[], count: number) => void;
  /** A line was given up: the connection was lost every time it was sent, the last time alone. */
  readonly onLineFailed?: (item: ScanItem, losses: number) => void;
  readonly onLog?: (message: string) => void;
}

export interface ScanOutcome {
  readonly sent: number;
  readonly detections: number;
  /** Lines given up because the service was lost every time they were sent (see onLineFailed). */
  readonly failed: number;
  /** False when the service could not be reached again or the scan was interrupted. */
  readonly complete: boolean;
  readonly error?: string;
  readonly reconnects: number;
}

/** Thrown by `runScan` callers' connect when the service is unreachable for good. */
export class ServiceUnreachableError extends Error {
  override readonly name = "ServiceUnreachableError";
}

/**
 * Sends every item of `items` and waits for every answer. `items` may yield lines one at a time
 * or in batches (arrays, in order): a batch per chunk read saves a promise per line.
 *
 * @example
 * ```ts
 * const targets = [{ name: "127.0.0.1:9999", connect: () => createConnection(9999, "127.0.0.1") }];
 * const outcome = await runScan(items, { targets, now: Date.now, sleep },
 *   { connections: 8, window: 256, replyBack: true, connectionTimeoutMs: 15000, replyTimeoutMs: 60000 },
 *   { onLineDone: (item, detections) => {} }, signal);
 * ```
 */
export function runScan(
  items: AsyncIterable<ScanItem | readonly ScanItem[]>,
  deps: ScanDeps,
  options: ScanOptions,
  callbacks: ScanCallbacks,
  signal?: AbortSignal,
): Promise<ScanOutcome> {
  return new ScanRun(items, deps, options, callbacks, signal).run();
}

/**
 * The state all connections of one scan share: the input being read, the queue, the waiting
 * sessions, the PING that proves the service is back, the counts and the first fatal failure.
 * Each connection's own state is a `ScanSession`.
 */
class ScanRun {
  readonly #iterator: AsyncIterator<ScanItem | readonly ScanItem[]>;
  readonly #deps: ScanDeps;
  readonly #options: ScanOptions;
  readonly #signal: AbortSignal | undefined;
  readonly #queue: ScanQueue<ScanItem>;
  /** Per address: what its sessions share with the scan. */
  readonly #sessions: readonly SessionContext<ScanItem>[];
  readonly #targets: ScanTargets;
  readonly #waiters = new Set<() => void>();
  #filling: Promise<void> | undefined;
  /** Per address: the PING in progress, one at a time for all its connections. */
  readonly #proving = new Map<ScanTarget, Promise<boolean>>();
  #detections = 0;
  #reconnects = 0;
  #failure: string | undefined;

  constructor(items: AsyncIterable<ScanItem | readonly ScanItem[]>, deps: ScanDeps, options: ScanOptions, callbacks: ScanCallbacks, signal?: AbortSignal) {
    this.#iterator = items[Symbol.asyncIterator]();
    this.#deps = deps;
    this.#options = options;
    this.#signal = signal;
    this.#queue = new ScanQueue<ScanItem>({
      onWake: this.#wake,
      onLow: () => void this.#ensureFill(),
      onGiveUp: (item, losses) => callbacks.onLineFailed?.(item, losses),
    });
    if (deps.targets.length === 0) throw new RangeError("runScan failed: no address of the lookup service, expected at least one");
    this.#targets = new ScanTargets(deps.targets.length, deps.now, options.connectionTimeoutMs);
    const shared: Omit<SessionContext<ScanItem>, "connect" | "target"> = {
      queue: this.#queue,
      waiters: this.#waiters,
      wake: this.#wake,
      now: deps.now,
      window: options.window,
      replyBack: options.replyBack,
      replyTimeoutMs: options.replyTimeoutMs,
      onAnswered: (item, lines, count) => {
        this.#detections += count;
        callbacks.onLineDone(item, lines, count);
      },
      ...(callbacks.onLog ? { onLog: callbacks.onLog } : {}),
      ...(signal ? { signal } : {}),
    };
    // Messages name the address only when there is a choice of them.
    this.#sessions = deps.targets.map((t) => ({ ...shared, connect: t.connect, ...(deps.targets.length > 1 ? { target: t.name } : {}) }));
  }

  async run(): Promise<ScanOutcome> {
    await this.#ensureFill();
    const workers = Array.from({ length: Math.max(1, this.#options.connections) }, (_, i) => this.#worker(i));
    await Promise.all(workers);
    const signal = this.#signal;
    const complete = !signal?.aborted && this.#queue.done;
    const { sent, failed } = this.#queue;
    const detections = this.#detections;
    const reconnects = this.#reconnects;
    if (complete) return { sent, detections, failed, complete, reconnects };
    return { sent, detections, failed, complete, reconnects, error: signal?.aborted ? "interrupted" : (this.#failure ?? "the scan stopped early") };
  }

  readonly #wake = (): void => {
    // Cleared before the calls: a waiter that finds nothing to send re-registers during its call,
    // and clearing afterwards dropped that registration, leaving an idle connection asleep for
    // good and the scan unfinished (seen as a stalled 1 GiB benchmark scan).
    const woken = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of woken) waiter();
  };

  async #fill(): Promise<void> {
    while (this.#queue.needsInput) {
      const next = await this.#iterator.next();
      if (next.done) this.#queue.end();
      else if (isBatch(next.value)) for (const item of next.value) this.#queue.add(item);
      else this.#queue.add(next.value);
    }
  }

  #ensureFill(): Promise<void> {
    if (!this.#filling) {
      this.#filling = this.#fill().finally(() => {
        this.#filling = undefined;
        this.#wake();
      });
    }
    return this.#filling;
  }

  /**
   * One connection's life: connect, send within the window, read answers, hand back on loss;
   * after a failure to connect, the next address (ScanTargets).
   */
  async #worker(index: number): Promise<void> {
    const queue = this.#queue;
    while (!this.#signal?.aborted && this.#failure === undefined) {
      if (queue.done) return;
      if (queue.pendingCount === 0 && !queue.exhausted) await this.#ensureFill();
      if (queue.pendingCount === 0) {
        // Nothing to send now: wait for other workers to finish or requeue.
        if (queue.done) return;
        await new Promise<void>((resolve) => this.#waiters.add(resolve));
        continue;
      }
      const at = this.#targets.current(index);
      const target = this.#deps.targets[at]!;
      const result = queue.needsProof && !(await this.#prove(target)) ? { error: `${target.name} does not answer PING` } : await ScanSession.run(this.#sessions[at]!, index);
      if (result === "done") return;
      if (result === "stale" || result === "lost") {
        this.#targets.succeeded(index);
        if (result === "lost") this.#reconnects++;
        continue;
      }
      const after = this.#targets.failed(index);
      if (after.kind === "give-up") {
        this.#failure ??= `cannot connect to the lookup service: ${result.error}`;
        this.#wake();
        return;
      }
      if (after.target !== at) this.#sessions[at]!.onLog?.(`connection ${index + 1}: ${target.name}: ${result.error}; trying ${this.#deps.targets[after.target]!.name}`);
      if (after.pause) await this.#deps.sleep(Math.min(500, this.#options.connectionTimeoutMs / 10));
    }
  }

  /** One PING at a time per address; true once `target` answered PONG since the latest loss. */
  #prove(target: ScanTarget): Promise<boolean> {
    let proving = this.#proving.get(target);
    if (proving === undefined) {
      proving = (async () => {
        const epoch = this.#queue.lossEpoch;
        const ok = await probeService(target.connect, Math.min(5000, this.#options.replyTimeoutMs));
        if (ok) this.#queue.proven(epoch);
        return ok;
      })().finally(() => this.#proving.delete(target));
      this.#proving.set(target, proving);
    }
    return proving;
  }
}

function isBatch(value: ScanItem | readonly ScanItem[]): value is readonly ScanItem[] {
  return Array.isArray(value);
}
