/**
 * The lookup service's counters behind /status, kept as plain numbers (the hot path increments
 * them per event), and the slow-event warning.
 */
import type { Logger } from "./logger.ts";
import type { ProcessResult } from "./process_event.ts";

/**
 * Event, detection, drop and connection counts.
 *
 * @example
 * ```ts
 * const counters = new ServiceCounters(log, 1000, () => eps.mark());
 * counters.event(event, result, ms);
 * counters.events; // 1
 * ```
 */
export class ServiceCounters {
  /** The numeric counters, which worker threads report as deltas and the service adds up. */
  static readonly NAMES = ["events", "eventsWithDetections", "detections", "suppressed", "dropped", "cut", "slow", "refused", "evicted", "proxyRefused"] as const;
  events = 0;
  eventsWithDetections = 0;
  detections = 0;
  suppressed = 0;
  dropped = 0;
  cut = 0;
  slow = 0;
  refused = 0;
  evicted = 0;
  proxyRefused = 0;
  byCategory = new Map<string, number>();
  readonly #log: Logger;
  readonly #slowEventMs: number;
  readonly #mark: (at?: number) => void;

  /** `slowEventMs`: events slower than this are counted and logged; `mark`: called per event with its time, if known (the EPS meter). */
  constructor(log: Logger, slowEventMs: number, mark: (at?: number) => void) {
    this.#log = log;
    this.#slowEventMs = slowEventMs;
    this.#mark = mark;
  }

  /** One processed event and what it found, taking `ms`, done at `at` (epoch ms) when known. */
  event(event: string, result: ProcessResult, ms: number, at?: number): void {
    if (ms >= this.#slowEventMs) this.#slowEvent(event, ms);
    this.events++;
    this.#mark(at);
    this.suppressed += result.suppressed;
    if (result.detections > 0) {
      this.eventsWithDetections++;
      this.detections += result.detections;
      for (const [category, n] of result.byCategory) this.byCategory.set(category, (this.byCategory.get(category) ?? 0) + n);
    }
  }

  /** The framer threw: the chunk's events are lost, logged and counted as dropped. */
  failed(error: Error): void {
    this.#log("error", `event processing failed: ${error.message}`);
    this.dropped++;
  }

  /** An event over the time limit cannot be interrupted (JS regexes cannot), only counted and named. */
  #slowEvent(event: string, ms: number): void {
    this.slow++;
    if ((this.slow & (this.slow - 1)) === 0) {
      // Event text stays out of logs at info and above (docs/operations.md): it goes to debug.
      this.#log("warn", `event took ${ms} ms (limit ${this.#slowEventMs} ms): a regex may backtrack catastrophically on it; ${this.slow} slow so far`, { length: event.length });
      this.#log("debug", "slow event", { event: event.slice(0, 120) });
    }
  }
}
