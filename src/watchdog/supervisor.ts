/**
 * The watchdog of `ioclens serve`: runs the worker, probes it with PING/PONG and restarts it
 * when it dies or hangs (spec §7.3; the restart policy is ours, the spec leaves it open, §9
 * item 16).
 */

/** A running worker process, as the supervisor sees it. */
export interface WorkerHandle {
  /** Resolves with the exit code (null when killed by a signal); never rejects. */
  readonly exited: Promise<number | null>;
  kill(signal: "SIGTERM" | "SIGKILL"): void;
  readonly pid: number | undefined;
}

/** Severity of a supervisor log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Structured context of a log line. */
export type LogFields = Readonly<Record<string, string | number | boolean | null>>;

/** Everything the supervisor touches, injected so tests run on a fake clock. */
export interface SupervisorDeps {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or early (resolve or reject, both are fine) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Starts a worker; `restarts` counts the restarts so far, for the worker's `/status`. */
  spawnWorker(info: { readonly restarts: number }): WorkerHandle;
  /** True when the worker answered PONG in time; must settle on its own (has a timeout). */
  probe(): Promise<boolean>;
  /**
   * True once the current worker said it listens (its feeds are loaded). From then on a failed
   * probe counts as a hang even before the first PONG: a client may reconnect at once with the
   * line that hung the previous worker, and the readiness deadline (for feed loading) would
   * leave the new worker hung for minutes. Without it, only the deadline applies.
   */
  listening?(): boolean;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  /** Emits a `KL_ALERT_*` service alert. */
  alert(name: string, fields?: [string, string][]): void;
  /** Called after each restart with the new total. */
  onRestart?(restarts: number): void;
  /** Aborting it stops the worker (SIGTERM, then SIGKILL after the grace period) and
   *  resolves `runSupervisor`. */
  stopSignal: AbortSignal;
}

/** Tuning of probes, kills and back-off; every field has a default (shown in `DEFAULTS`). */
export interface SupervisorOptions {
  /** How long a fresh worker may take to answer its first PONG (feeds load first). */
  readonly readinessTimeoutMs?: number;
  /** Probe period while waiting for readiness. */
  readonly readinessProbeIntervalMs?: number;
  /** Probe period once ready. */
  readonly probeIntervalMs?: number;
  /** Consecutive failed probes that count as a hang. */
  readonly maxFailedProbes?: number;
  /** Time between SIGTERM and SIGKILL. */
  readonly killGraceMs?: number;
  /** First restart delay; doubles per consecutive failure up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A worker healthy this long resets the back-off to `initialBackoffMs`. */
  readonly backoffResetMs?: number;
  /** Exit codes that end supervision when the very first worker exits with them before
   *  becoming ready: usage (2) and config (3) errors will not fix themselves by retrying. */
  readonly fatalStartupExitCodes?: readonly number[];
}

const DEFAULTS: Required<SupervisorOptions> = {
  readinessTimeoutMs: 120_000,
  readinessProbeIntervalMs: 1_000,
  probeIntervalMs: 5_000,
  maxFailedProbes: 2,
  killGraceMs: 10_000,
  initialBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  backoffResetMs: 60_000,
  fatalStartupExitCodes: [2, 3],
};

const SERVICE_UNAVAILABLE = "KL_ALERT_ServiceUnavailable";

type Outcome =
  | { readonly kind: "exited"; readonly code: number | null }
  | { readonly kind: "hung"; readonly reason: string }
  | { readonly kind: "stop" };

/** A started worker and whether it has exited yet. */
interface Run {
  readonly worker: WorkerHandle;
  exit: { readonly code: number | null } | undefined;
}

/**
 * Supervises workers until `deps.stopSignal` aborts, then resolves with the exit code of the
 * worker it stopped (null when none was running, e.g. during a back-off wait). Resolves
 * early with the code when the first worker fails at startup with a fatal exit code.
 *
 * A worker that exits, misses its readiness deadline, or fails `maxFailedProbes` probes in a
 * row is killed and replaced after a back-off of 1 s, 2 s, 4 s … capped at 60 s (defaults).
 * `KL_ALERT_ServiceUnavailable` is raised once per outage: an outage ends when a worker
 * answers PONG again.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * process.once("SIGTERM", () => stop.abort());
 * const code = await runSupervisor({ ...realDeps, stopSignal: stop.signal });
 * ```
 */
export function runSupervisor(deps: SupervisorDeps, opts: SupervisorOptions = {}): Promise<number | null> {
  return new Supervisor(deps, { ...DEFAULTS, ...opts }).run();
}

/** The supervisor's state across workers: restarts, the back-off count, the outage, the pending wake-up. */
class Supervisor {
  readonly #deps: SupervisorDeps;
  readonly #o: Required<SupervisorOptions>;
  #restarts = 0;
  #failures = 0; // consecutive failures since the last stable run, drives the back-off
  #inOutage = false;
  #everReady = false;
  // Waiting is "until this task settles or something interrupts": worker exit and stop call
  // `wake`. Racing on the long-lived exit/stop promises instead would add a reaction to them
  // on every probe, a leak over months of uptime.
  #wake: (() => void) | undefined;

  constructor(deps: SupervisorDeps, options: Required<SupervisorOptions>) {
    this.#deps = deps;
    this.#o = options;
    deps.stopSignal.addEventListener("abort", () => this.#wake?.(), { once: true });
  }

  /** Starts, watches and replaces workers until stop, or a fatal startup exit. */
  async run(): Promise<number | null> {
    const deps = this.#deps;
    for (;;) {
      if (deps.stopSignal.aborted) return null;
      const run = this.#start();
      const outcome = await this.#watch(run);
      if (outcome.kind === "stop") {
        deps.log("info", "Stopping worker", { pid: run.worker.pid ?? null });
        return this.#terminate(run);
      }
      const fatal = await this.#ended(run, outcome);
      if (fatal !== undefined) return fatal;
      if (!(await this.#backOff())) return null;
    }
  }

  #start(): Run {
    const worker = this.#deps.spawnWorker({ restarts: this.#restarts });
    const run: Run = { worker, exit: undefined };
    const onExit = (code: number | null): void => {
      run.exit = { code };
      this.#wake?.();
    };
    worker.exited.then(onExit, () => onExit(null));
    this.#deps.log("info", "Worker started", { pid: worker.pid ?? null, restarts: this.#restarts });
    return run;
  }

  /** A worker exited or hung: logs it, kills a hung one, raises the outage alert; returns a fatal startup code. */
  async #ended(run: Run, outcome: Exclude<Outcome, { kind: "stop" }>): Promise<number | undefined> {
    const { log } = this.#deps;
    const pid = run.worker.pid ?? null;
    if (outcome.kind === "exited") {
      if (!this.#everReady && outcome.code !== null && this.#o.fatalStartupExitCodes.includes(outcome.code)) {
        log("error", "Worker failed at startup: not restarting", { code: outcome.code });
        return outcome.code;
      }
      log("error", "Worker exited", { pid, code: outcome.code });
    } else {
      log("error", "Worker hung: killing it", { pid, reason: outcome.reason });
      await this.#terminate(run);
    }
    if (!this.#inOutage) {
      this.#inOutage = true;
      this.#deps.alert(SERVICE_UNAVAILABLE);
    }
    return undefined;
  }

  /** Waits the back-off before the next worker; false when stop came first. */
  async #backOff(): Promise<boolean> {
    const o = this.#o;
    const delay = Math.min(o.maxBackoffMs, o.initialBackoffMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    this.#deps.log("info", "Restarting worker after back-off", { delayMs: delay });
    if (!(await this.#wait(delay, () => this.#deps.stopSignal.aborted))) return false;
    this.#restarts++;
    this.#deps.onRestart?.(this.#restarts);
    return true;
  }

  #until<T>(task: Promise<T>, interrupted: () => boolean): Promise<T | undefined> {
    if (interrupted()) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve) => {
      this.#wake = () => {
        if (interrupted()) resolve(undefined);
      };
      task.then(resolve, () => resolve(undefined));
    }).finally(() => {
      this.#wake = undefined;
    });
  }

  /** Sleeps `ms` unless interrupted first; true when the full time passed. */
  async #wait(ms: number, interrupted: () => boolean): Promise<boolean> {
    const cancel = new AbortController();
    try {
      return (await this.#until(this.#deps.sleep(ms, cancel.signal).then(() => true, () => true), interrupted)) === true;
    } finally {
      cancel.abort();
    }
  }

  async #terminate(run: Run): Promise<number | null> {
    const { worker } = run;
    const { log } = this.#deps;
    const graceMs = this.#o.killGraceMs;
    const exited = (): boolean => run.exit !== undefined;
    worker.kill("SIGTERM");
    if (!exited()) await this.#wait(graceMs, exited);
    if (!exited()) {
      log("warn", "Worker ignored SIGTERM: sending SIGKILL", { pid: worker.pid ?? null, graceMs });
      worker.kill("SIGKILL");
      await this.#wait(graceMs, exited);
    }
    if (run.exit !== undefined) return run.exit.code;
    log("error", "Worker did not exit after SIGKILL: giving up on it", { pid: worker.pid ?? null });
    return null;
  }

  /** Probes until the worker exits, hangs or stop is asked; readiness first. */
  async #watch(run: Run): Promise<Outcome> {
    const deps = this.#deps;
    const o = this.#o;
    const interrupted = (): boolean => run.exit !== undefined || deps.stopSignal.aborted;
    const outcome = (): Outcome => (run.exit !== undefined ? { kind: "exited", code: run.exit.code } : { kind: "stop" });
    const startedAt = deps.now();
    let readyAt: number | undefined;
    let failed = 0;
    for (;;) {
      const ok = await this.#until(deps.probe(), interrupted);
      if (interrupted()) return outcome();
      if (ok === true) {
        failed = 0;
        if (readyAt === undefined) readyAt = this.#ready(startedAt);
        else if (this.#failures > 0 && deps.now() - readyAt >= o.backoffResetMs) this.#failures = 0;
      } else if (readyAt !== undefined || deps.listening?.() === true) {
        failed++;
        deps.log("warn", "Worker probe failed", { failed, of: o.maxFailedProbes });
        if (failed >= o.maxFailedProbes) return { kind: "hung", reason: `${failed} probes failed in a row` };
      } else if (deps.now() - startedAt >= o.readinessTimeoutMs) {
        return { kind: "hung", reason: `not ready after ${o.readinessTimeoutMs} ms` };
      }
      await this.#wait(readyAt === undefined ? o.readinessProbeIntervalMs : o.probeIntervalMs, interrupted);
      if (interrupted()) return outcome();
    }
  }

  /** The worker's first PONG: logs readiness (or the outage's end); returns when. */
  #ready(startedAt: number): number {
    const readyAt = this.#deps.now();
    this.#everReady = true;
    if (this.#inOutage) this.#deps.log("info", "Service available again", { restarts: this.#restarts });
    else this.#deps.log("info", "Worker ready", { ms: readyAt - startedAt });
    this.#inOutage = false;
    return readyAt;
  }
}
