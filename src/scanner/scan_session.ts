/**
 * One connection of a scan, from connect to close: sends the preamble, keeps the window of
 * lines in flight full from the shared `ScanQueue`, hands each answered line on, and on loss or
 * timeout gives its unanswered lines back to the queue (docs/protocol.md).
 *
 * Its state (connected, epoch, settled, last reply, reply timer) was once a closure inside
 * `runScan`; here it is one object per connection, driven by its socket's events.
 */
import type { Socket } from "node:net";
import { AnswerReader, type SentLine } from "../protocol/answer_reader.ts";
import { buildPreamble } from "../protocol/preamble.ts";
import { type ScanQueue, UNPROVEN } from "./scan_queue.ts";

/** How one session ended. "stale": closed by us to reconnect, since it was opened before the latest loss. */
export type SessionResult = "done" | "lost" | "stale" | { error: string };

/** What a session shares with the scan that runs it. */
export interface SessionContext<T extends SentLine & object> {
  readonly queue: ScanQueue<T>;
  /** Sessions waiting for lines register here; the scan calls them all when lines come back or arrive. */
  readonly waiters: Set<() => void>;
  /** Wakes every registered waiter. */
  readonly wake: () => void;
  readonly connect: () => Socket;
  /** The address `connect` reaches, named in messages when the scan has several. */
  readonly target?: string;
  readonly now: () => number;
  /** Lines in flight per connection. */
  readonly window: number;
  readonly replyBack: boolean;
  readonly replyTimeoutMs: number;
  /** A line's answers are complete; `count` as in `ScanCallbacks.onLineDone`. */
  readonly onAnswered: (item: T, detections: readonly string[], count: number) => void;
  readonly onLog?: (message: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * One connection's state machine. `ScanSession.run` opens the connection and resolves once it
 * is over.
 *
 * @example
 * ```ts
 * const result = await ScanSession.run(context, 0);
 * if (result === "lost") reconnects++;
 * ```
 */
export class ScanSession<T extends SentLine & object> {
  readonly #context: SessionContext<T>;
  readonly #name: string;
  readonly #resolve: (result: SessionResult) => void;
  readonly #socket: Socket;
  readonly #reader: AnswerReader<T>;
  #connected = false;
  #epoch = UNPROVEN;
  #settled = false;
  #lastReply: number;
  #replyTimer: ReturnType<typeof setInterval> | undefined;

  /** Runs one connection (number `index`, from 0) until it is done, lost, stale or fails to connect. */
  static run<T extends SentLine & object>(context: SessionContext<T>, index: number): Promise<SessionResult> {
    return new Promise((resolve) => new ScanSession(context, index, resolve));
  }

  private constructor(context: SessionContext<T>, index: number, resolve: (result: SessionResult) => void) {
    this.#context = context;
    this.#name = context.target === undefined ? `connection ${index + 1}` : `connection ${index + 1} to ${context.target}`;
    this.#resolve = resolve;
    this.#socket = context.connect();
    this.#reader = new AnswerReader<T>((item, lines, sent) => {
      context.queue.answered(item);
      context.onAnswered(item, lines, context.replyBack ? lines.length : sent);
    });
    this.#lastReply = context.now();
    context.signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#socket.once("connect", this.#onConnect);
    this.#socket.on("data", this.#onData);
    this.#socket.once("error", this.#onError);
    this.#socket.once("close", this.#onClose);
  }

  #finish(result: SessionResult): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#replyTimer) clearInterval(this.#replyTimer);
    const { signal, waiters, queue } = this.#context;
    signal?.removeEventListener("abort", this.#onAbort);
    waiters.delete(this.#onWake);
    queue.giveBack(this.#reader.unanswered(), result === "lost" && !signal?.aborted);
    this.#socket.removeAllListeners("data");
    this.#socket.destroy();
    this.#resolve(result);
  }

  #sendMore(): void {
    if (this.#settled || !this.#connected) return;
    const { queue, waiters, window } = this.#context;
    const inFlightNow = this.#reader.unansweredCount;
    // Refill only once half the window is answered: fewer, larger writes (and reads).
    if (inFlightNow > window / 2) return;
    const next = queue.next(window - inFlightNow, this.#epoch);
    switch (next.kind) {
      case "send":
        for (const piece of this.#reader.send(next.items)) this.#socket.write(piece);
        return;
      case "isolated":
        // A suspect is alone in flight: nothing else goes out until it is answered or given up.
        if (this.#reader.oldest !== next.item) waiters.add(this.#onWake);
        return;
      case "stale":
        if (inFlightNow === 0) this.#finish("stale");
        return;
      case "drain":
        if (inFlightNow === 0) waiters.add(this.#onWake);
        return;
      case "empty":
        if (queue.done) this.#finish("done");
        else if (this.#reader.unansweredCount === 0) {
          // Idle with nothing to send: let the worker wait for requeued lines.
          if (queue.exhausted) this.#finish("done");
          else waiters.add(this.#onWake);
        } else waiters.add(this.#onWake);
    }
  }

  /** Registered in `waiters`; the same function each time, so `finish` can remove it. */
  readonly #onWake = (): void => {
    if (!this.#settled) this.#sendMore();
  };

  readonly #onAbort = (): void => this.#finish("lost");

  readonly #onConnect = (): void => {
    const { queue, replyBack, replyTimeoutMs, now } = this.#context;
    this.#connected = true;
    // Proven only if opened after a PONG that followed the latest loss.
    this.#epoch = queue.connectionEpoch();
    this.#socket.setNoDelay(true);
    // Without -r detections go to the SIEM; our FinishedBack still tells us when a line is done.
    this.#socket.write(buildPreamble({ sendFinished: true, ...(replyBack ? { replyBack: true } : { finishedBack: true }) }));
    this.#lastReply = now();
    this.#replyTimer = setInterval(() => {
      if (this.#reader.unansweredCount > 0 && now() - this.#lastReply > replyTimeoutMs) {
        this.#context.onLog?.(`${this.#name}: no answer for ${replyTimeoutMs} ms, reconnecting`);
        this.#finish("lost");
      }
    }, Math.min(1000, replyTimeoutMs));
    this.#replyTimer.unref?.();
    this.#sendMore();
  };

  readonly #onData = (chunk: Uint8Array): void => {
    this.#lastReply = this.#context.now();
    this.#reader.push(chunk);
    this.#sendMore();
    if (this.#context.queue.done) {
      this.#context.wake();
      this.#finish("done");
    }
  };

  readonly #onError = (error: Error): void => {
    if (this.#settled) return;
    if (!this.#connected) this.#finish({ error: error.message });
    else {
      this.#context.onLog?.(`${this.#name} lost: ${error.message}; resending its unanswered lines`);
      this.#finish("lost");
    }
  };

  readonly #onClose = (): void => {
    // finish() destroys the socket itself: that close is ours, not the service's.
    if (this.#settled) return;
    if (!this.#connected) this.#finish({ error: "connection closed" });
    else if (this.#context.queue.done) this.#finish("done");
    else {
      this.#context.onLog?.(`${this.#name} closed by the service; resending its unanswered lines`);
      this.#finish("lost");
    }
  };
}
