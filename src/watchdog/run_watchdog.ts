/**
 * The watchdog of `ioclens serve`: the supervisor wired to worker processes, SIGHUP forwarding
 * and the worker's death with ours. Takes the world as arguments, so tests drive it with fakes.
 */
import { runSupervisor, type LogFields, type LogLevel, type SupervisorOptions } from "./supervisor.ts";
import type { WorkerProcess } from "./spawn_worker.ts";

/** The slice of node's `process` the watchdog hooks into. */
export interface WatchdogProcess {
  on(event: "SIGHUP" | "exit", listener: () => void): unknown;
  off(event: "SIGHUP" | "exit", listener: () => void): unknown;
  kill(pid: number, signal: "SIGHUP"): unknown;
}

/** Everything the watchdog touches. */
export interface RunWatchdogDeps {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Starts a worker (`spawnWorker` in production). */
  spawnWorker(restarts: number): WorkerProcess;
  /** Probes the service's address: true on PONG in time. Asked only once the worker announced itself. */
  probe(): Promise<boolean>;
  /** SIGHUP is forwarded to the running worker; on exit the running worker is SIGKILLed. */
  readonly process: WatchdogProcess;
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** Emits a `KL_ALERT_*` service alert. */
  alert(name: string, fields?: [string, string][]): void;
  /** Aborting it stops the worker and resolves `runWatchdog`. */
  readonly stopSignal: AbortSignal;
}

/**
 * Supervises workers until `deps.stopSignal` aborts; resolves with `runSupervisor`'s code (the
 * stopped worker's exit code, or a first worker's fatal startup code).
 *
 * @example
 * ```ts
 * const code = await runWatchdog({ now: Date.now, sleep, spawnWorker: (r) => spawnWorker(spawnDeps, r),
 *   probe, process, log, alert, stopSignal }, { fatalStartupExitCodes: [2, 3, 5] });
 * ```
 */
export async function runWatchdog(deps: RunWatchdogDeps, options: SupervisorOptions): Promise<number | null> {
  // The latest worker; between a death and the restart there is no one to reload (the next
  // worker loads fresh feeds anyway), and the dead one's pid may be reused.
  let latest: WorkerProcess | undefined;
  const running = (): WorkerProcess | undefined => (latest?.running ? latest : undefined);
  const onHup = (): void => {
    const pid = running()?.pid;
    if (pid === undefined) return deps.log("warn", "SIGHUP: no worker running to reload");
    try {
      deps.process.kill(pid, "SIGHUP");
    } catch (error) {
      deps.log("warn", `SIGHUP: cannot signal the worker: ${(error as Error).message}`);
    }
  };
  // In its own process group the worker would outlive a watchdog that exits at once (a second
  // Ctrl+C, an internal error): take it along.
  const killWorker = (): void => running()?.kill("SIGKILL");
  deps.process.on("SIGHUP", onHup);
  deps.process.on("exit", killWorker);
  try {
    return await runSupervisor({
      now: deps.now,
      sleep: deps.sleep,
      spawnWorker: ({ restarts }) => (latest = deps.spawnWorker(restarts)),
      probe: () => (latest?.announced ? deps.probe() : Promise.resolve(false)),
      listening: () => latest?.announced === true,
      log: deps.log,
      alert: deps.alert,
      stopSignal: deps.stopSignal,
    }, options);
  } finally {
    deps.process.off("SIGHUP", onHup);
    deps.process.off("exit", killWorker);
  }
}
