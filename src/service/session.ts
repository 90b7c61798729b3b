/**
 * One event connection after its preamble (spec cybertrace-service.md §2): frames the bytes into
 * events, processes them, and routes what they produce — to the client with `X-KF-ReplyBack`,
 * otherwise to the configured output, never both (docs/protocol.md §2).
 */
import { renderFinishedEvent } from "../events/render_finished_event.ts";
import type { EventRenderContext } from "../events/event_render_context.ts";
import type { IndexReader } from "../matching/types.ts";
import { LineFramer } from "../protocol/line_framer.ts";
import type { Preamble } from "../protocol/preamble.ts";
import { processEvent, type Pipeline, type ProcessResult } from "./process_event.ts";
import type { ServiceCounters } from "./service_counters.ts";

/** What a session reads from the service on every event: the current state may be swapped by a reload. */
export interface SessionHost {
  current(): { readonly pipeline: Pipeline; readonly index: IndexReader; readonly eventDelimiter?: string };
  now(): number;
  /** Sends one line to the configured output (queued; never blocks). */
  toOutput(line: string): void;
  /** Called after every processed event, with how long it took and when it ended (`now()`). */
  onEvent(event: string, result: ProcessResult, ms: number, at: number): void;
  /** The framer threw: the chunk's events are lost and counted. */
  onError(error: Error): void;
  /** Lines cut at the 64 KiB limit since the last call. */
  onCut(lines: number): void;
}

/**
 * The host of a service's sessions (the main thread's, or a worker thread's): events, failures
 * and cut lines counted in `counters`, output lines to `toOutput`.
 */
export function countingHost(counters: ServiceCounters, current: SessionHost["current"], now: () => number, toOutput: (line: string) => void): SessionHost {
  return {
    current,
    now,
    toOutput,
    onEvent: (event, result, ms, at) => counters.event(event, result, ms, at),
    onError: (error) => counters.failed(error),
    onCut: (lines) => (counters.cut += lines),
  };
}

/**
 * What a session uses of its connection: a `node:net` Socket is one; tests pass an in-memory
 * fake, so the session's routing, framing and backpressure are tested without sockets.
 */
export interface SessionSocket {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  once(event: "end" | "close" | "drain", listener: () => void): unknown;
  /** Returns false when the chunk was queued past the high-water mark: wait for "drain". */
  write(chunk: string): boolean;
  /** Half-closes after flushing what was written; `callback` runs once that is done. */
  end(callback?: () => void): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  readonly writable: boolean;
  /** Bytes written but not yet flushed. */
  readonly writableLength: number;
  readonly destroyed: boolean;
}

const EMPTY_COUNTS: ReadonlyMap<string, number> = new Map();

/**
 * Routing, per the preamble:
 * - ReplyBack: detections and finished events are written back; a client that reads slowly
 *   pauses its own input (backpressure), no one else's.
 * - No ReplyBack: detections and finished events go to the output, so a forwarder that never
 *   reads its socket receives nothing and cannot stall; with our `X-IOCLENS-FinishedBack` the
 *   finished events come back instead of going to the output.
 */
export class Session {
  readonly socket: SessionSocket;
  /** `now()` when bytes last arrived, for the idle-slot timeout. */
  lastActive: number;
  readonly #host: SessionHost;
  readonly #replyBack: boolean;
  readonly #finishedBack: boolean;
  readonly #sendFinished: boolean;
  readonly #framer: LineFramer;
  readonly #eventOptions: { now: number; sendFinished: false; astralFree: boolean; peerIp?: string; base: string; baseOffset: number };
  /** Answer lines waiting for the next write, without their LFs (one `join` per chunk costs half of appending each). */
  readonly #out: string[] = [];
  // Per input line: one finished event after all its events (a line cut at 64 KiB or split by
  // EventDelimiter is several events, but clients wait for one answer per line they sent).
  #lineEvents = 0;
  #lineSent = 0;
  #lineCategories: Map<string, number> | undefined;
  #lineContext: EventRenderContext | undefined;
  #cutBefore = 0;
  /**
   * When the next event starts: the clock read that ended the previous event of the chunk (or
   * the chunk's arrival). One clock read per event instead of two: `Date.now()` costs about as
   * much as the framing of a line (2–3% of the service's CPU per event for the second read).
   */
  #eventStart = 0;
  #stopping = false;
  #aborted = false;
  /** Input held by the service while its output is backed up (worker threads, see `hold`). */
  #held = false;
  #awaitingDrain = false;

  constructor(socket: SessionSocket, preamble: Preamble, peerIp: string | undefined, host: SessionHost) {
    this.socket = socket;
    this.#host = host;
    this.lastActive = host.now();
    const current = host.current();
    this.#replyBack = preamble.replyBack;
    this.#finishedBack = preamble.finishedBack && !preamble.replyBack;
    this.#sendFinished = preamble.sendFinished || preamble.finishedBack || current.pipeline.finishedEnabled;
    // One options object per session, not per event: the spread cost ~2% of service CPU (profile).
    this.#eventOptions = { now: 0, sendFinished: false, astralFree: false, base: "", baseOffset: 0 };
    if (peerIp) this.#eventOptions.peerIp = peerIp;
    this.#framer = new LineFramer({
      ...(current.eventDelimiter ? { eventDelimiter: current.eventDelimiter } : {}),
      onEvent: (event, bmp, base, offset) => this.#onEvent(event, bmp, base, offset),
      onLineEnd: () => this.#onLineEnd(),
    });
    socket.on("data", (chunk: Uint8Array) => this.#consume(chunk));
    socket.once("end", () => {
      // Bun emits "end" when we destroy the socket ourselves: a cut line is not a whole one.
      if (this.#aborted) return;
      this.#eventStart = host.now();
      this.#framer.end();
      this.#flush();
      socket.end();
    });
    if (preamble.rest.length > 0) this.#consume(preamble.rest);
    socket.resume();
  }

  /** Nothing would be lost by closing now: no partial line held, no answer waiting to be written. */
  get quiescent(): boolean {
    return !this.#framer.midLine && this.#out.length === 0 && this.socket.writableLength === 0;
  }

  /** What its lines produce goes to the configured output (no X-KF-ReplyBack). */
  get routesToOutput(): boolean {
    return !this.#replyBack;
  }

  /**
   * Stops reading the client's input (`true`) until released (`false`): worker threads hand
   * output lines to the main thread faster than a SIEM may take them, and the main thread's queue
   * must not overflow where one thread would have been slowed by its own writes.
   */
  hold(on: boolean): void {
    this.#held = on;
    if (on) this.socket.pause();
    else if (!this.#awaitingDrain) this.socket.resume();
  }

  /** A line was begun but not ended. */
  get midLine(): boolean {
    return this.#framer.midLine;
  }

  /**
   * The service is stopping: the connection is closed as soon as it is quiescent (at once when it
   * already is), while input that completes a line is still processed. Resolves when closed.
   */
  stop(): Promise<void> {
    this.#stopping = true;
    const closed = new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
    });
    this.#closeIfQuiescent();
    return closed;
  }

  /** Closes the connection now; returns whether a partial line was lost with it. */
  abort(): boolean {
    const lost = this.#framer.midLine && !this.#aborted;
    this.#aborted = true;
    this.socket.destroy();
    return lost;
  }

  #closeIfQuiescent(): void {
    if (!this.#stopping || !this.quiescent || this.socket.destroyed) return;
    // end() flushes what was written; destroying at "finish" does not wait for a client that
    // never closes its side (a forwarder), which is what kept `serve` from stopping.
    this.socket.end(() => this.socket.destroy());
  }

  #consume(chunk: Uint8Array): void {
    this.lastActive = this.#eventStart = this.#host.now();
    try {
      this.#framer.push(chunk);
    } catch (error) {
      this.#host.onError(error as Error);
    }
    const cut = this.#framer.cutEvents;
    if (cut !== this.#cutBefore) {
      this.#host.onCut(cut - this.#cutBefore);
      this.#cutBefore = cut;
    }
    this.#flush();
    this.#closeIfQuiescent();
  }

  #onEvent(event: string, bmp: boolean, base: string, baseOffset: number): void {
    const host = this.#host;
    const now = this.#eventStart;
    const current = host.current();
    const options = this.#eventOptions;
    options.now = now;
    options.astralFree = bmp;
    options.base = base;
    options.baseOffset = baseOffset;
    const result = processEvent(current.pipeline, current.index, event, options);
    const end = host.now();
    this.#eventStart = end;
    host.onEvent(event, result, end - now, end);
    if (result.detections > 0) {
      if (this.#sendFinished) {
        for (const [category, n] of result.byCategory) {
          this.#lineCategories ??= new Map();
          this.#lineCategories.set(category, (this.#lineCategories.get(category) ?? 0) + n);
        }
      }
      if (this.#replyBack) for (const line of result.lines) this.#out.push(line);
      else for (const line of result.lines) host.toOutput(line);
    }
    this.#lineEvents++;
    this.#lineSent += result.detections;
    this.#lineContext ??= result.context;
  }

  #onLineEnd(): void {
    if (this.#lineEvents === 0) return;
    if (this.#sendFinished && this.#lineContext) {
      const line = renderFinishedEvent(this.#host.current().pipeline.templates, this.#lineContext, this.#lineSent, this.#lineCategories ?? EMPTY_COUNTS);
      if (this.#replyBack || this.#finishedBack) this.#out.push(line);
      else this.#host.toOutput(line);
    }
    this.#lineEvents = 0;
    this.#lineSent = 0;
    this.#lineCategories = undefined;
    this.#lineContext = undefined;
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    // The empty last line gives the text its final LF without a second string to join it to.
    this.#out.push("");
    const chunk = this.#out.join("\n");
    this.#out.length = 0;
    const socket = this.socket;
    if (!socket.writable) return;
    if (!socket.write(chunk)) {
      // The client reads slower than we answer: stop reading its input until it catches up.
      socket.pause();
      this.#awaitingDrain = true;
      socket.once("drain", () => {
        this.#awaitingDrain = false;
        if (!this.#held) socket.resume();
        this.#closeIfQuiescent();
      });
    }
  }
}
