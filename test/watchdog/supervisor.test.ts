import { describe, expect, test } from "bun:test";
import { runSupervisor, type SupervisorDeps, type SupervisorOptions, type WorkerHandle } from "../../src/watchdog/supervisor.ts";

/** A clock whose timers fire only when the test advances it. */
class FakeClock {
  t = 0;
  #timers: { at: number; fire: () => void }[] = [];

  now = (): number => this.t;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const timer = { at: this.t + ms, fire: resolve };
      this.#timers.push(timer);
      signal?.addEventListener("abort", () => {
        this.#timers = this.#timers.filter((x) => x !== timer);
        resolve();
      });
    });

  /** Moves time forward by `ms`, firing due timers in order and letting the code under test
   *  react after each one. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers[0];
      if (next === undefined || next.at > end) break;
      this.#timers.shift();
      this.t = next.at;
      next.fire();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Fires timers one by one until `done()` holds; fails past `limitMs`. */
  async advanceUntil(done: () => boolean, limitMs: number): Promise<void> {
    const end = this.t + limitMs;
    await settle();
    while (!done()) {
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers.shift();
      if (next === undefined || next.at > end) throw new Error(`Condition not met: within ${limitMs} ms`);
      this.t = next.at;
      next.fire();
      await settle();
    }
  }
}

/** Lets every pending promise reaction run (a macrotask turn, not a wait for time). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface FakeWorker extends WorkerHandle {
  readonly signals: string[];
  readonly spawnedAt: number;
  exit(code: number | null): void;
}

/** Workers that exit with 0 on SIGTERM (unless told to ignore it) and 137 on SIGKILL;
 *  `healthy` decides what the probe of the current worker says. */
function harness(opts: { ignoreSigterm?: boolean } = {}) {
  const clock = new FakeClock();
  const stop = new AbortController();
  const workers: FakeWorker[] = [];
  const alerts: string[] = [];
  const restartCounts: number[] = [];
  const spawnInfo: number[] = [];
  const state = { healthy: true, listening: undefined as boolean | undefined };
  const deps: SupervisorDeps = {
    now: clock.now,
    sleep: clock.sleep,
    spawnWorker: ({ restarts }) => {
      spawnInfo.push(restarts);
      let resolveExit!: (code: number | null) => void;
      const exited = new Promise<number | null>((r) => (resolveExit = r));
      let done = false;
      const worker: FakeWorker = {
        exited,
        pid: 1000 + workers.length,
        signals: [],
        spawnedAt: clock.t,
        exit: (code) => {
          if (!done) (done = true), resolveExit(code);
        },
        kill: (signal) => {
          worker.signals.push(signal);
          if (signal === "SIGKILL") worker.exit(137);
          else if (!opts.ignoreSigterm) worker.exit(0);
        },
      };
      workers.push(worker);
      return worker;
    },
    probe: async () => state.healthy,
    listening: () => state.listening ?? state.healthy,
    log: () => {},
    alert: (name) => alerts.push(name),
    onRestart: (n) => restartCounts.push(n),
    stopSignal: stop.signal,
  };
  const run = (o: SupervisorOptions = {}) => runSupervisor(deps, o);
  return { clock, stop, workers, alerts, restartCounts, spawnInfo, state, run };
}

describe("runSupervisor()", () => {
  test("restarts a worker that exits, after the first back-off, counting the restart", async () => {
    const h = harness();
    const done = h.run();
    await h.clock.advance(0);
    h.workers[0]!.exit(1);
    await h.clock.advance(999);
    expect(h.workers.length).toBe(1);
    await h.clock.advance(1);
    expect({ workers: h.workers.length, spawnInfo: h.spawnInfo, restarts: h.restartCounts, alerts: h.alerts }).toEqual({
      workers: 2,
      spawnInfo: [0, 1],
      restarts: [1],
      alerts: ["KL_ALERT_ServiceUnavailable"],
    });
    h.stop.abort();
    expect(await done).toBe(0);
  });

  test("kills and restarts a worker that fails two probes in a row", async () => {
    const h = harness();
    const done = h.run({ probeIntervalMs: 5000 });
    await h.clock.advance(0); // ready
    h.state.healthy = false;
    await h.clock.advance(5000); // first failure: tolerated
    expect(h.workers[0]!.signals).toEqual([]);
    await h.clock.advance(5000); // second failure: hung
    expect(h.workers[0]!.signals).toEqual(["SIGTERM"]);
    h.state.healthy = true;
    await h.clock.advance(1000);
    expect({ workers: h.workers.length, alerts: h.alerts }).toEqual({ workers: 2, alerts: ["KL_ALERT_ServiceUnavailable"] });
    h.stop.abort();
    await done;
  });

  test("a single failed probe between good ones does not restart the worker", async () => {
    const h = harness();
    const done = h.run({ probeIntervalMs: 5000 });
    await h.clock.advance(0);
    for (const healthy of [false, true, false, true, false, true]) {
      h.state.healthy = healthy;
      await h.clock.advance(5000);
    }
    expect({ workers: h.workers.length, signals: h.workers[0]!.signals, alerts: h.alerts }).toEqual({
      workers: 1,
      signals: [],
      alerts: [],
    });
    h.stop.abort();
    await done;
  });

  test("sends SIGKILL when a hung worker ignores SIGTERM for the grace period", async () => {
    const h = harness({ ignoreSigterm: true });
    const done = h.run({ probeIntervalMs: 1000, maxFailedProbes: 1, killGraceMs: 3000 });
    await h.clock.advance(0);
    h.state.healthy = false;
    await h.clock.advance(1000);
    await h.clock.advance(2999);
    expect(h.workers[0]!.signals).toEqual(["SIGTERM"]);
    await h.clock.advance(1);
    expect(h.workers[0]!.signals).toEqual(["SIGTERM", "SIGKILL"]);
    h.stop.abort();
    await done;
  });

  test.each([
    // Not listening yet (feeds loading): only the readiness deadline ends the wait.
    ["restarts a worker that is not ready by the readiness deadline", false, { readinessTimeoutMs: 10_000, readinessProbeIntervalMs: 1000 }, 9000],
    // Listening, then blocked by the line that hung the last worker: the failed probes count.
    [
      "a worker that listens but hangs before its first PONG is killed after the failed probes, not at the readiness deadline",
      true,
      { readinessTimeoutMs: 120_000, readinessProbeIntervalMs: 1000, maxFailedProbes: 2 },
      0,
    ],
  ] as const)("%s", async (_name, listening, options, quietMs) => {
    const h = harness();
    h.state.healthy = false;
    h.state.listening = listening;
    const done = h.run(options);
    await h.clock.advance(quietMs);
    expect(h.workers[0]!.signals).toEqual([]);
    await h.clock.advance(1000);
    expect({ signals: h.workers[0]!.signals, alerts: h.alerts }).toEqual({
      signals: ["SIGTERM"],
      alerts: ["KL_ALERT_ServiceUnavailable"],
    });
    h.stop.abort();
    await done;
  });

  test("doubles the back-off per crash up to the cap, and alerts once for the whole outage", async () => {
    const h = harness();
    h.state.healthy = false; // every worker crashes while loading: one long outage
    const done = h.run({ initialBackoffMs: 1000, maxBackoffMs: 60_000 });
    await h.clock.advance(0);
    for (let i = 1; i <= 9; i++) {
      h.workers.at(-1)!.exit(1);
      await h.clock.advanceUntil(() => h.workers.length > i, 120_000);
    }
    const gaps = h.workers.slice(1).map((w, i) => w.spawnedAt - h.workers[i]!.spawnedAt);
    expect({ gaps, alerts: h.alerts }).toEqual({
      gaps: [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000],
      alerts: ["KL_ALERT_ServiceUnavailable"],
    });
    h.stop.abort();
    await done;
  });

  test("a new outage after recovery raises a new alert", async () => {
    const h = harness();
    const done = h.run();
    await h.clock.advance(0);
    h.workers[0]!.exit(1);
    await h.clock.advance(1000); // worker 2 spawned and ready: outage over
    h.workers[1]!.exit(1);
    await h.clock.advance(0);
    expect(h.alerts).toEqual(["KL_ALERT_ServiceUnavailable", "KL_ALERT_ServiceUnavailable"]);
    h.stop.abort();
    await done;
  });

  test("resets the back-off once a worker has stayed healthy long enough", async () => {
    const h = harness();
    const done = h.run({ probeIntervalMs: 5000, backoffResetMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      await h.clock.advance(0);
      h.workers.at(-1)!.exit(1);
      await h.clock.advance(4000);
    } // crashes at back-offs 1 s, 2 s, 4 s; the fourth worker is up
    await h.clock.advance(60_000); // healthy for a minute
    const before = h.clock.t;
    h.workers.at(-1)!.exit(1);
    await h.clock.advance(1000);
    expect({ workers: h.workers.length, lastGap: h.workers.at(-1)!.spawnedAt - before }).toEqual({ workers: 5, lastGap: 1000 });
    h.stop.abort();
    await done;
  });

  test("on stop forwards SIGTERM to the worker and resolves with its exit code", async () => {
    const h = harness();
    const done = h.run();
    await h.clock.advance(12_000);
    h.stop.abort();
    expect(await done).toBe(0);
    expect({ workers: h.workers.length, signals: h.workers[0]!.signals, alerts: h.alerts }).toEqual({
      workers: 1,
      signals: ["SIGTERM"],
      alerts: [],
    });
  });

  test("on stop during a back-off resolves null without starting another worker", async () => {
    const h = harness();
    const done = h.run();
    await h.clock.advance(0);
    h.workers[0]!.exit(1);
    await h.clock.advance(500);
    h.stop.abort();
    expect(await done).toBeNull();
    await h.clock.advance(10_000);
    expect(h.workers.length).toBe(1);
  });

  test.each([2, 3])("gives up when the first worker exits with fatal code %d before it is ready", async (code) => {
    const h = harness();
    h.state.healthy = false;
    const done = h.run();
    await h.clock.advance(0);
    h.workers[0]!.exit(code);
    expect(await done).toBe(code);
    await h.clock.advance(120_000);
    expect({ workers: h.workers.length, alerts: h.alerts }).toEqual({ workers: 1, alerts: [] });
  });
});
