/**
 * Benchmark of ServiceSettings > Workers (issue 17): events/s of `ioclens serve` with Workers 1
 * and 2 on 1, 4 and 8 connections, beside the null service (scripts/bench/null_service.ts), with
 * the service's CPU µs per event and its RSS; then a scan of a generated log (default 1 GiB) with
 * Workers 1 and 2 beside `grep -F -f` (scripts/bench/scan_end_to_end.ts, `--workers 1,2`).
 * Rounds alternate Workers 1, Workers 2 and the null service so that a neighbour's load on this
 * shared machine falls on all three; each figure is the median of the rounds.
 *
 * Usage: bun scripts/bench/workers.ts [--seconds 5] [--warmup 4] [--rounds 2] [--connections 1,4,8]
 *          [--size 1g] [--no-scan]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { argValue, benchTempDir, kilo, loadLine, machineLine, mib, requireData, ratio, ROOT } from "./_bench_env.ts";
import { LogLineMaker, sampleIndicators } from "./_log_corpus.ts";
import { encodeBatches, runLoad, type LoadResult } from "./_load_client.ts";
import { AlertListener, readRss, serviceCommand, startProcess, writeServiceConfig, type ServiceProcess } from "./_service_process.ts";

requireData("workers");
const seconds = Number(argValue("seconds") ?? 5);
// 4 s: each worker thread JITs the event path on its own (2 s left 10–20 % of the measured CPU to the JIT threads).
const warmup = Number(argValue("warmup") ?? 4);
const rounds = Number(argValue("rounds") ?? 2);
const connectionCounts = (argValue("connections") ?? "1,4,8").split(",").map(Number);
const WINDOW = 1000;
const BATCH = 100;
const POOL_LINES = 200_000;

const dir = benchTempDir("workers");
const maker = new LogLineMaker(await sampleIndicators(20_000));
const lines: string[] = [];
for (let i = 0; i < POOL_LINES; i++) lines.push(maker.next().line);
const batches = encodeBatches(lines, BATCH);

const alerts = new AlertListener();
await alerts.listen();
const configs = new Map<number, string>();
for (const workers of [1, 2]) {
  const path = join(dir, `workers_${workers}.conf`);
  writeServiceConfig(path, alerts.port, undefined, workers);
  configs.set(workers, path);
}

type Contender = "workers 1" | "workers 2" | "null";
interface Run {
  readonly loads: Map<number, LoadResult>;
  readonly rssStart: number;
  readonly rssAfter: number;
  readonly rssPeak: number;
}

async function measure(server: ServiceProcess): Promise<Run> {
  const rssStart = readRss(server.pid).rss;
  const loads = new Map<number, LoadResult>();
  for (const n of connectionCounts) {
    loads.set(n, await runLoad({ port: server.port, connections: n, window: WINDOW, batchLines: BATCH, batches, warmupMs: warmup * 1000, measureMs: seconds * 1000, serverPid: server.pid }));
  }
  const after = readRss(server.pid);
  return { loads, rssStart, rssAfter: after.rss, rssPeak: after.peak };
}

function start(contender: Contender): Promise<ServiceProcess> {
  if (contender === "null") return startProcess([process.execPath, join(ROOT, "scripts/bench/null_service.ts"), "-c", configs.get(1)!]);
  return startProcess(serviceCommand(configs.get(contender === "workers 1" ? 1 : 2)!));
}

console.log(`# Workers (${machineLine()})`);
console.log(loadLine());
console.log(`corpus: ${POOL_LINES} lines cycled; window ${WINDOW} lines/connection in batches of ${BATCH}; ${warmup} s warm-up + ${seconds} s measured per row; ${rounds} round(s) alternating Workers 1, Workers 2, null service; medians shown`);

const runs = new Map<Contender, Run[]>([["workers 1", []], ["workers 2", []], ["null", []]]);
for (let round = 0; round < rounds; round++) {
  // Alternate the order too, so neither setting always runs first after a start.
  const order: Contender[] = round % 2 === 0 ? ["workers 1", "workers 2", "null"] : ["workers 2", "workers 1", "null"];
  for (const contender of order) {
    const server = await start(contender);
    runs.get(contender)!.push(await measure(server));
    await server.stop();
  }
}
await alerts.close();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const eps = (c: Contender, n: number) => median(runs.get(c)!.map((r) => r.loads.get(n)!.eventsPerSecond));
const cpuUs = (c: Contender, n: number) => median(runs.get(c)!.map((r) => (r.loads.get(n)!.serverCpu / r.loads.get(n)!.eventsPerSecond) * 1e6));
const cores = (c: Contender, n: number) => median(runs.get(c)!.map((r) => r.loads.get(n)!.serverCpu));
const clientCores = (c: Contender, n: number) => median(runs.get(c)!.map((r) => r.loads.get(n)!.clientCpu));
const rss = (c: Contender, key: "rssStart" | "rssAfter" | "rssPeak") => median(runs.get(c)!.map((r) => r[key]));

console.log("");
console.log("| connections | Workers 1 events/s | Workers 2 events/s | Workers 2 ÷ Workers 1 | null service events/s | Workers 1 ÷ null | Workers 2 ÷ null | CPU µs/event W1 / W2 / null | service CPU cores W1 / W2 / null | load client cores (W2 run) |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const n of connectionCounts) {
  const [w1, w2, nul] = [eps("workers 1", n), eps("workers 2", n), eps("null", n)];
  console.log(
    `| ${n} | ${kilo(w1)} | ${kilo(w2)} | ${ratio(w2, w1)} | ${kilo(nul)} | ${ratio(w1, nul)} | ${ratio(w2, nul)} | ${cpuUs("workers 1", n).toFixed(2)} / ${cpuUs("workers 2", n).toFixed(2)} / ${cpuUs("null", n).toFixed(2)} | ${cores("workers 1", n).toFixed(2)} / ${cores("workers 2", n).toFixed(2)} / ${cores("null", n).toFixed(2)} | ${clientCores("workers 2", n).toFixed(2)} |`,
  );
}
console.log("");
console.log("| RSS | after start | after the runs | peak | ÷ Workers 1 (after the runs) |");
console.log("|---|---:|---:|---:|---:|");
for (const c of ["workers 1", "workers 2", "null"] as const) {
  console.log(`| ${c} | ${mib(rss(c, "rssStart"))} | ${mib(rss(c, "rssAfter"))} | ${mib(rss(c, "rssPeak"))} | ${ratio(rss(c, "rssAfter"), rss("workers 1", "rssAfter"))} |`);
}
const target = eps("workers 2", 4) / eps("workers 1", 4);
console.log("");
console.log(`target: Workers 2 with 4 connections ≥ 1.4 × Workers 1: ${target.toFixed(2)} × — ${target >= 1.4 ? "met" : "NOT met"}`);

if (!process.argv.includes("--no-scan")) {
  console.log("");
  const size = argValue("size") ?? "1g";
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/bench/scan_end_to_end.ts"), "--size", size, "--modes", "report", "--workers", "1,2"], { cwd: ROOT, stdio: "inherit" });
    child.once("exit", resolve);
  });
  if (code !== 0) process.exit(code ?? 1);
}
