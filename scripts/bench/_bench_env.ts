/**
 * What every service/scan benchmark shares: where the data is, a skip when it is absent, the
 * machine line printed above each result, a seeded PRNG and small number formatting.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, "../..");
/** ../shared/data relative to the repository, or `IOCLENS_BENCH_DATA` (a worktree that is not beside `shared/`). */
export const DATA_DIR = resolve(ROOT, process.env.IOCLENS_BENCH_DATA ?? "../shared/data");
export const TRAILS = join(DATA_DIR, "maltrail/trails.tsv.gz");
export const IPSUM = join(DATA_DIR, "ipsum/ipsum.tsv.gz");

/** Exits 0 with a clear message when the shared data set is missing (benchmarks are not tests). */
export function requireData(bench: string): void {
  if (existsSync(TRAILS) && existsSync(IPSUM)) return;
  console.log(`${bench}: skipped: ${DATA_DIR} (maltrail/trails.tsv.gz, ipsum/ipsum.tsv.gz) not found; this benchmark needs the shared indicator data`);
  process.exit(0);
}

/** One line describing the machine and runtime, printed with every result. */
export function machineLine(): string {
  const list = cpus();
  const model = list[0]?.model ?? "unknown CPU";
  let kernel = "";
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  } catch {
    kernel = process.platform;
  }
  const runtime = process.versions.bun ? `Bun ${process.versions.bun}` : `Node ${process.versions.node}`;
  return `${new Date().toISOString().slice(0, 10)}, ${list.length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${kernel}, ${runtime}`;
}

/**
 * The machine's load average, with a warning when other processes compete for the CPU: then
 * events/s and MB/s are pessimistic, while CPU time per event stays comparable.
 */
export function loadLine(): string {
  let avg = Number.NaN;
  try {
    avg = Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return "load average: unknown";
  }
  const busy = avg > cpus().length * 0.5;
  return `load average ${avg.toFixed(2)} at start${busy ? ` — WARNING: the machine is busy (${cpus().length} CPUs); rates are pessimistic, compare CPU µs/event and the ratios` : ""}`;
}

/** A temporary folder removed at exit (also on Ctrl-C). */
export function benchTempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ioclens-bench-${name}-`));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`benchmark interrupted by ${signal}; removed ${dir}\n`);
      cleanup();
      process.exit(130);
    });
  }
  return dir;
}

/** mulberry32: a tiny deterministic PRNG so runs generate the same corpus. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads `--name value` / `--name=value` from argv. */
export function argValue(name: string): string | undefined {
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** `1g`, `200m`, `64k` or a plain byte count. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new Error(`Size argument is invalid: got "${text}", expected e.g. 1g, 200m or 1048576`);
  const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * unit);
}

/** Value at quantile `q` (0..1) of the first `n` numbers of `sorted` (ascending). */
export function quantile(sorted: Float64Array, n: number, q: number): number {
  if (n === 0) return Number.NaN;
  return sorted[Math.min(n - 1, Math.floor(q * n))]!;
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
/** 123456 → "123.5 k". */
export const kilo = (n: number) => `${(n / 1000).toFixed(1)} k`;
/** a ÷ b with two decimals, or two significant digits when below 0.1. */
export const ratio = (a: number, b: number) => {
  if (!(b > 0)) return "n/a";
  const r = a / b;
  return r >= 0.1 ? r.toFixed(2) : r.toPrecision(2);
};
