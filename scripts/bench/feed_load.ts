/**
 * Benchmark 3, feed load and memory: `ioclens serve` with the Maltrail trails and IPsum
 * (≈ 1.73 M indicators) from spawn to KL_ALERT_ServiceStarted, its RSS once started, and its
 * RSS during a hot reload (SIGHUP) sampled every 10 ms. Baselines in the same run: the same
 * runtime only gunzipping and splitting the two feed files (time), and the service with no
 * feeds (time and RSS).
 *
 * Usage: bun scripts/bench/feed_load.ts [--bin dist/ioclens] [--settle 3]
 */
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { join, resolve } from "node:path";
import { createGunzip } from "node:zlib";
import { argValue, benchTempDir, IPSUM, loadLine, machineLine, mib, requireData, ratio, ROOT, TRAILS } from "./_bench_env.ts";
import { AlertListener, readRss, serviceCommand, startProcess, writeServiceConfig, type ServiceProcess } from "./_service_process.ts";

/** Child mode: read and split both feeds the way a line reader must, print the ms. */
if (process.argv.includes("--read-only")) {
  const started = performance.now();
  let lines = 0;
  for (const file of [TRAILS, IPSUM]) {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of createReadStream(file).pipe(createGunzip({ chunkSize: 1 << 20 }))) {
      const text = rest + decoder.decode(chunk as Uint8Array, { stream: true });
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        if (nl > start) lines++;
        text.slice(start, nl).split("\t");
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - started, lines }) + "\n");
  process.exit(0);
}

requireData("feed_load");
const bin = argValue("bin");
const settleMs = Number(argValue("settle") ?? 3) * 1000;
const dir = benchTempDir("feeds");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alerts = new AlertListener();
await alerts.listen();
const command = (config: string) => (bin ? [resolve(ROOT, bin), "serve", "--no-watchdog", "--log-level", "info", "-c", config] : serviceCommand(config));

/** Starts a service and waits for KL_ALERT_ServiceStarted; samples RSS meanwhile. */
async function start(config: string): Promise<{ service: ServiceProcess; startedMs: number; peakRss: number }> {
  const since = performance.now();
  const service = await startProcess(command(config));
  const started = await alerts.waitFor("KL_ALERT_ServiceStarted", since);
  return { service, startedMs: started.at - service.spawnedAt, peakRss: readRss(service.pid).peak };
}

console.log(`# Feed load and memory (${machineLine()})`);
console.log(loadLine());

// Baseline 1: the same runtime reading the same files without indexing.
const readOnly = await new Promise<{ ms: number; lines: number }>((resolvePromise, reject) => {
  const child = spawn(process.execPath, [join(ROOT, "scripts/bench/feed_load.ts"), "--read-only"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.once("exit", (code) => (code === 0 ? resolvePromise(JSON.parse(out)) : reject(new Error(`Read-only baseline failed: exit ${code}`))));
});

// Baseline 2: the service with no feeds.
const emptyConfig = join(dir, "empty.conf");
writeServiceConfig(emptyConfig, alerts.port, `<Feeds update_frequency="0"></Feeds>`);
const empty = await start(emptyConfig);
await sleep(settleMs);
const emptyRss = readRss(empty.service.pid).rss;
await empty.service.stop();

// The real thing.
const fullConfig = join(dir, "full.conf");
writeServiceConfig(fullConfig, alerts.port);
const full = await start(fullConfig);
const feedLines = [...full.service.stderr().matchAll(/feed (\S+) loaded records=(\d+) skipped=(\d+) ms=(\d+)/g)];
const indicators = feedLines.reduce((n, m) => n + Number(m[2]), 0);
await sleep(settleMs);
const steady = readRss(full.service.pid).rss;

// Hot reload: SIGHUP rebuilds every feed while the old index keeps serving.
const hupAt = performance.now();
const reloadAlertsBefore = alerts.alerts.length;
process.kill(full.service.pid, "SIGHUP");
let reloadPeak = steady;
const updated = () => alerts.alerts.slice(reloadAlertsBefore).filter((a) => a.text.includes("KL_ALERT_UpdatedFeed")).length;
while (updated() < feedLines.length) {
  reloadPeak = Math.max(reloadPeak, readRss(full.service.pid).rss);
  await sleep(10);
  if (performance.now() - hupAt > 300_000) throw new Error("Hot reload failed: no KL_ALERT_UpdatedFeed for every feed within 300 s");
}
const reloadMs = alerts.alerts.at(-1)!.at - hupAt;
await sleep(settleMs);
const afterReload = readRss(full.service.pid).rss;
await full.service.stop();
await alerts.close();

console.log(`service: ${command("").slice(0, command("").indexOf("serve")).map((a) => a.replace(ROOT + "/", "")).join(" ")}; RSS read ${settleMs / 1000} s after start (steady state)`);
console.log("");
console.log("| figure | ioclens, full data | baseline | ratio |");
console.log("|---|---:|---:|---:|");
console.log(`| spawn → KL_ALERT_ServiceStarted | ${(full.startedMs / 1000).toFixed(2)} s | ${(empty.startedMs / 1000).toFixed(2)} s with no feeds; ${(readOnly.ms / 1000).toFixed(2)} s to gunzip + split the ${readOnly.lines} feed lines | ${ratio(full.startedMs, readOnly.ms)} × read-only |`);
for (const m of feedLines) console.log(`| feed ${m[1]} | ${(Number(m[4]) / 1000).toFixed(2)} s, ${m[2]} records, ${m[3]} skipped | | |`);
console.log(`| RSS, started (steady) | ${mib(steady)} | ${mib(emptyRss)} with no feeds | ${ratio(steady, emptyRss)} |`);
console.log(`| RSS per indicator | ${((steady - emptyRss) / indicators).toFixed(0)} B | (RSS − no-feeds RSS) ÷ ${indicators} | |`);
console.log(`| RSS peak while loading (VmHWM) | ${mib(full.peakRss)} | steady ${mib(steady)} | ${ratio(full.peakRss, steady)} |`);
console.log(`| RSS peak during hot reload | ${mib(reloadPeak)} | steady ${mib(steady)} | ${ratio(reloadPeak, steady)} |`);
console.log(`| hot reload, SIGHUP → last KL_ALERT_UpdatedFeed | ${(reloadMs / 1000).toFixed(2)} s | | |`);
console.log(`| RSS ${settleMs / 1000} s after the reload | ${mib(afterReload)} | steady ${mib(steady)} | ${ratio(afterReload, steady)} |`);
