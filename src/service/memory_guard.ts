/**
 * Keeps the service's RSS near its working size under sustained load. JavaScriptCore lets the
 * heap grow between full collections in proportion to what it counts as live, and it counts the
 * index's ~100 MB of typed arrays, so under 120–160 k events/s the RSS climbed from ~300 MiB to
 * 650–890 MiB before each full collection (docs/performance.md). The index holds few JS objects,
 * so a full collection costs 55–90 ms; the guard asks for one only when the RSS passes `ratio`
 * times the size after loading, at most once per `minIntervalMs`.
 */

/** What the guard reads and calls; the service passes the runtime's (src/runtime/runtime.ts). */
export interface MemoryGuardDeps {
  /** Resident set size in bytes. */
  readonly rss: () => number;
  /** Runs a full garbage collection (a no-op where the runtime offers none). */
  readonly collect: () => void;
  readonly now: () => number;
}

/** Settings of {@link MemoryGuard}. */
export interface MemoryGuardOptions {
  /** Collect when the RSS is over this multiple of the baseline; default 2. */
  readonly ratio?: number;
  /** Never collect more often than this; default 10 s. */
  readonly minIntervalMs?: number;
}

/** What one {@link MemoryGuard.check} did. */
export interface MemoryCheck {
  readonly collected: boolean;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly ms: number;
}

/**
 * Collects garbage when the RSS outgrows the working size; call {@link check} from a timer.
 *
 * @example
 * ```ts
 * const guard = new MemoryGuard({ rss: () => process.memoryUsage.rss(), collect: collectGarbage, now: Date.now });
 * guard.setBaseline(process.memoryUsage.rss()); // after the feeds are loaded
 * setInterval(() => guard.check(), 5000).unref();
 * ```
 */
export class MemoryGuard {
  readonly #deps: MemoryGuardDeps;
  readonly #ratio: number;
  readonly #minIntervalMs: number;
  #baseline = 0;
  #last = Number.NEGATIVE_INFINITY;

  constructor(deps: MemoryGuardDeps, options: MemoryGuardOptions = {}) {
    this.#deps = deps;
    this.#ratio = options.ratio ?? 2;
    this.#minIntervalMs = options.minIntervalMs ?? 10_000;
  }

  /** The working size (bytes) the ratio applies to: the RSS once the feeds are loaded; lowered by later checks. */
  setBaseline(rss: number): void {
    this.#baseline = rss;
  }

  get baseline(): number {
    return this.#baseline;
  }

  /**
   * Collects when due. The baseline follows the lowest RSS seen (the allocator returns the
   * loaders' pages only after a while), and rises when the RSS stays over the limit after a
   * collection: then the live data grew (a reload with bigger feeds).
   */
  check(): MemoryCheck {
    const rssBefore = this.#deps.rss();
    const now = this.#deps.now();
    if (rssBefore < this.#baseline) this.#baseline = rssBefore;
    if (this.#baseline <= 0 || rssBefore <= this.#baseline * this.#ratio || now - this.#last < this.#minIntervalMs) {
      return { collected: false, rssBefore, rssAfter: rssBefore, ms: 0 };
    }
    this.#last = now;
    const started = performance.now();
    this.#deps.collect();
    const ms = performance.now() - started;
    const rssAfter = this.#deps.rss();
    if (rssAfter > this.#baseline * this.#ratio) this.#baseline = rssAfter;
    return { collected: true, rssBefore, rssAfter, ms };
  }
}
