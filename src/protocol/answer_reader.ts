/**
 * The client half of one event connection (spec cybertrace-service.md §2.4, docs/protocol.md):
 * lines go out LF-terminated; the answers come back as lines, the detections of a line first,
 * then that line's finished event, and lines are answered in the order they were sent. So each
 * answer belongs to the oldest line not yet finished.
 */

import { Buffer } from "node:buffer";

/** The marker of a finished event: a line holding it ends the answers to one sent line. */
export const FINISHED_MARK = "LookupFinished";

/** A line the reader can send: its text, without the LF. */
export interface SentLine {
  readonly text: string;
  /** `text` as UTF-8, when the sender has it (a line as read from a file): copied as it is, `text` not read. */
  readonly bytes?: Uint8Array | undefined;
  /**
   * With `bytes`: the same bytes as `chunk[start, end)`. Lines back to back in one chunk, each
   * with its LF at `chunk[end]`, go out as one view of the chunk, with no copy.
   */
  readonly chunk?: Uint8Array | undefined;
  readonly start?: number | undefined;
  readonly end?: number | undefined;
}

/**
 * Called once per answered line, in sending order: the detection lines received for it (empty
 * and shared when there were none; otherwise the array is the callee's) and the finished event's
 * `sent_events=N`: the number after its first `sent_events=` followed by a digit, 0 when it has none.
 */
export type OnAnswer<T> = (item: T, detections: readonly string[], sentEvents: number) => void;

/** Compact the queue of sent lines once this many answered ones sit at its front. */
const COMPACT_AFTER = 4096;

const LF = 0x0a;
const CR = 0x0d;
const MARK_BYTES = Buffer.from(FINISHED_MARK);
const SENT_EVENTS_BYTES = Buffer.from("sent_events=");
/** More digits than this may not add up exactly in a double: those go through `Number`. */
const EXACT_DIGITS = 15;
const NO_DETECTIONS: readonly string[] = Object.freeze([]);

/**
 * The `sent_events=N` of the finished line `bytes[start, end)`: the digits after its first
 * `sent_events=` followed by a digit, 0 when it has none; read without making the line's text.
 */
function sentEventsIn(bytes: Buffer, start: number, end: number): number {
  for (let at = bytes.indexOf(SENT_EVENTS_BYTES, start); at >= 0 && at + SENT_EVENTS_BYTES.length < end; at = bytes.indexOf(SENT_EVENTS_BYTES, at + 1)) {
    const from = at + SENT_EVENTS_BYTES.length;
    let to = from;
    let n = 0;
    for (; to < end && bytes[to]! >= 0x30 && bytes[to]! <= 0x39; to++) n = n * 10 + bytes[to]! - 0x30;
    if (to === from) continue;
    return to - from > EXACT_DIGITS ? Number(bytes.toString("latin1", from, to)) : n;
  }
  return 0;
}

/** `lines` as one buffer: each line's bytes (or its text encoded) and an LF. */
function encodeLines(lines: readonly SentLine[]): Uint8Array {
  let size = 0;
  for (const line of lines) size += (line.bytes?.length ?? Buffer.byteLength(line.text)) + 1;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const line of lines) {
    const bytes = line.bytes;
    if (bytes !== undefined) {
      out.set(bytes, at);
      at += bytes.length;
    } else at += out.write(line.text, at);
    out[at++] = LF;
  }
  return out;
}

/**
 * Tracks the lines sent on one connection and attributes the answers read back to them. Holds
 * no socket: `send` returns the bytes to write, `push` takes the bytes read. Empty answer lines
 * are skipped, a CR before an LF is dropped, and a finished event with no line waiting for it
 * (an answer to nothing sent) is ignored. Answers are read as bytes: a finished event with no
 * detections before it (most lines) becomes no string at all.
 *
 * @example
 * ```ts
 * const reader = new AnswerReader<{ text: string }>((item, detections) => console.log(item.text, detections));
 * for (const piece of reader.send([{ text: "GET http://fakess123.nu/" }])) socket.write(piece); // the line's UTF-8 and an LF
 * reader.push(new TextEncoder().encode("Category=KL_Malicious_URL|...\nLookupFinished\n"));
 * // logs: GET http://fakess123.nu/ [ "Category=KL_Malicious_URL|..." ]
 * ```
 */
export class AnswerReader<T extends SentLine> {
  readonly #onAnswer: OnAnswer<T>;
  /** Lines sent, the answered ones before `#head`. */
  #sent: T[] = [];
  #head = 0;
  /** Detection lines of the oldest unanswered line, received so far. */
  #detections: string[] = [];
  /** An answer line's start whose LF has not arrived yet, in the pieces it came in. */
  #carry: Buffer[] = [];
  #carryLength = 0;
  /** No byte read yet: a BOM there is dropped, as a stream decoder drops it. */
  #atStart = true;
  /** Each line is decoded on its own: a UTF-8 character never spans an LF byte. */
  readonly #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

  constructor(onAnswer: OnAnswer<T>) {
    this.#onAnswer = onAnswer;
  }

  /** Lines sent and not yet answered. */
  get unansweredCount(): number {
    return this.#sent.length - this.#head;
  }

  /** The oldest line not yet answered: the next finished event is its. */
  get oldest(): T | undefined {
    return this.#sent[this.#head];
  }

  /** The lines sent and not yet answered, oldest first (to send again when the connection is lost). */
  unanswered(): T[] {
    return this.#sent.slice(this.#head);
  }

  /**
   * Records `batch` as sent, in order, and returns the bytes to write for it, in pieces to write
   * one after the other: each line and an LF. Lines that lie back to back in one chunk of the
   * input, each followed by its LF there, are one view of that chunk; the others are copied (their
   * `bytes`) or encoded (their `text`) into one buffer per run of them.
   */
  send(batch: readonly T[]): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    let chunk: Uint8Array | undefined;
    let runStart = 0;
    let runEnd = 0;
    let loose: T[] = [];
    for (const item of batch) {
      this.#sent.push(item);
      const { chunk: from, start, end } = item;
      if (from === undefined || start === undefined || end === undefined || from[end] !== LF) {
        if (chunk !== undefined) pieces.push(chunk.subarray(runStart, runEnd + 1));
        chunk = undefined;
        loose.push(item);
        continue;
      }
      if (from === chunk && start === runEnd + 1) {
        runEnd = end;
        continue;
      }
      if (chunk !== undefined) pieces.push(chunk.subarray(runStart, runEnd + 1));
      if (loose.length > 0) {
        pieces.push(encodeLines(loose));
        loose = [];
      }
      chunk = from;
      runStart = start;
      runEnd = end;
    }
    if (chunk !== undefined) pieces.push(chunk.subarray(runStart, runEnd + 1));
    if (loose.length > 0) pieces.push(encodeLines(loose));
    if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#sent.length) {
      this.#sent.splice(0, this.#head);
      this.#head = 0;
    }
    return pieces;
  }

  /**
   * Reads the next bytes of the answers; calls `onAnswer` for each finished event they complete.
   * Works on the bytes: a finished event with no detections before it (most lines) becomes no
   * string at all, and only detection lines are decoded.
   */
  push(chunk: Uint8Array): void {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#atStart) {
      if (this.#carryLength + bytes.length < 3 && bytes.indexOf(LF) < 0) return this.#hold(bytes);
      this.#atStart = false;
      if (this.#carryLength > 0) {
        bytes = Buffer.concat([...this.#carry, bytes]);
        this.#carry = [];
        this.#carryLength = 0;
      }
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    let last = bytes.lastIndexOf(LF);
    if (last < 0) return this.#hold(bytes);
    if (this.#carryLength > 0) {
      const held = this.#carryLength;
      bytes = Buffer.concat([...this.#carry, bytes]);
      last += held;
      this.#carry = [];
      this.#carryLength = 0;
    }
    this.#lines(bytes, last);
    if (last + 1 < bytes.length) this.#hold(bytes.subarray(last + 1));
  }

  /** Keeps a piece of an unfinished line (a copy: the reader of the socket may reuse its buffer). */
  #hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#carry.push(Buffer.from(bytes));
    this.#carryLength += bytes.length;
  }

  /** Reads the LF-terminated lines of `bytes[0, last]`. */
  #lines(bytes: Buffer, last: number): void {
    let start = 0;
    // The next finished mark at or after the current line (one search finds it for every line
    // before it); -1 when no mark follows.
    let mark = bytes.indexOf(MARK_BYTES, 0);
    while (start <= last) {
      const newline = bytes.indexOf(LF, start);
      const end = newline > start && bytes[newline - 1] === CR ? newline - 1 : newline;
      const lineStart = start;
      start = newline + 1;
      if (end === lineStart) continue;
      if (mark >= 0 && mark < lineStart) mark = bytes.indexOf(MARK_BYTES, lineStart);
      // The mark holds no CR or LF, so one that starts inside the line ends inside it.
      if (mark < 0 || mark >= end) {
        this.#detections.push(this.#decoder.decode(bytes.subarray(lineStart, end)));
        continue;
      }
      const item = this.#sent[this.#head];
      if (!item) continue; // an answer to nothing we sent: ignore
      this.#head++;
      const detections = this.#detections.length === 0 ? NO_DETECTIONS : this.#detections;
      if (detections !== NO_DETECTIONS) this.#detections = [];
      this.#onAnswer(item, detections, sentEventsIn(bytes, lineStart, end));
    }
  }
}
