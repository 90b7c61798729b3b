/**
 * Before a scan starts: wait for the lookup service to answer PING, for up to ConnectionTimeout,
 * telling the caller how long it has waited so the wait is visible. Only once it answers is the
 * report created, so a service that is down leaves no empty report behind.
 */
import type { ProbeResult } from "../protocol/probe.ts";

export interface WaitDeps {
  /** One probe with its own time limit: the PONG line, or why there was none. */
  readonly probe: (timeoutMs: number) => Promise<ProbeResult>;
  readonly now: () => number;
  /** Resolves after `ms`, or early when the scan is interrupted. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** How the wait ended: the PONG line, or the last reason and how long it took. */
export type WaitOutcome =
  | { readonly ok: true; readonly line: string }
  | { readonly ok: false; readonly reason: string; readonly waitedMs: number; readonly interrupted: boolean };

/** Time between probes while the service does not answer. */
const RETRY_MS = 500;
/** Longest a single probe may take (a connect to a host that drops packets hangs otherwise). */
const PROBE_MS = 5000;

/**
 * Probes until the service answers or `timeoutMs` has passed since the wait began; 0 means
 * one probe. `onWaiting(waitedMs, reason)` is called after each failed probe that will be
 * retried.
 *
 * @example
 * ```ts
 * const outcome = await waitForService({ probe: (ms) => probeServiceLine(connect, ms), now: Date.now, sleep }, 15_000,
 *   (waited) => stderr(`\rwaiting for 127.0.0.1:9999 … ${Math.floor(waited / 1000)} s`));
 * ```
 */
export async function waitForService(deps: WaitDeps, timeoutMs: number, onWaiting: (waitedMs: number, reason: string) => void, signal?: AbortSignal): Promise<WaitOutcome> {
  const started = deps.now();
  for (;;) {
    const left = timeoutMs - (deps.now() - started);
    const result = await deps.probe(Math.max(1000, Math.min(PROBE_MS, left)));
    if (result.ok) return result;
    const waitedMs = deps.now() - started;
    if (signal?.aborted || waitedMs >= timeoutMs) return { ok: false, reason: result.reason, waitedMs, interrupted: signal?.aborted === true };
    onWaiting(waitedMs, result.reason);
    await deps.sleep(Math.min(RETRY_MS, timeoutMs - waitedMs));
  }
}
