/**
 * Benchmark 2, scan end to end: a generated log (default 1 GiB; 5% of lines carry an indicator
 * from ../shared/data) scanned by `dist/ioclens scan` against a running `dist/ioclens serve`
 * holding the Maltrail trails and IPsum. Baselines on the same file in the same run:
 * `grep -F -c -f indicators.txt` (every indicator the service holds, one per line) and `wc -l`.
 * The file is read once before timing, so every contender reads it from the page cache.
 *
 * Usage: bun scripts/bench/scan_end_to_end.ts [--size 1g] [--modes report,forward] [--workers 1] [--bin dist/ioclens] [--dir /tmp]
 *   report:  `scan -r` (ReplyBack; detections written to a report file)
 *   forward: `scan` without -r (detections go to the service's output target; finished events come back)
 *   --workers: ServiceSettings > Workers of the service, a list (`1,2`) scans once per value, each
 *   with a service of its own, on the same file (scripts/bench/workers.ts).
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { argValue, benchTempDir, loadLine, machineLine, parseSize, requireData, ratio, ROOT } from "./_bench_env.ts";
import { LogLineMaker, sampleIndicators } from "./_log_corpus.ts";
import { AlertListener, readCpuSeconds, startProcess, writeServiceConfig } from "./_service_process.ts";

requireData("scan_end_to_end");
const size = parseSize(argValue("size") ?? "1g");
const modes = (argValue("modes") ?? "report,forward").split(",");
const workerCounts = (argValue("workers") ?? "1").split(",").map(Number);
const bin = resolve(ROOT, argValue("bin") ?? "dist/ioclens");
if (!existsSync(bin)) {
  console.log(`scan_end_to_end: skipped: ${bin} not found; build it with npm run build`);
  process.exit(0);
}
const dir = argValue("dir") ? benchTempDirIn(resolve(argValue("dir")!)) : benchTempDir("scan");

function benchTempDirIn(parent: string): string {
  process.env["TMPDIR"] = parent;
  return benchTempDir("scan");
}

/** Newest .ts under src/ later than the binary: the figures would not be those of the source. */
function staleness(): string {
  const built = statSync(bin).mtimeMs;
  const newer: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts") && statSync(p).mtimeMs > built) newer.push(p.slice(ROOT.length + 1));
    }
  };
  walk(join(ROOT, "src"));
  return newer.length === 0 ? "" : ` — WARNING: ${newer.length} source file(s) are newer than the binary (${newer.slice(0, 3).join(", ")}…); run npm run build`;
}

const STALL_MS = 60_000;

/** Runs a command to completion; resolves with wall seconds, its stdout and its CPU seconds (polled, so within 0.2 s). */
function timed(argv: readonly string[], cwd = dir): Promise<{ seconds: number; stdout: string; code: number | null; stderr: string; cpu: number; stalled: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-8000)));
    let cpu = 0;
    // Idle timers still cost a few ms of CPU a minute, so "stuck" is under 1% of a core over a minute.
    let windowStart = performance.now();
    let windowCpu = 0;
    let stalled = false;
    const poll = setInterval(() => {
      try {
        cpu = readCpuSeconds(child.pid!);
      } catch {
        // Exited between polls: the last reading stands.
      }
      if (performance.now() - windowStart < STALL_MS) return;
      // A scan that uses almost no CPU for a minute is stuck (seen with a lost wake-up in the scanner): stop it.
      if (cpu - windowCpu < (0.01 * STALL_MS) / 1000) {
        stalled = true;
        child.kill("SIGKILL");
      }
      windowStart = performance.now();
      windowCpu = cpu;
    }, 200);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearInterval(poll);
      resolvePromise({ seconds: (performance.now() - started) / 1000, stdout, code, stderr, cpu, stalled });
    });
  });
}

console.log(`# Scan end to end (${machineLine()})`);
console.log(loadLine());

// The corpus: indicators.txt for grep, then the log file.
const indicatorsFile = join(dir, "indicators.txt");
const sample = await sampleIndicators(20_000, 1, indicatorsFile);
const logFile = join(dir, "generated.log");
const maker = new LogLineMaker(sample);
let written = 0;
let lines = 0;
let hits = 0;
{
  const out = createWriteStream(logFile);
  while (written < size) {
    let chunk = "";
    while (chunk.length < 1 << 22 && written + chunk.length < size) {
      const { line, hit } = maker.next();
      chunk += line + "\n";
      lines++;
      if (hit) hits++;
    }
    written += chunk.length;
    if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
}
// Warm the page cache so no contender pays for the disk.
for await (const _ of createReadStream(logFile, { highWaterMark: 1 << 22 })) void _;
const mb = written / 1e6;
console.log(`file: ${(written / 2 ** 20).toFixed(0)} MiB (${mb.toFixed(0)} MB), ${lines} lines, ${((hits / lines) * 100).toFixed(1)}% with an indicator; indicators.txt: ${sample.total} lines`);
console.log(`binary: ${bin.replace(ROOT + "/", "")}, built ${new Date(statSync(bin).mtimeMs).toISOString()}${staleness()}`);

// Baselines.
const wc = await timed(["wc", "-l", logFile]);
const grepSetup = await timed(["grep", "-F", "-c", "-f", indicatorsFile, "/dev/null"]);
const grep = await timed(["grep", "-F", "-c", "-f", indicatorsFile, logFile]);

// The service, then one scan per mode.
const alerts = new AlertListener();
await alerts.listen();
const scans: { mode: string; workers: number; seconds: number; serviceCpu: number; scannerCpu: number; summary: string }[] = [];
for (const workers of workerCounts) {
  const serviceConfig = join(dir, "kl_feed_service.conf");
  writeServiceConfig(serviceConfig, alerts.port, undefined, workers);
  const service = await startProcess([bin, "serve", "--no-watchdog", "--log-level", "warn", "-c", serviceConfig]);
  const scannerConfig = join(dir, "log_scanner.conf");
  writeFileSync(
    scannerConfig,
    `<Settings>\n  <ThreadsCount>8</ThreadsCount>\n  <OutputDir>${join(dir, "reports")}</OutputDir>\n  <Connection>127.0.0.1:${service.port}</Connection>\n  <ConnectionTimeout>15</ConnectionTimeout>\n</Settings>\n`,
  );
  for (const mode of modes) {
    if (mode !== "report" && mode !== "forward") throw new Error(`--modes entry is invalid: got "${mode}", expected report or forward`);
    const cpu0 = readCpuSeconds(service.pid);
    const run = await timed([bin, "scan", "-c", scannerConfig, "-p", logFile, ...(mode === "report" ? ["-r", "--output", join(dir, "reports", "report.txt")] : [])]);
    const cpu = readCpuSeconds(service.pid) - cpu0;
    if (run.stalled) {
      console.log(`scan ${mode}: STALLED — no CPU used by the scanner for ${STALL_MS / 1000} s after ${run.seconds.toFixed(0)} s; killed. Its stdout: ${run.stdout.trim() || "(none)"}; stderr: ${run.stderr.trim() || "(none)"}`);
      continue;
    }
    if (run.code !== 0) throw new Error(`Scan failed: exit ${run.code}, stderr:\n${run.stderr}`);
    scans.push({ mode, workers, seconds: run.seconds, serviceCpu: cpu / run.seconds, scannerCpu: run.cpu / run.seconds, summary: run.stdout.trim().replace(/\s*\n\s*/g, "; ") });
  }
  await service.stop();
}
await alerts.close();

const rate = (seconds: number) => mb / seconds;
console.log("");
console.log("| contender | time s | MB/s | scan ÷ grep | scan ÷ wc -l |");
console.log("|---|---:|---:|---:|---:|");
for (const s of scans) {
  console.log(`| \`ioclens scan${s.mode === "report" ? " -r" : ""}\` (${s.mode}; Workers ${s.workers}; CPU cores: service ${s.serviceCpu.toFixed(2)}, scanner ${s.scannerCpu.toFixed(2)}) | ${s.seconds.toFixed(1)} | ${rate(s.seconds).toFixed(1)} | ${ratio(grep.seconds, s.seconds)} | ${ratio(wc.seconds, s.seconds)} |`);
}
console.log(`| \`grep -F -c -f indicators.txt\` (${grep.stdout.trim()} lines matched; ${grepSetup.seconds.toFixed(1)} s of it building the pattern set) | ${grep.seconds.toFixed(1)} | ${rate(grep.seconds).toFixed(1)} | | |`);
console.log(`| \`wc -l\` | ${wc.seconds.toFixed(2)} | ${rate(wc.seconds).toFixed(0)} | | |`);
for (const s of scans) console.log(`scan ${s.mode}, Workers ${s.workers}: ${s.summary}`);
