/**
 * The watchdog's probe and restart timing, from the environment: the defaults suit production,
 * tests and impatient operators shorten them (docs/protocol.md "Hangs").
 */
import type { SupervisorOptions } from "./supervisor.ts";

/** Supervisor options plus the probe's own timeout. */
export interface WatchdogTiming {
  readonly options: SupervisorOptions;
  readonly probeTimeoutMs: number;
}

/** Environment variable → what it sets. */
const VARIABLES = {
  IOCLENS_READY_TIMEOUT_MS: "time a new worker has to load its feeds and answer its first PONG",
  IOCLENS_PROBE_INTERVAL_MS: "probe period (also while waiting for readiness)",
  IOCLENS_PROBE_TIMEOUT_MS: "time a probe waits for PONG",
  IOCLENS_PROBE_FAILURES: "failed probes in a row that count as a hang",
  IOCLENS_KILL_GRACE_MS: "time between SIGTERM and SIGKILL",
  IOCLENS_RESTART_DELAY_MS: "first restart delay (doubles per failure)",
} as const;

const DEFAULT_PROBE_TIMEOUT_MS = 3000;

/**
 * Reads the IOCLENS_PROBE_* / IOCLENS_KILL_GRACE_MS / IOCLENS_RESTART_DELAY_MS /
 * IOCLENS_READY_TIMEOUT_MS variables; unset ones keep the supervisor's defaults.
 *
 * @throws {RangeError} when a variable is not a positive integer.
 * @example
 * ```ts
 * const timing = watchdogTiming({ IOCLENS_PROBE_INTERVAL_MS: "200" });
 * timing.options.probeIntervalMs; // 200
 * timing.probeTimeoutMs; // 3000
 * ```
 */
export function watchdogTiming(env: Readonly<Record<string, string | undefined>>): WatchdogTiming {
  const read = (name: keyof typeof VARIABLES): number | undefined => {
    const text = env[name];
    if (text === undefined || text === "") return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} (${VARIABLES[name]}) must be a positive integer: got "${text}"`);
    return value;
  };
  const interval = read("IOCLENS_PROBE_INTERVAL_MS");
  const failures = read("IOCLENS_PROBE_FAILURES");
  const grace = read("IOCLENS_KILL_GRACE_MS");
  const delay = read("IOCLENS_RESTART_DELAY_MS");
  const ready = read("IOCLENS_READY_TIMEOUT_MS");
  const options: SupervisorOptions = {
    ...(ready === undefined ? {} : { readinessTimeoutMs: ready }),
    ...(interval === undefined ? {} : { probeIntervalMs: interval, readinessProbeIntervalMs: Math.min(interval, 1000) }),
    ...(failures === undefined ? {} : { maxFailedProbes: failures }),
    ...(grace === undefined ? {} : { killGraceMs: grace }),
    ...(delay === undefined ? {} : { initialBackoffMs: delay }),
  };
  return { options, probeTimeoutMs: read("IOCLENS_PROBE_TIMEOUT_MS") ?? DEFAULT_PROBE_TIMEOUT_MS };
}
