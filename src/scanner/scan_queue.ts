/**
 * The state of a scan without its sockets: the lines waiting to be sent, how many are in flight
 * over all connections, how often each line was lost with its connection, and the one suspect
 * line sent alone. `runScan` drives it from its connections; it never blocks and holds no timer,
 * so every rule here is tested without a socket (test/scanner/scan_queue.test.ts).
 *
 * A line lost with its connection goes back to the front of the queue. Lost twice, it is a
 * suspect: never batched, sent alone (nothing else in flight anywhere) and only on a connection
 * opened after the service answered a PING since the latest loss. Lost once more while alone, it
 * is given up (docs/protocol.md).
 */

/** Lines the queue wants buffered from the input; `needsInput` is true below it. */
export const FILL_TARGET = 8192;
/** Losses after which a line is sent alone: one loss is what a plain service restart costs. */
export const SUSPECT_LOSSES = 2;
/** Sent lines kept at the front of the buffer before it is compacted. */
const COMPACT_AFTER = 65536;

/** What the queue calls back; neither call may throw. */
export interface ScanQueueEvents<T> {
  /**
   * Something may have become sendable (lines requeued, a suspect answered or given up, a loss
   * counted): connections waiting for lines should look again.
   */
  readonly onWake: () => void;
  /** Fewer than half of FILL_TARGET lines wait and the input is not exhausted: read more. */
  readonly onLow: () => void;
  /** A line was given up: lost with its connection every time it was sent, the last time alone. */
  readonly onGiveUp: (item: T, losses: number) => void;
}

/** What a connection may do next: send `items`, or why it may not. */
export type NextLines<T> =
  | { readonly kind: "send"; readonly items: T[] }
  /** A suspect is in flight alone: nothing else goes out until it is answered or given up. */
  | { readonly kind: "isolated"; readonly item: T }
  /** A suspect is next and this connection was opened before the latest loss: reconnect. */
  | { readonly kind: "stale" }
  /** A suspect is next and waits for every line in flight to be answered. */
  | { readonly kind: "drain" }
  /** Nothing waits to be sent. */
  | { readonly kind: "empty" };

/** Returned by `connectionEpoch` for a connection opened before the service proved itself again. */
export const UNPROVEN = -1;

/**
 * @example
 * ```ts
 * const queue = new ScanQueue<Line>({ onWake: wake, onLow: () => void fill(), onGiveUp: report });
 * queue.add(line); queue.end();
 * const next = queue.next(256, queue.connectionEpoch());
 * if (next.kind === "send") socket.write(reader.send(next.items));
 * ```
 */
export class ScanQueue<T extends object> {
  readonly #events: ScanQueueEvents<T>;
  /** Lines waiting to be sent from `#head` on; resent lines go to the front. */
  #pending: T[] = [];
  #head = 0;
  #exhausted = false;
  #inFlight = 0;
  #sent = 0;
  #failed = 0;
  /**
   * Lines given back after being sent, until sent again: only these may have been sent before,
   * so `sent` counts every other line it sends without a per-line set look-up (a WeakSet check
   * and add per line cost 6% of the scanner's CPU).
   */
  readonly #returned = new Set<T>();
  /** Times each unanswered line was in flight on a lost connection (empty in a healthy scan). */
  readonly #losses = new Map<T, number>();
  /** The suspect line in flight alone, if any: at most one at a time across connections. */
  #isolated: T | undefined;
  /**
   * Counts connection losses that cost lines. After one, connections are opened only once the
   * service answered a PING again (`#provenEpoch`), and a suspect goes only on such a connection:
   * a dying service still accepts connections for a moment, and a suspect sent to it would be
   * "lost alone" through no fault of its own.
   */
  #lossEpoch = 0;
  #provenEpoch = 0;

  constructor(events: ScanQueueEvents<T>) {
    this.#events = events;
  }

  /** Lines sent at least once. */
  get sent(): number {
    return this.#sent;
  }

  /** Lines given up (see `onGiveUp`). */
  get failed(): number {
    return this.#failed;
  }

  /** Lines waiting to be sent. */
  get pendingCount(): number {
    return this.#pending.length - this.#head;
  }

  /** The input has ended: no line will be added. */
  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** The input should be read further: it has not ended and fewer than FILL_TARGET lines wait. */
  get needsInput(): boolean {
    return !this.#exhausted && this.pendingCount < FILL_TARGET;
  }

  /** Every line was answered or given up. */
  get done(): boolean {
    return this.#exhausted && this.pendingCount === 0 && this.#inFlight === 0;
  }

  /** Lines were lost since the service last answered a PING: prove it before connecting. */
  get needsProof(): boolean {
    return this.#losses.size > 0 && this.#provenEpoch !== this.#lossEpoch;
  }

  /** The current loss count, to pass to `proven` once a PING started now is answered. */
  get lossEpoch(): number {
    return this.#lossEpoch;
  }

  /** The service answered a PING sent when the loss count was `epoch`. */
  proven(epoch: number): void {
    if (this.#provenEpoch < epoch) this.#provenEpoch = epoch;
  }

  /** What a connection opening now is proven for: the loss count, or UNPROVEN. */
  connectionEpoch(): number {
    return this.#provenEpoch === this.#lossEpoch ? this.#lossEpoch : UNPROVEN;
  }

  /** Appends a line read from the input. */
  add(item: T): void {
    if (this.#head > COMPACT_AFTER) {
      this.#pending.splice(0, this.#head);
      this.#head = 0;
    }
    this.#pending.push(item);
  }

  /** The input ended. */
  end(): void {
    this.#exhausted = true;
  }

  /**
   * The next lines for a connection with `room` free places in its window, opened at `epoch`
   * (`connectionEpoch()` when it connected). Lines returned in `send` count as in flight.
   */
  next(room: number, epoch: number): NextLines<T> {
    if (this.#isolated !== undefined) return { kind: "isolated", item: this.#isolated };
    const head = this.#losses.size > 0 ? this.#pending[this.#head] : undefined;
    if (head !== undefined && this.#suspect(head)) {
      // Sent only once nothing else is in flight, so losing it again is its own doing.
      if (epoch !== this.#lossEpoch) return { kind: "stale" };
      if (this.#inFlight > 0) return { kind: "drain" };
      this.#head++;
      this.#isolated = head;
      return this.#send([head]);
    }
    const batch = this.#take(room);
    return batch.length === 0 ? { kind: "empty" } : this.#send(batch);
  }

  /** `item`'s finished event arrived: it is done. */
  answered(item: T): void {
    this.#inFlight--;
    if (this.#losses.size > 0 && this.#losses.delete(item) && item === this.#isolated) {
      this.#isolated = undefined;
      this.#events.onWake();
    }
  }

  /**
   * A connection ended with `unanswered` lines in flight. With `lost`, the service dropped them:
   * each counts a loss, and the isolated suspect among them is given up. The others go back to
   * the front of the queue.
   */
  giveBack(unanswered: T[], lost: boolean): void {
    this.#inFlight -= unanswered.length;
    const again = lost && unanswered.length > 0 ? this.#countLosses(unanswered) : unanswered;
    if (again.length === 0) return;
    for (const item of again) this.#returned.add(item);
    this.#pending.splice(this.#head, 0, ...again);
    this.#events.onWake();
  }

  #suspect(item: T): boolean {
    return (this.#losses.get(item) ?? 0) >= SUSPECT_LOSSES;
  }

  #send(items: T[]): NextLines<T> {
    let again = 0;
    if (this.#returned.size > 0) for (const item of items) if (this.#returned.delete(item)) again++;
    this.#sent += items.length - again;
    this.#inFlight += items.length;
    return { kind: "send", items };
  }

  #take(max: number): T[] {
    let end = Math.min(this.#pending.length, this.#head + max);
    if (this.#losses.size > 0) {
      // Suspects are never batched: stop before the first one (`next` sends it alone).
      for (let i = this.#head; i < end; i++) {
        if (this.#suspect(this.#pending[i]!)) {
          end = i;
          break;
        }
      }
    }
    const batch = this.#pending.slice(this.#head, end);
    this.#head = end;
    // Not once the input is exhausted: that fill would add nothing, yet its completion wakes the
    // waiters, whose sendMore comes back here - a microtask loop that starved the socket reads
    // (a scan spun at 100% CPU when the last answers came in small pieces).
    if (!this.#exhausted && this.pendingCount < FILL_TARGET / 2) this.#events.onLow();
    return batch;
  }

  /** Counts a loss for each line; gives up the isolated one. Returns the lines to send again. */
  #countLosses(lost: T[]): T[] {
    this.#lossEpoch++;
    const again: T[] = [];
    for (const item of lost) {
      const n = (this.#losses.get(item) ?? 0) + 1;
      if (item === this.#isolated) {
        this.#isolated = undefined;
        this.#losses.delete(item);
        this.#failed++;
        this.#events.onGiveUp(item, n);
      } else {
        this.#losses.set(item, n);
        again.push(item);
      }
    }
    this.#events.onWake();
    return again;
  }
}
