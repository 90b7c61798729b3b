/** A fake `ChildProcess` for the watchdog's tests: the test emits its stdout, exit and errors. */
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import type { SpawnWorkerDeps, WorkerChild, WorkerSpawnOptions } from "../../src/watchdog/spawn_worker.ts";

/** One spawned fake: what it was started with, the signals it got, and hooks to act as the child. */
export class FakeChild extends EventEmitter implements WorkerChild {
  readonly stdout = new EventEmitter();
  readonly stdin = { destroyed: false, destroy: () => (this.stdin.destroyed = true) };
  readonly signals: string[] = [];
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly options: WorkerSpawnOptions,
    readonly pid: number | undefined,
  ) {
    super();
  }
  kill(signal: "SIGTERM" | "SIGKILL"): boolean {
    this.signals.push(signal);
    return true;
  }
  /** The child prints `text` on its stdout. */
  print(text: string): void {
    this.stdout.emit("data", Buffer.from(text, "utf8"));
  }
  exit(code: number | null): void {
    this.emit("exit", code);
  }
}

/** `SpawnWorkerDeps` whose `spawn` records fake children; pids count up from 100. */
export function fakeSpawnDeps(overrides: Partial<SpawnWorkerDeps> = {}) {
  const children: FakeChild[] = [];
  const stdout: string[] = [];
  const logs: string[] = [];
  const deps: SpawnWorkerDeps = {
    spawn: (command, args, options) => {
      const child = new FakeChild(command, args, options, 100 + children.length);
      children.push(child);
      return child;
    },
    command: ["/usr/bin/ioclens", "serve", "--no-watchdog", "-c", "a.conf"],
    env: { PATH: "/bin" },
    platform: "linux",
    stdout: (text) => stdout.push(text),
    log: (level, message) => logs.push(`${level} ${message}`),
    spawnErrorCode: 5,
    ...overrides,
  };
  return { deps, children, stdout, logs };
}
