/**
 * Child processes and what the reliability and compatibility suites measure around them: waiting on conditions, counting file descriptors and
 * memory, a seeded PRNG for reproducible fuzzing, free ports, and real child processes that are
 * always killed when a test ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { collectGarbage } from "../../src/runtime/runtime.ts";

/** The repository root (children run `src/main.ts` from here). */
export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * Waits until `condition()` holds, re-checking every `everyMs` (0: every macrotask), and
 * fails with `what` after `limitMs`. Never a fixed sleep: it returns as soon as the state is reached.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, limitMs = 15_000, everyMs = 0): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => (everyMs > 0 ? setTimeout(r, everyMs) : setImmediate(r)));
  }
}

/** A fresh folder under the system temp folder, removed with everything in it on dispose. */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** Resident set size in MiB after a forced full collection. */
export function rssAfterGcMiB(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().rss / 1048576;
}

/** mulberry32: a tiny seeded PRNG, so every fuzz case can be replayed from its seed. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(items: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)]! };
}

/** A TCP port that was free a moment ago (for children that need a fixed port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen({ host: "127.0.0.1", port: 0 }, r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** True when `port` answers the health probe with PONG. */
export function pong(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes("PONG")) finish(true);
    });
    socket.on("error", () => finish(false));
    socket.on("close", () => finish(false));
    socket.write("X-KF-ReplyBackPING");
  });
}

/** A child process with its output collected, and its exit as a promise. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | null>;
  /** The exit code, or undefined while it runs. */
  code(): number | null | undefined;
}

const children = new Set<Child>();

/** Runs `bun src/main.ts ...args` in `cwd` (default: the repository root); `openFiles` sets its `ulimit -n`. */
export function spawnIoclens(args: readonly string[], env: Record<string, string> = {}, options: { openFiles?: number; cwd?: string } = {}): Child {
  const argv = [process.execPath, resolve(REPO, "src/main.ts"), ...args];
  // `exec` keeps the pid, so the child is still ioclens itself.
  const [program, ...rest] = options.openFiles === undefined ? argv : ["bash", "-c", `ulimit -n ${options.openFiles} && exec "$@"`, "bash", ...argv];
  return spawnChild(program!, rest, { env, cwd: options.cwd });
}

/** Where and as whom {@link spawnChild} runs its program. */
export interface SpawnOptions {
  readonly env?: Record<string, string>;
  /** Default: the repository root. */
  readonly cwd?: string;
  /** Run as this user and group (needs root), e.g. to meet a permission a root test would pass. */
  readonly uid?: number;
  readonly gid?: number;
}

/** Runs `program ...args` like {@link spawnIoclens}: bash for a process substitution, the built binary. */
export function spawnChild(program: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const child = spawn(program, args, {
    cwd: options.cwd ?? REPO,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, IOCLENS_LOG_LEVEL: "info", ...options.env },
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
  });
  let out = "";
  let err = "";
  let exitCode: number | null | undefined;
  child.stdout!.on("data", (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => void (err += chunk.toString()));
  const exited = new Promise<number | null>((r) => {
    child.once("close", (code) => {
      exitCode = code;
      r(code);
    });
  });
  const handle: Child = { process: child, pid: child.pid!, stdout: () => out, stderr: () => err, exited, code: () => exitCode };
  children.add(handle);
  void exited.then(() => children.delete(handle));
  return handle;
}

/** Pids of the direct children of `pid` (the watchdog's worker). */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** SIGKILLs every child still running (and the workers of watchdogs); call in afterEach. */
export async function killChildren(): Promise<void> {
  for (const child of [...children]) {
    if (child.code() !== undefined) continue;
    for (const pid of childPids(child.pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    child.process.kill("SIGKILL");
    await child.exited;
  }
}

/** GETs `/status` of a status endpoint; undefined while it does not answer. */
export async function fetchStatus(port: number): Promise<{ events: { total: number }; restarts: number } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(1000) });
    return response.ok ? ((await response.json()) as { events: { total: number }; restarts: number }) : undefined;
  } catch {
    return undefined;
  }
}
