import { describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { runWatchdog, type WatchdogProcess } from "../../src/watchdog/run_watchdog.ts";
import { SERVING_ANNOUNCEMENT, spawnWorker } from "../../src/watchdog/spawn_worker.ts";
import { fakeSpawnDeps } from "./_fake_child.ts";

/** Lets every pending promise reaction run (a macrotask turn, not a wait for time). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `process` as the watchdog sees it: signals are emitted by the test, kills recorded. */
class FakeProcess extends EventEmitter implements WatchdogProcess {
  readonly kills: string[] = [];
  failKill: Error | undefined;
  kill(pid: number, signal: "SIGHUP"): boolean {
    if (this.failKill) throw this.failKill;
    this.kills.push(`${signal} ${pid}`);
    return true;
  }
}

/** runWatchdog on fake children; sleeps end only when the test calls `tick()` (or on stop). */
function harness() {
  const spawn = fakeSpawnDeps();
  const proc = new FakeProcess();
  const stop = new AbortController();
  const logs: string[] = [];
  const sleeps: (() => void)[] = [];
  let probes = 0;
  const done = runWatchdog({
    now: () => 0,
    sleep: (_ms, signal) =>
      new Promise<void>((resolve) => {
        sleeps.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      }),
    spawnWorker: (restarts) => spawnWorker(spawn.deps, restarts),
    probe: async () => (probes++, true),
    process: proc,
    log: (level, message) => logs.push(`${level} ${message}`),
    alert: () => {},
    stopSignal: stop.signal,
  }, {});
  const tick = async (): Promise<void> => {
    for (const wake of sleeps.splice(0)) wake();
    await settle();
  };
  // Children exit on SIGTERM, as a worker does.
  const stopAll = async (): Promise<number | null> => {
    stop.abort();
    await settle();
    for (const child of spawn.children) if (child.signals.includes("SIGTERM")) child.exit(0);
    return done;
  };
  return { spawn, proc, logs, tick, stopAll, probes: () => probes };
}

describe("runWatchdog()", () => {
  test("probes the service only once the worker said it serves", async () => {
    const h = harness();
    await settle();
    await h.tick();
    await h.tick();
    expect(h.probes()).toBe(0);
    h.spawn.children[0]!.print(`${SERVING_ANNOUNCEMENT} 127.0.0.1:9999\n`);
    await h.tick();
    expect({ probes: h.probes(), ready: h.logs.includes("info Worker ready") }).toEqual({ probes: 1, ready: true });
    expect(await h.stopAll()).toBe(0);
  });

  test("SIGHUP goes to the running worker; with none running it is logged, not sent", async () => {
    const h = harness();
    await settle();
    h.proc.emit("SIGHUP");
    h.spawn.children[0]!.exit(1);
    await settle();
    h.proc.emit("SIGHUP");
    expect({ kills: h.proc.kills, warned: h.logs.filter((l) => l.startsWith("warn SIGHUP")) }).toEqual({
      kills: ["SIGHUP 100"],
      warned: ["warn SIGHUP: no worker running to reload"],
    });
    await h.stopAll();
  });

  test("a SIGHUP that cannot be delivered is logged", async () => {
    const h = harness();
    await settle();
    h.proc.failKill = new Error("kill ESRCH");
    h.proc.emit("SIGHUP");
    expect(h.logs.filter((l) => l.startsWith("warn SIGHUP"))).toEqual(["warn SIGHUP: cannot signal the worker: kill ESRCH"]);
    await h.stopAll();
  });

  test("the watchdog's own exit SIGKILLs the running worker, and a dead one is left alone", async () => {
    const h = harness();
    await settle();
    h.proc.emit("exit");
    expect(h.spawn.children[0]!.signals).toEqual(["SIGKILL"]);
    h.spawn.children[0]!.exit(null);
    await settle();
    h.proc.emit("exit");
    expect(h.spawn.children[0]!.signals).toEqual(["SIGKILL"]);
    await h.stopAll();
  });

  test("stopping SIGTERMs the worker, resolves with its code and removes the process listeners", async () => {
    const h = harness();
    await settle();
    expect({ hup: h.proc.listenerCount("SIGHUP"), exit: h.proc.listenerCount("exit") }).toEqual({ hup: 1, exit: 1 });
    const code = await h.stopAll();
    expect({ code, signals: h.spawn.children[0]!.signals, hup: h.proc.listenerCount("SIGHUP"), exit: h.proc.listenerCount("exit") }).toEqual({
      code: 0,
      signals: ["SIGTERM"],
      hup: 0,
      exit: 0,
    });
  });
});
