/**
 * Benchmark 1, service throughput: clients stream real-looking log lines (5% carry an indicator
 * from ../shared/data) with ReplyBack and finished events to `ioclens serve` holding the Maltrail
 * trails and IPsum (≈ 1.73 M indicators), and, in the same run, to a null service (same runtime,
 * framing and finished events, no matching). Reports events/s with 1, 4 and 8 connections,
 * p50/p99 latency per line, and the ratio to the null service.
 *
 * Usage: bun scripts/bench/service_throughput.ts [--seconds 10] [--warmup 3] [--window 1000]
 *          [--batch 100] [--connections 1,4,8] [--bin dist/ioclens]
 */
import { join, resolve } from "node:path";
import { argValue, benchTempDir, kilo, loadLine, machineLine, requireData, ratio, ROOT } from "./_bench_env.ts";
import { LogLineMaker, sampleIndicators } from "./_log_corpus.ts";
import { encodeBatches, runLoad, type LoadResult } from "./_load_client.ts";
import { AlertListener, readRss, serviceCommand, startProcess, writeServiceConfig, type ServiceProcess } from "./_service_process.ts";

requireData("service_throughput");
const seconds = Number(argValue("seconds") ?? 10);
const warmup = Number(argValue("warmup") ?? 3);
const window = Number(argValue("window") ?? 1000);
const batch = Number(argValue("batch") ?? 100);
const connectionCounts = (argValue("connections") ?? "1,4,8").split(",").map(Number);
const bin = argValue("bin");
const POOL_LINES = 200_000;

const dir = benchTempDir("throughput");
const sample = await sampleIndicators(20_000);
const maker = new LogLineMaker(sample);
const lines: string[] = [];
let hits = 0;
let bytes = 0;
for (let i = 0; i < POOL_LINES; i++) {
  const { line, hit } = maker.next();
  lines.push(line);
  if (hit) hits++;
  bytes += line.length + 1;
}
const batches = encodeBatches(lines, batch);

const alerts = new AlertListener();
await alerts.listen();
const configPath = join(dir, "kl_feed_service.conf");
writeServiceConfig(configPath, alerts.port);

async function measure(server: ServiceProcess, connections: number, w = window, b = batch): Promise<LoadResult> {
  return runLoad({
    port: server.port,
    connections,
    window: w,
    batchLines: b,
    batches: b === batch ? batches : encodeBatches(lines.slice(0, 20_000), b),
    warmupMs: warmup * 1000,
    measureMs: seconds * 1000,
    serverPid: server.pid,
  });
}

async function runAll(server: ServiceProcess): Promise<{ loads: Map<number, LoadResult>; unloaded: LoadResult }> {
  const loads = new Map<number, LoadResult>();
  for (const n of connectionCounts) loads.set(n, await measure(server, n));
  // One line in flight: the latency of a lone line, without queueing behind others.
  const unloaded = await measure(server, 1, 1, 1);
  return { loads, unloaded };
}

console.log(`# Service throughput (${machineLine()})`);
console.log(loadLine());
console.log(`corpus: ${POOL_LINES} lines cycled, ${((hits / POOL_LINES) * 100).toFixed(1)}% with an indicator, mean ${(bytes / POOL_LINES).toFixed(0)} bytes/line; window ${window} lines/connection in batches of ${batch}; ${warmup} s warm-up + ${seconds} s measured per row`);

const nullServer = await startProcess([process.execPath, join(ROOT, "scripts/bench/null_service.ts"), "-c", configPath]);
const nullRuns = await runAll(nullServer);
await nullServer.stop();

const command = bin ? [resolve(ROOT, bin), "serve", "--no-watchdog", "--log-level", "info", "-c", configPath] : serviceCommand(configPath);
const service = await startProcess(command);
const rssIdle = readRss(service.pid).rss;
const serviceRuns = await runAll(service);
const rssAfter = readRss(service.pid);
await service.stop();
await alerts.close();

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
/** Service CPU per event in µs: unlike events/s it barely moves when other processes take CPU. */
const cpuPerEvent = (r: LoadResult) => ((r.serverCpu / r.eventsPerSecond) * 1e6).toFixed(1);
const row = (label: string, s: LoadResult, n: LoadResult) =>
  `| ${label} | ${kilo(s.eventsPerSecond)} | ${ms(s.p50Ms)} / ${ms(s.p99Ms)} | ${kilo(n.eventsPerSecond)} | ${ms(n.p50Ms)} / ${ms(n.p99Ms)} | ${ratio(s.eventsPerSecond, n.eventsPerSecond)} | ${cpuPerEvent(s)} / ${cpuPerEvent(n)} | ${s.serverCpu.toFixed(2)} / ${n.serverCpu.toFixed(2)} | ${s.detectionsPerLine.toFixed(3)} |`;
console.log("");
console.log(`ioclens serve: ${command.slice(0, command.indexOf("serve")).map((a) => a.replace(ROOT + "/", "")).join(" ")}; RSS ${(rssIdle / 2 ** 20).toFixed(0)} MiB after start, ${(rssAfter.rss / 2 ** 20).toFixed(0)} MiB after the runs, peak ${(rssAfter.peak / 2 ** 20).toFixed(0)} MiB (under load the heap grows between full collections)`);
console.log("");
console.log("| connections | ioclens events/s | p50 / p99 ms | null service events/s | p50 / p99 ms | ratio | CPU µs/event ioclens / null | CPU cores ioclens / null | detections per line |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const n of connectionCounts) console.log(row(String(n), serviceRuns.loads.get(n)!, nullRuns.loads.get(n)!));
console.log(row("1, one line in flight", serviceRuns.unloaded, nullRuns.unloaded));
