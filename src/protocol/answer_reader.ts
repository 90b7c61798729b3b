/**
 * The client half of one event connection (spec cybertrace-service.md §2.4, docs/protocol.md):
 * lines go out LF-terminated; the answers come back as lines, the detections of a line first,
 * then that line's finished event, and lines are answered in the order they were sent. So each
 * answer belongs to the oldest line not yet finished.
 */

/** The marker of a finished event: a line holding it ends the answers to one sent line. */
export const FINISHED_MARK = "LookupFinished";

const SENT_EVENTS = /sent_events=(\d+)/;

/**
 * `sent_events=N` of a finished event (the detections the service sent for that line); 0 when
 * the event's format does not carry it.
 *
 * @example
 * ```ts
 * sentEvents("alert=LookupFinished sent_events=3 total=KL_Malicious_URL:3;"); // 3
 * ```
 */
export function sentEvents(finishedLine: string): number {
  const match = SENT_EVENTS.exec(finishedLine);
  return match ? Number(match[1]) : 0;
}

/** A line the reader can send: its text, without the LF. */
export interface SentLine {
  readonly text: string;
}

/**
 * Called once per answered line, in sending order: the detection lines received for it (the
 * array is the callee's) and the finished event's line.
 */
export type OnAnswer<T> = (item: T, detections: string[], finishedLine: string) => void;

/** Compact the queue of sent lines once this many answered ones sit at its front. */
const COMPACT_AFTER = 4096;

/**
 * Tracks the lines sent on one connection and attributes the answers read back to them. Holds
 * no socket: `send` returns the bytes to write, `push` takes the bytes read. Empty answer lines
 * are skipped, a CR before an LF is dropped, and a finished event with no line waiting for it
 * (an answer to nothing sent) is ignored.
 *
 * @example
 * ```ts
 * const reader = new AnswerReader<{ text: string }>((item, detections) => console.log(item.text, detections));
 * socket.write(reader.send([{ text: "GET http://fakess123.nu/" }]));
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
  /** An answer line's start whose LF has not arrived yet. */
  #carry = "";
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });

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

  /** Records `batch` as sent, in order, and returns the text to write for it: each line and an LF. */
  send(batch: readonly T[]): string {
    let payload = "";
    for (const item of batch) {
      this.#sent.push(item);
      payload += item.text + "\n";
    }
    if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#sent.length) {
      this.#sent.splice(0, this.#head);
      this.#head = 0;
    }
    return payload;
  }

  /** Reads the next bytes of the answers; calls `onAnswer` for each finished event they complete. */
  push(chunk: Uint8Array): void {
    const text = this.#carry + this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline = text.indexOf("\n");
    while (newline >= 0) {
      const line = text.slice(start, newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline);
      start = newline + 1;
      newline = text.indexOf("\n", start);
      if (line.length === 0) continue;
      if (!line.includes(FINISHED_MARK)) {
        this.#detections.push(line);
        continue;
      }
      const item = this.#sent[this.#head];
      if (!item) continue; // an answer to nothing we sent: ignore
      this.#head++;
      const detections = this.#detections;
      this.#detections = [];
      this.#onAnswer(item, detections, line);
    }
    this.#carry = text.slice(start);
  }
}
