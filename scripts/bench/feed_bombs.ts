/**
 * Memory check for hostile feed files (not a benchmark of speed): a 2 GiB sparse file, a gzip of
 * 10 GiB of zeros and a gzip of 5 GiB of empty lines, each loaded by `ioclens serve
 * --no-watchdog` as the only feed (format `lines`). Prints per file the worker's peak RSS
 * (VmHWM, sampled every 50 ms so a crash still leaves a figure), the time from spawn to the
 * feed's log line, and that line. Linux only.
 *
 * Usage: bun scripts/bench/feed_bombs.ts [--data DIR] [--limit SECONDS] [--bin dist/ioclens]
 *   --data DIR   generate the files there (or reuse them) and keep them; default: a temp folder
 *                removed at exit. The files take ≈ 2 GiB of address space but ≈ 15 MB of disk.
 *   --limit S    give up on one file after S seconds (default 300)
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createGzip } from "node:zlib";
import { argValue, benchTempDir, loadLine, machineLine, mib, ROOT } from "./_bench_env.ts";
import { readRss } from "./_service_process.ts";

const GiB = 2 ** 30;
const DEFAULT_CONF = join(ROOT, "src/config/defaults/default_service.conf");

const dataArg = argValue("data");
const dir = dataArg === undefined ? benchTempDir("feed-bombs") : resolve(dataArg);
mkdirSync(dir, { recursive: true });
const limitMs = Number(argValue("limit") ?? 300) * 1000;
const bin = argValue("bin");

/** Writes `total` bytes of `fill` through gzip at level 9 (the best ratio a bomb can have). */
async function gzipOf(path: string, fill: number, total: number): Promise<void> {
  if (existsSync(path)) return;
  const block = new Uint8Array(1 << 20).fill(fill);
  const gzip = createGzip({ level: 9 });
  const done = new Promise<void>((ok, fail) => gzip.pipe(createWriteStream(`${path}.part`)).once("finish", ok).once("error", fail));
  for (let written = 0; written < total; written += block.length) {
    if (!gzip.write(block)) await new Promise((r) => gzip.once("drain", r));
  }
  gzip.end();
  await done;
  renameSync(`${path}.part`, path);
}

const FILES = [
  { name: "sparse-2GiB.txt", make: async (path: string) => existsSync(path) || (writeFileSync(path, ""), truncateSync(path, 2 * GiB)) },
  { name: "zeros-10GiB.txt.gz", make: (path: string) => gzipOf(path, 0, 10 * GiB) },
  { name: "empty-lines-5GiB.txt.gz", make: (path: string) => gzipOf(path, 0x0a, 5 * GiB) },
] as const;

/** The embedded default config with only `feed` as a feed, from `dir`, on free ports. */
function writeConfig(feed: string): string {
  let text = readFileSync(DEFAULT_CONF, "utf8");
  const swap = (re: RegExp, by: string) => {
    if (!re.test(text)) throw new Error(`Benchmark config failed: ${re} not found in ${DEFAULT_CONF}`);
    text = text.replace(re, by);
  };
  swap(/<Feeds[\s\S]*?<\/Feeds>/, `<Feeds update_frequency="0"><Feed filename="${feed}" format="lines" category="Bomb"/></Feeds>`);
  swap(/<Bases>[^<]*<\/Bases>/, `<Bases>${dir}</Bases>`);
  swap(/(<InputSettings>\s*(?:<!--[\s\S]*?-->\s*)?)<ConnectionString>[^<]*<\/ConnectionString>/, "$1<ConnectionString>127.0.0.1:0</ConnectionString>");
  swap(/<StatusEndpoint[\s\S]*?<\/StatusEndpoint>/, "");
  const path = join(dir, `${feed}.conf`);
  writeFileSync(path, text);
  return path;
}

interface Outcome {
  readonly peak: number;
  readonly ms: number;
  readonly line: string;
}

/** Runs the worker on one feed until it logs the feed's outcome, exits, or the limit passes. */
function measure(feed: string): Promise<Outcome> {
  const config = writeConfig(feed);
  const argv = bin ? [resolve(ROOT, bin), "serve", "--no-watchdog", "-c", config] : [process.execPath, join(ROOT, "src/main.ts"), "serve", "--no-watchdog", "-c", config];
  const spawnedAt = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, IOCLENS_LOG_LEVEL: "info" } });
  let peak = 0;
  let err = "";
  return new Promise((done) => {
    const finish = (line: string) => {
      clearInterval(sampler);
      clearTimeout(timer);
      child.kill("SIGKILL");
      done({ peak, ms: performance.now() - spawnedAt, line });
    };
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, readRss(child.pid!).peak);
      } catch {
        // Gone: the exit handler reports it.
      }
    }, 50);
    const timer = setTimeout(() => finish(`still loading after ${limitMs / 1000} s`), limitMs);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      err = (err + chunk).slice(-65536);
      const line = err.split("\n").find((l) => l.includes(`feed ${feed}`));
      if (line !== undefined) finish(line.replace(/^\S+ /, ""));
    });
    child.once("exit", (code, signal) => finish(`worker exited: code ${code}, signal ${signal}: ${err.trim().split("\n").at(-1) ?? ""}`));
  });
}

console.log(`# Hostile feeds (${machineLine()})`);
console.log(loadLine());
console.log("| feed | size on disk | peak RSS | spawn → feed log line | log line |");
console.log("|---|---:|---:|---:|---|");
for (const file of FILES) {
  const path = join(dir, file.name);
  await file.make(path);
  const outcome = await measure(file.name);
  const size = statSync(path).blocks * 512;
  console.log(`| ${file.name} | ${mib(size)} | ${mib(outcome.peak)} | ${(outcome.ms / 1000).toFixed(1)} s | ${outcome.line.slice(0, 240)} |`);
}
