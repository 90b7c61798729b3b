import { describe, expect, test } from "bun:test";
import { watchdogTiming } from "../../src/watchdog/watchdog_timing.ts";

describe("watchdogTiming()", () => {
  test("keeps the supervisor's defaults when nothing is set", () => {
    expect(watchdogTiming({})).toEqual({ options: {}, probeTimeoutMs: 3000 });
  });

  test("reads every variable, the probe interval also bounding the readiness probe", () => {
    const env = { IOCLENS_PROBE_INTERVAL_MS: "100", IOCLENS_PROBE_TIMEOUT_MS: "300", IOCLENS_PROBE_FAILURES: "3", IOCLENS_KILL_GRACE_MS: "200", IOCLENS_RESTART_DELAY_MS: "50", IOCLENS_READY_TIMEOUT_MS: "600000" };
    expect(watchdogTiming(env)).toEqual({
      options: { readinessTimeoutMs: 600000, probeIntervalMs: 100, readinessProbeIntervalMs: 100, maxFailedProbes: 3, killGraceMs: 200, initialBackoffMs: 50 },
      probeTimeoutMs: 300,
    });
    expect(watchdogTiming({ IOCLENS_PROBE_INTERVAL_MS: "30000" }).options).toEqual({ probeIntervalMs: 30000, readinessProbeIntervalMs: 1000 });
  });

  test.each(["0", "-5", "1.5", "ten", "1e3x"])("refuses %p with a one-line message naming the variable", (value) => {
    expect(() => watchdogTiming({ IOCLENS_KILL_GRACE_MS: value })).toThrow(`IOCLENS_KILL_GRACE_MS (time between SIGTERM and SIGKILL) must be a positive integer: got "${value}"`);
  });
});
