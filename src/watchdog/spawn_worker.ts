/**
 * Starts one worker process of the watchdog (`serve --no-watchdog`) and tells when it listens,
 * so the supervisor trusts PONGs from our worker only.
 */
import type { Buffer } from "node:buffer";
import { workerEnvironment } from "../runtime/runtime.ts";
import type { WorkerHandle } from "./supervisor.ts";

/** What a worker prints once it listens; the watchdog waits for it before trusting PONGs. */
export const SERVING_ANNOUNCEMENT = "ioclens: serving on";

/** The slice of node's `ChildProcess` a worker needs. */
export interface WorkerChild {
  readonly pid?: number | undefined;
  readonly stdin: { destroy(): unknown } | null;
  readonly stdout: { on(event: "data", listener: (chunk: Buffer) => void): unknown } | null;
  once(event: "exit", listener: (code: number | null) => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  kill(signal: "SIGTERM" | "SIGKILL"): unknown;
}

/** The options `spawnWorker` passes to `spawn`, a subset of node's `SpawnOptions`. */
export interface WorkerSpawnOptions {
  readonly stdio: ["pipe", "pipe", "inherit"];
  readonly env: Record<string, string | undefined>;
  readonly detached: boolean;
}

/** Everything a worker start touches. */
export interface SpawnWorkerDeps {
  /** node's `child_process.spawn` in production. */
  spawn(command: string, args: string[], options: WorkerSpawnOptions): WorkerChild;
  /** The worker's command line: the ioclens executable, `serve --no-watchdog` and the options. */
  readonly command: readonly [string, ...string[]];
  /** The environment the worker inherits; `IOCLENS_WORKER` and `IOCLENS_RESTARTS` are added, and the runtime's `workerEnvironment()` where this leaves them unset. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `process.platform`: Windows gets no process group of its own. */
  readonly platform: string;
  /** Where the worker's stdout goes (the watchdog's own stdout). */
  stdout(text: string): void;
  /** Logs a worker that cannot be started. */
  log(level: "error", message: string): void;
  /** The exit code a worker that cannot be started reports. */
  readonly spawnErrorCode: number;
}

/** A started worker, as the watchdog sees it. */
export interface WorkerProcess extends WorkerHandle {
  /** False once the process exited. */
  readonly running: boolean;
  /** True once it printed `SERVING_ANNOUNCEMENT` while running: its feeds are loaded. */
  readonly announced: boolean;
}

/**
 * Starts a worker. Its stdin is a pipe never written to: the end of it tells the worker its
 * watchdog is gone (even by SIGKILL, the kernel closes our end), and it is closed once the
 * worker exits.
 *
 * @example
 * ```ts
 * import { spawn } from "node:child_process";
 * const worker = spawnWorker({ spawn, command: ["ioclens", "serve", "--no-watchdog"], env: process.env,
 *   platform: process.platform, stdout: (t) => process.stdout.write(t), log: console.error, spawnErrorCode: 5 }, 0);
 * await worker.exited;
 * ```
 */
export function spawnWorker(deps: SpawnWorkerDeps, restarts: number): WorkerProcess {
  const [command, ...args] = deps.command;
  const child = deps.spawn(command, args, {
    // stdout is read for the worker's "serving on" line: only then does a PONG on the port
    // come from our worker (and not from whatever else may hold the port).
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...workerEnvironment(), ...deps.env, IOCLENS_WORKER: "1", IOCLENS_RESTARTS: String(restarts) },
    // Its own process group: a terminal's Ctrl+C reaches only the watchdog, which then sends
    // one SIGTERM. Sharing the group, the worker got SIGINT and SIGTERM, and a second signal
    // means "stop now" (exit 130), cutting its drain short. On Windows `detached` would open
    // a new console instead, so not there.
    detached: deps.platform !== "win32",
  });
  let running = true;
  let announced = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", (error) => {
      deps.log("error", `cannot start the service process: ${error.message}`);
      resolve(deps.spawnErrorCode);
    });
  });
  let pending = "";
  child.stdout?.on("data", (chunk) => {
    const text = chunk.toString("utf8");
    deps.stdout(text);
    if (announced || !running) return;
    pending = (pending + text).slice(-4096);
    if (pending.includes(SERVING_ANNOUNCEMENT)) announced = true;
  });
  child.once("exit", () => {
    child.stdin?.destroy();
    running = false;
  });
  return {
    exited,
    pid: child.pid,
    kill: (signal) => void child.kill(signal),
    get running() {
      return running;
    },
    get announced() {
      return announced;
    },
  };
}
