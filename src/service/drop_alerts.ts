/**
 * KL_ALERT_EventsDropped (ours, docs/protocol.md): raised when the output queue drops lines, at
 * most once per period on the injected clock, and only once the alert's own queue has room (or
 * the alert would be dropped too); drops in between are carried into the next alert's count.
 */

/** What the throttle needs: a clock, the alert queue's room and the alert itself. */
export interface DropAlertsDeps {
  now(): number;
  /** Minimum time between two alerts. */
  readonly periodMs: number;
  /** True when the alert target's queue can take one more line. */
  hasRoom(): boolean;
  /** Sends the alert: `count` drops since the last one, `total` since the start. */
  alert(count: number, total: number): void;
}

/**
 * Counts dropped lines and raises throttled alerts for them.
 *
 * @example
 * ```ts
 * const drops = new DropAlerts({ now: Date.now, periodMs: 60_000, hasRoom: () => true, alert: (n, t) => console.log(n, t) });
 * drops.dropped(); // alerts at once: 1, 1
 * drops.dropped(); // held back until the period has passed and a line is sent
 * ```
 */
export class DropAlerts {
  readonly #deps: DropAlertsDeps;
  #unreported = 0;
  #total = 0;
  #alertAt = Number.NEGATIVE_INFINITY;

  constructor(deps: DropAlertsDeps) {
    this.#deps = deps;
  }

  /** One line was dropped. */
  dropped(): void {
    this.#unreported++;
    this.#total++;
    this.#report();
  }

  /** A line went out: the queue moves again, so drops held back may be reported now. */
  sent(): void {
    if (this.#unreported > 0) this.#report();
  }

  #report(): void {
    const deps = this.#deps;
    if (deps.now() - this.#alertAt < deps.periodMs) return;
    if (!deps.hasRoom()) return;
    const count = this.#unreported;
    this.#unreported = 0;
    this.#alertAt = deps.now();
    deps.alert(count, this.#total);
  }
}
