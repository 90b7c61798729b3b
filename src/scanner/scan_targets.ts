/**
 * Which of the service's addresses (replicas, docs/scale-out.md) each scan connection uses:
 * connections are spread over them in turn, and one whose address fails moves to the next. The
 * scan gives up only when a connection has found every address failing for ConnectionTimeout.
 * Plain state without sockets or timers, tested in test/scanner/scan_targets.test.ts.
 */

/** What a connection does after a failure: try `target` (after a pause once a whole round failed), or give up. */
export type AfterFailure = { readonly kind: "retry"; readonly target: number; readonly pause: boolean } | { readonly kind: "give-up" };

/**
 * @example Two replicas, four connections
 * ```ts
 * const targets = new ScanTargets(2, Date.now, 15_000);
 * targets.current(0); // 0
 * targets.current(1); // 1
 * targets.failed(0);  // { kind: "retry", target: 1, pause: false }
 * ```
 */
export class ScanTargets {
  readonly count: number;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  /** Per connection: its address, failures in a row, and when the first of them happened. */
  readonly #state = new Map<number, { target: number; failures: number; since: number }>();

  constructor(count: number, now: () => number, timeoutMs: number) {
    if (count < 1) throw new RangeError(`ScanTargets failed: ${count} addresses, expected at least 1`);
    this.count = count;
    this.#now = now;
    this.#timeoutMs = timeoutMs;
  }

  /** The address connection `worker` uses now: at first `worker` modulo the count, spreading them. */
  current(worker: number): number {
    return this.#of(worker).target;
  }

  /** Connection `worker` connected (and was answered): its failures are forgiven. */
  succeeded(worker: number): void {
    const state = this.#of(worker);
    state.failures = 0;
  }

  /**
   * Connection `worker` could not connect, or its address did not answer PING: it moves to the
   * next address; once a whole round of addresses has failed in a row it pauses before the next
   * try, and once they have failed for the timeout since the first failure, it gives up.
   */
  failed(worker: number): AfterFailure {
    const state = this.#of(worker);
    const now = this.#now();
    if (state.failures === 0) state.since = now;
    state.failures++;
    if (now - state.since >= this.#timeoutMs) return { kind: "give-up" };
    state.target = (state.target + 1) % this.count;
    return { kind: "retry", target: state.target, pause: state.failures % this.count === 0 };
  }

  #of(worker: number): { target: number; failures: number; since: number } {
    let state = this.#state.get(worker);
    if (state === undefined) {
      state = { target: worker % this.count, failures: 0, since: 0 };
      this.#state.set(worker, state);
    }
    return state;
  }
}
