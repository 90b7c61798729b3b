/**
 * The one place that knows which runtime we are on. Everything else in src/ uses `node:`
 * built-ins and web APIs; what differs between Bun (source or compiled binary) and Deno is
 * answered here, in one table:
 *
 * | question                         | bun src/main.ts          | dist/ioclens (compiled)  | deno run src/main.ts           |
 * |----------------------------------|--------------------------|--------------------------|--------------------------------|
 * | how to start ourselves again     | execPath + main script   | execPath alone           | execPath run -A + main script  |
 * | folder "next to the binary"      | the repository root      | the binary's folder      | the repository root            |
 * | force a garbage collection       | Bun.gc(true)             | Bun.gc(true)             | not available (no-op)          |
 * | a worker's module (`new Worker`) | file URL of the source   | `./<path from src/>`     | file URL of the source         |
 * | open-file limit (Linux)          | /proc/self/limits        | /proc/self/limits        | /proc/self/limits              |
 * | allocator settings for a worker  | MIMALLOC_PURGE_DELAY     | MIMALLOC_PURGE_DELAY     | none                           |
 * | threads share a listening port   | Linux only (reusePort)   | Linux only (reusePort)   | no: ServiceSettings > Workers 1 |
 *
 * The open-file limit matters because Bun's listener does not report EMFILE: once the process
 * is out of descriptors it retries accept() in a loop (measured: ~0.4 s of CPU per second with
 * `ulimit -n 64` and 300 pending connections, and no "error" event), so the service keeps its
 * connection cap below the limit instead of backing off on an error it never sees.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

declare const Bun: { gc(force: boolean): void; main: string } | undefined;
declare const Deno: { mainModule: string } | undefined;

export type RuntimeName = "bun" | "bun-compiled" | "deno" | "node";

/** Which runtime runs this process. */
export const runtimeName: RuntimeName = detect();

function detect(): RuntimeName {
  if (typeof Deno !== "undefined") return "deno";
  if (typeof Bun !== "undefined") {
    // A compiled Bun executable serves its modules from an embedded file system.
    return import.meta.url.includes("$bunfs") || import.meta.url.includes("~BUN") ? "bun-compiled" : "bun";
  }
  return "node";
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** argv (program first) that starts this same ioclens again, e.g. for the watchdog's worker. */
export function selfCommand(): string[] {
  switch (runtimeName) {
    case "bun-compiled":
      return [process.execPath];
    case "deno":
      return [process.execPath, "run", "-A", resolve(repoRoot, "src/main.ts")];
    default:
      return [process.execPath, resolve(repoRoot, "src/main.ts")];
  }
}

/**
 * What `new Worker()` loads for the module at `pathInSrc` (e.g. `retroscan/_store_worker.ts`): a
 * compiled binary serves its extra entry points (scripts/build.ts) by their path from src/.
 */
export function workerUrl(pathInSrc: string): string {
  return runtimeName === "bun-compiled" ? `./${pathInSrc}` : new URL(`../${pathInSrc}`, import.meta.url).href;
}

/**
 * Whether worker threads can each listen on the same TCP port and have the kernel spread new
 * connections over them (`reusePort` in `node:net`'s listen, SO_REUSEPORT). Bun passes it through
 * on Linux (measured: 40 connections spread 19/21 over two threads); BSD and macOS sockets take
 * the option without spreading connections, Windows has no such option, and we do not rely on
 * Deno's `node:net` for it: there ServiceSettings > Workers falls back to 1.
 */
export function threadsShareListeningPort(): boolean {
  return (runtimeName === "bun" || runtimeName === "bun-compiled") && process.platform === "linux";
}

/** The folder relative paths "next to the binary" resolve against (log_scanner's OutputDir). */
export function binaryDir(): string {
  return runtimeName === "bun-compiled" ? dirname(process.execPath) : repoRoot;
}

/** Asks the runtime for a full garbage collection where it can (benchmarks, memory checks). */
export function collectGarbage(): void {
  if (typeof Bun !== "undefined") Bun.gc(true);
  else (globalThis as { gc?: () => void }).gc?.();
}

/** The soft limit on open files (RLIMIT_NOFILE), or undefined where it cannot be read (not Linux). */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * Environment variables a service worker starts with unless the user's environment sets them:
 * allocator settings, which a process cannot change once it runs. Bun's native allocator
 * (mimalloc) gives the pages of a freed buffer back to the kernel 10 ms after the free; the
 * service frees and allocates buffers of 50–150 KB for every chunk it reads and answers, a few
 * milliseconds apart under load, so it paid the page faults and TLB shootdowns of giving pages
 * back and taking them again: 2–3 µs of kernel CPU per event under load, 0.4–0.5 with purging off
 * (docs/performance.md, "Issue 17"). A delay of 1000 ms measured no better than the default, so
 * purging is off; the cost is memory the loader freed staying with the process (steady RSS
 * 441 MiB instead of 248 with the shared data). `MIMALLOC_PURGE_DELAY=10` restores the default.
 */
export function workerEnvironment(): Readonly<Record<string, string>> {
  return runtimeName === "bun" || runtimeName === "bun-compiled" ? { MIMALLOC_PURGE_DELAY: "-1" } : {};
}
