/**
 * ScannersCount as a pool of slots: at most `limit` data connections are processed at once;
 * the rest wait in arrival order and are served when a slot frees. Nobody is refused
 * (spec cybertrace-service.md §9 q9 leaves it open; docs/protocol.md records our choice).
 */
export class SlotPool {
  readonly limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a slot is free. `signal` withdraws a waiter. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", withdraw);
        this.#active++;
        resolve(this.#releaser());
      };
      const withdraw = () => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal?.reason ?? new Error("withdrawn"));
      };
      signal?.addEventListener("abort", withdraw, { once: true });
      this.#waiting.push(grant);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#waiting.shift()?.();
    };
  }
}
