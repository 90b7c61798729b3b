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
 * Those rules live in `ScanQueue` (scan_queue.ts), without sockets; this file connects, waits
 * and drives it.
 */
import type { Socket } from "node:net";
import { AnswerReader, sentEvents } from "../protocol/answer_reader.ts";
import { buildPreamble } from "../protocol/preamble.ts";
import { probeService } from "../protocol/probe.ts";
import { ScanQueue, UNPROVEN } from "./scan_queue.ts";

/** One line to send, and where it came from. */
export interface ScanItem {
  readonly source: string;
  readonly line: number;
  readonly text: string;
}

export interface ScanDeps {
  /** Opens a connection to the service (node:net `createConnection`). */
  readonly connect: () => Socket;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface ScanOptions {
  readonly connections: number;
  /** Lines in flight per connection. */
  readonly window: number;
  /** -r: ReplyBack; otherwise detections go to the service's own target. */
  readonly replyBack: boolean;
  /** How long to keep trying to (re)connect after a failure, in ms. */
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
 * Sends every item of `items` and waits for every answer.
 *
 * @example
 * ```ts
 * const outcome = await runScan(items, { connect: () => createConnection(9999, "127.0.0.1"), now: Date.now, sleep },
 *   { connections: 8, window: 256, replyBack: true, connectionTimeoutMs: 15000, replyTimeoutMs: 60000 },
 *   { onLineDone: (item, detections) => {} }, signal);
 * ```
 */
export async function runScan(
  items: AsyncIterable<ScanItem>,
  deps: ScanDeps,
  options: ScanOptions,
  callbacks: ScanCallbacks,
  signal?: AbortSignal,
): Promise<ScanOutcome> {
  const iterator = items[Symbol.asyncIterator]();
  let filling: Promise<void> | undefined;
  let detections = 0;
  let reconnects = 0;
  let failure: string | undefined;
  let proving: Promise<boolean> | undefined;
  const waiters = new Set<() => void>();
  const wake = () => {
    // Cleared before the calls: a waiter that finds nothing to send re-registers during its call,
    // and clearing afterwards dropped that registration, leaving an idle connection asleep for
    // good and the scan unfinished (seen as a stalled 1 GiB benchmark scan).
    const woken = [...waiters];
    waiters.clear();
    for (const waiter of woken) waiter();
  };
  const queue = new ScanQueue<ScanItem>({
    onWake: wake,
    onLow: () => void ensureFill(),
    onGiveUp: (item, losses) => callbacks.onLineFailed?.(item, losses),
  });

  async function fill(): Promise<void> {
    while (queue.needsInput) {
      const next = await iterator.next();
      if (next.done) queue.end();
      else queue.add(next.value);
    }
  }

  function ensureFill(): Promise<void> {
    if (!filling) {
      filling = fill().finally(() => {
        filling = undefined;
        wake();
      });
    }
    return filling;
  }

  /** One connection's life: connect, send within the window, read answers, hand back on loss. */
  async function worker(index: number): Promise<void> {
    let firstFailureAt: number | undefined;
    while (!signal?.aborted && failure === undefined) {
      if (queue.done) return;
      if (queue.pendingCount === 0 && !queue.exhausted) await ensureFill();
      if (queue.pendingCount === 0) {
        // Nothing to send now: wait for other workers to finish or requeue.
        if (queue.done) return;
        await new Promise<void>((resolve) => waiters.add(resolve));
        continue;
      }
      const result = queue.needsProof && !(await prove()) ? { error: "the service does not answer PING" } : await session(index);
      if (result === "done") return;
      if (result === "stale") continue;
      if (result === "lost") {
        firstFailureAt = undefined;
        reconnects++;
        continue;
      }
      // Could not connect.
      firstFailureAt ??= deps.now();
      if (deps.now() - firstFailureAt >= options.connectionTimeoutMs) {
        failure ??= `cannot connect to the lookup service: ${result.error}`;
        wake();
        return;
      }
      await deps.sleep(Math.min(500, options.connectionTimeoutMs / 10));
    }
  }

  /** "stale": closed by us to reconnect, since it was opened before the latest loss. */
  type SessionResult = "done" | "lost" | "stale" | { error: string };

  /** One PING at a time for all connections; true once the service answered PONG since the latest loss. */
  function prove(): Promise<boolean> {
    proving ??= (async () => {
      const epoch = queue.lossEpoch;
      const ok = await probeService(deps.connect, Math.min(5000, options.replyTimeoutMs));
      if (ok) queue.proven(epoch);
      return ok;
    })().finally(() => {
      proving = undefined;
    });
    return proving;
  }

  function session(index: number): Promise<SessionResult> {
    return new Promise((resolve) => {
      const socket = deps.connect();
      const reader = new AnswerReader<ScanItem>((item, lines, finishedLine) => {
        queue.answered(item);
        const count = options.replyBack ? lines.length : sentEvents(finishedLine);
        detections += count;
        callbacks.onLineDone(item, lines, count);
      });
      let connected = false;
      let epoch = UNPROVEN;
      let settled = false;
      let lastReply = deps.now();
      let replyTimer: ReturnType<typeof setInterval> | undefined;

      const finish = (result: SessionResult) => {
        if (settled) return;
        settled = true;
        if (replyTimer) clearInterval(replyTimer);
        signal?.removeEventListener("abort", onAbort);
        waiters.delete(onWake);
        queue.giveBack(reader.unanswered(), result === "lost" && !signal?.aborted);
        socket.removeAllListeners("data");
        socket.destroy();
        resolve(result);
      };
      const onAbort = () => finish("lost");
      signal?.addEventListener("abort", onAbort, { once: true });

      const sendMore = () => {
        if (settled || !connected) return;
        const inFlightNow = reader.unansweredCount;
        // Refill only once half the window is answered: fewer, larger writes (and reads).
        if (inFlightNow > options.window / 2) return;
        const next = queue.next(options.window - inFlightNow, epoch);
        switch (next.kind) {
          case "send":
            socket.write(reader.send(next.items));
            return;
          case "isolated":
            // A suspect is alone in flight: nothing else goes out until it is answered or given up.
            if (reader.oldest !== next.item) waiters.add(onWake);
            return;
          case "stale":
            if (inFlightNow === 0) finish("stale");
            return;
          case "drain":
            if (inFlightNow === 0) waiters.add(onWake);
            return;
          case "empty":
            if (queue.done) finish("done");
            else if (reader.unansweredCount === 0) {
              // Idle with nothing to send: let the worker wait for requeued lines.
              if (queue.exhausted) finish("done");
              else waiters.add(onWake);
            } else waiters.add(onWake);
        }
      };
      function onWake() {
        if (!settled) sendMore();
      }

      socket.once("connect", () => {
        connected = true;
        // Proven only if opened after a PONG that followed the latest loss.
        epoch = queue.connectionEpoch();
        socket.setNoDelay(true);
        // Without -r detections go to the SIEM; our FinishedBack still tells us when a line is done.
        socket.write(buildPreamble({ sendFinished: true, ...(options.replyBack ? { replyBack: true } : { finishedBack: true }) }));
        lastReply = deps.now();
        replyTimer = setInterval(() => {
          if (reader.unansweredCount > 0 && deps.now() - lastReply > options.replyTimeoutMs) {
            callbacks.onLog?.(`connection ${index + 1}: no answer for ${options.replyTimeoutMs} ms, reconnecting`);
            finish("lost");
          }
        }, Math.min(1000, options.replyTimeoutMs));
        replyTimer.unref?.();
        sendMore();
      });
      socket.on("data", (chunk: Uint8Array) => {
        lastReply = deps.now();
        reader.push(chunk);
        sendMore();
        if (queue.done) {
          wake();
          finish("done");
        }
      });
      socket.once("error", (error: Error) => {
        if (settled) return;
        if (!connected) finish({ error: error.message });
        else {
          callbacks.onLog?.(`connection ${index + 1} lost: ${error.message}; resending its unanswered lines`);
          finish("lost");
        }
      });
      socket.once("close", () => {
        // finish() destroys the socket itself: that close is ours, not the service's.
        if (settled) return;
        if (!connected) finish({ error: "connection closed" });
        else if (queue.done) finish("done");
        else {
          callbacks.onLog?.(`connection ${index + 1} closed by the service; resending its unanswered lines`);
          finish("lost");
        }
      });
    });
  }

  await ensureFill();
  const workers = Array.from({ length: Math.max(1, options.connections) }, (_, i) => worker(i));
  await Promise.all(workers);
  const complete = !signal?.aborted && queue.done;
  const { sent, failed } = queue;
  if (complete) return { sent, detections, failed, complete, reconnects };
  return { sent, detections, failed, complete, reconnects, error: signal?.aborted ? "interrupted" : (failure ?? "the scan stopped early") };
}
