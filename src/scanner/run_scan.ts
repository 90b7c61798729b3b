/**
 * The scan engine: streams lines over up to ThreadsCount connections to the lookup service,
 * keeps a bounded window of lines in flight on each, and attributes the answers to their line.
 *
 * Attribution relies on the protocol's ordering (spec cybertrace-service.md §2.4): on one
 * connection, the detections of a line arrive before that line's finished event, and lines are
 * answered in the order they were sent. Detections are committed only when the finished event
 * arrives, so when a connection drops, its unfinished lines are sent again (on any connection)
 * and nothing is counted twice.
 */
import type { Socket } from "node:net";

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
  readonly onLog?: (message: string) => void;
}

export interface ScanOutcome {
  readonly sent: number;
  readonly detections: number;
  /** False when the service could not be reached again or the scan was interrupted. */
  readonly complete: boolean;
  readonly error?: string;
  readonly reconnects: number;
}

const FINISHED = "LookupFinished";
const SENT_EVENTS = /sent_events=(\d+)/;

/** `sent_events=N` of a finished event; 0 when its format does not carry it. */
function sentEvents(line: string): number {
  const match = SENT_EVENTS.exec(line);
  return match ? Number(match[1]) : 0;
}
const FILL_TARGET = 8192;

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
  /** Lines waiting to be sent; resent lines go to the front. */
  const pending: ScanItem[] = [];
  let pendingHead = 0;
  let exhausted = false;
  let filling: Promise<void> | undefined;
  let sent = 0;
  let detections = 0;
  let reconnects = 0;
  let failure: string | undefined;
  const sentOnce = new WeakSet<ScanItem>();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
    waiters.clear();
  };

  async function fill(): Promise<void> {
    while (!exhausted && pending.length - pendingHead < FILL_TARGET) {
      const next = await iterator.next();
      if (next.done) exhausted = true;
      else pending.push(next.value);
    }
    if (pendingHead > 65536) {
      pending.splice(0, pendingHead);
      pendingHead = 0;
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

  function take(max: number): ScanItem[] {
    const end = Math.min(pending.length, pendingHead + max);
    const batch = pending.slice(pendingHead, end);
    pendingHead = end;
    if (pending.length - pendingHead < FILL_TARGET / 2) void ensureFill();
    return batch;
  }

  function requeue(lost: ScanItem[]): void {
    if (lost.length === 0) return;
    pending.splice(pendingHead, 0, ...lost);
    wake();
  }

  let inFlightTotal = 0;
  const allDone = () => exhausted && pending.length === pendingHead && inFlightTotal === 0;

  /** One connection's life: connect, send within the window, read answers, hand back on loss. */
  async function worker(index: number): Promise<void> {
    let firstFailureAt: number | undefined;
    while (!signal?.aborted && failure === undefined) {
      if (allDone()) return;
      if (pending.length === pendingHead && !exhausted) await ensureFill();
      if (pending.length === pendingHead) {
        // Nothing to send now: wait for other workers to finish or requeue.
        if (allDone()) return;
        await new Promise<void>((resolve) => waiters.add(resolve));
        continue;
      }
      const result = await session(index);
      if (result === "done") return;
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

  type SessionResult = "done" | "lost" | { error: string };

  function session(index: number): Promise<SessionResult> {
    return new Promise((resolve) => {
      const socket = deps.connect();
      const inFlight: ScanItem[] = [];
      let inFlightHead = 0;
      let current: string[] = [];
      let carry = "";
      let connected = false;
      let settled = false;
      let lastReply = deps.now();
      let replyTimer: ReturnType<typeof setInterval> | undefined;
      const decoder = new TextDecoder("utf-8", { fatal: false });

      const finish = (result: SessionResult) => {
        if (settled) return;
        settled = true;
        if (replyTimer) clearInterval(replyTimer);
        signal?.removeEventListener("abort", onAbort);
        waiters.delete(onWake);
        const lost = inFlight.slice(inFlightHead);
        inFlightTotal -= lost.length;
        requeue(lost);
        socket.removeAllListeners("data");
        socket.destroy();
        resolve(result);
      };
      const onAbort = () => finish("lost");
      signal?.addEventListener("abort", onAbort, { once: true });

      const sendMore = () => {
        if (settled || !connected) return;
        const inFlightNow = inFlight.length - inFlightHead;
        // Refill only once half the window is answered: fewer, larger writes (and reads).
        if (inFlightNow > options.window / 2) return;
        const room = options.window - inFlightNow;
        const batch = take(room);
        if (batch.length === 0) {
          if (allDone()) finish("done");
          else if (inFlight.length === inFlightHead) {
            // Idle with nothing to send: let the worker wait for requeued lines.
            if (exhausted) finish("done");
            else waiters.add(onWake);
          } else waiters.add(onWake);
          return;
        }
        let payload = "";
        for (const item of batch) {
          inFlight.push(item);
          payload += item.text + "\n";
          if (!sentOnce.has(item)) {
            sentOnce.add(item);
            sent++;
          }
        }
        inFlightTotal += batch.length;
        if (inFlightHead > 4096 && inFlightHead * 2 > inFlight.length) {
          inFlight.splice(0, inFlightHead);
          inFlightHead = 0;
        }
        socket.write(payload);
      };
      function onWake() {
        if (!settled) sendMore();
      }

      socket.once("connect", () => {
        connected = true;
        socket.setNoDelay(true);
        socket.write(options.replyBack ? "X-KF-SendFinishedEventX-KF-ReplyBack" : "X-KF-SendFinishedEvent");
        lastReply = deps.now();
        replyTimer = setInterval(() => {
          if (inFlight.length > inFlightHead && deps.now() - lastReply > options.replyTimeoutMs) {
            callbacks.onLog?.(`connection ${index + 1}: no answer for ${options.replyTimeoutMs} ms, reconnecting`);
            finish("lost");
          }
        }, Math.min(1000, options.replyTimeoutMs));
        replyTimer.unref?.();
        sendMore();
      });
      socket.on("data", (chunk: Uint8Array) => {
        lastReply = deps.now();
        const text = carry + decoder.decode(chunk, { stream: true });
        let start = 0;
        let newline = text.indexOf("\n");
        while (newline >= 0) {
          const line = text.slice(start, newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline);
          start = newline + 1;
          newline = text.indexOf("\n", start);
          if (line.length === 0) continue;
          if (line.includes(FINISHED)) {
            const item = inFlight[inFlightHead];
            if (!item) continue; // an answer to nothing we sent: ignore
            inFlightHead++;
            inFlightTotal--;
            const count = options.replyBack ? current.length : sentEvents(line);
            detections += count;
            callbacks.onLineDone(item, current, count);
            current = [];
          } else {
            current.push(line);
          }
        }
        carry = text.slice(start);
        sendMore();
        if (allDone()) {
          wake();
          finish("done");
        }
      });
      socket.once("error", (error: Error) => {
        if (!connected) finish({ error: error.message });
        else {
          callbacks.onLog?.(`connection ${index + 1} lost: ${error.message}; resending its unanswered lines`);
          finish("lost");
        }
      });
      socket.once("close", () => {
        if (!connected) finish({ error: "connection closed" });
        else if (allDone()) finish("done");
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
  const complete = !signal?.aborted && allDone();
  if (complete) return { sent, detections, complete, reconnects };
  return { sent, detections, complete, reconnects, error: signal?.aborted ? "interrupted" : (failure ?? "the scan stopped early") };
}
