/**
 * The slots of the counters a worker thread and the main thread share about output lines in
 * flight (`WorkerStart.outputFlow`). Apart from `_lookup_worker.ts` so that the main thread can
 * import them without running the worker's module (which installs the worker's message handler).
 */

/**
 * Slots of `WorkerStart.outputFlow`: lines this thread posted for the output, lines the main
 * thread took from its messages, and how many may be between the two (0: no bound). A thread
 * whose messages the main thread has not read yet (a busy machine) stops reading its
 * output-bound connections there, instead of filling the main thread's output queue past its
 * limit once it catches up (the queue's own hold sees only lines it holds, not those in flight).
 */
export const OUTPUT_POSTED = 0;
export const OUTPUT_TAKEN = 1;
export const OUTPUT_IN_FLIGHT = 2;

/**
 * Lines posted and not yet taken, read live from the shared counters.
 *
 * @example
 * ```ts
 * linesInFlight(flow) > Atomics.load(flow, OUTPUT_IN_FLIGHT); // over the bound: hold
 * ```
 */
export function linesInFlight(flow: Int32Array): number {
  return Atomics.load(flow, OUTPUT_POSTED) - Atomics.load(flow, OUTPUT_TAKEN);
}
