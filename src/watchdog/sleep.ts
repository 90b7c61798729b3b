/**
 * A timer as a promise, for the supervisor's `sleep` dependency.
 */

/**
 * Resolves after `ms`, or at once when `signal` aborts (the timer is cleared then).
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await sleep(1000, stop.signal);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
