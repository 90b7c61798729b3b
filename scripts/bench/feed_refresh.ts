/**
 * Feed refresh under load: `ioclens serve` holds a feed downloaded from a local HTTP server
 * (`--indicators` IPv4 lines, default 500 k); 4 clients stream log lines (half carry an indicator
 * of the feed) with ReplyBack and finished events, first with the feed left alone, then while the
 * feed changes and is refreshed (SIGHUP forces a download; each version is new, so each is
 * downloaded, parsed, checked and swapped in). Reports events/s, refreshes done, and the service's
 * RSS sampled every 50 ms in each phase plus its peak (VmHWM) for docs/performance.md.
 *
 * Needs no shared data. Usage: bun scripts/bench/feed_refresh.ts [--seconds 10] [--indicators 500000]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { argValue, benchTempDir, DATA_DIR, kilo, loadLine, machineLine, mib } from "./_bench_env.ts";
import { encodeBatches, runLoad, type LoadResult } from "./_load_client.ts";
import { AlertListener, readRss, serviceCommand, startProcess, writeServiceConfig, type ServiceProcess } from "./_service_process.ts";

const seconds = Number(argValue("seconds") ?? 10);
const indicators = Number(argValue("indicators") ?? 500_000);
const CONNECTIONS = 4;

/** Version `v` of the feed: the same IPs each time, but the last quarter moves with the version. */
function feedVersion(v: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < indicators; i++) {
    const n = i < (indicators * 3) / 4 ? i : i + v * indicators;
    lines.push(`${10 + ((n >>> 24) & 63)}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
  }
  return Buffer.from(`${lines.join("\n")}\n`);
}

let version = 0;
let body = feedVersion(0);
let served = 0;
const http = createServer((request, response) => {
  const etag = `"v${version}"`;
  if (request.headers["if-none-match"] === etag) return void response.writeHead(304, { etag }).end();
  served++;
  response.writeHead(200, { etag, "content-length": String(body.length) }).end(body);
});
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const feedUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/ips.txt`;

const dir = benchTempDir("feed-refresh");
const alerts = new AlertListener();
await alerts.listen();
const configPath = join(dir, "kl_feed_service.conf");
writeServiceConfig(configPath, alerts.port, `<Feeds update_frequency="0"><Feed url="${feedUrl}" filename="ips.txt" format="lines" category="Bench" indicator_lifetime="0"/></Feeds>`);
writeFileSync(configPath, readFileSync(configPath, "utf8").replace(`<Bases>${DATA_DIR}</Bases>`, `<Bases>${dir}</Bases>`));

const lines: string[] = [];
for (let i = 0; i < 100_000; i++) {
  const n = (i * 7919) % indicators;
  const hit = i % 2 === 0 ? `${10 + ((n >>> 24) & 63)}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` : `172.16.${(i >>> 8) & 255}.${i & 255}`;
  lines.push(`Dec  4 10:00:00 fw01 kernel: ACCEPT IN=eth0 SRC=${hit} DST=192.0.2.10 PROTO=TCP SPT=${40000 + (i % 20000)} DPT=443 n=${i}`);
}
const batches = encodeBatches(lines, 100);

/** Samples the service's RSS every 50 ms until stopped; returns the highest sample. */
function sampleRss(pid: number): () => number {
  let max = readRss(pid).rss;
  const timer = setInterval(() => (max = Math.max(max, readRss(pid).rss)), 50);
  return () => {
    clearInterval(timer);
    return max;
  };
}

async function load(service: ServiceProcess): Promise<LoadResult> {
  return runLoad({ port: service.port, connections: CONNECTIONS, window: 1000, batchLines: 100, batches, warmupMs: 1000, measureMs: seconds * 1000, serverPid: service.pid });
}

const service = await startProcess(serviceCommand(configPath));
const afterStart = readRss(service.pid);

const stopQuiet = sampleRss(service.pid);
const quiet = await load(service);
const quietRss = stopQuiet();

let refreshes = 0;
let refreshing = true;
const refresher = (async () => {
  while (refreshing) {
    version++;
    body = feedVersion(version);
    const done = (service.stderr().match(/reload done/g) ?? []).length;
    service.child.kill("SIGHUP");
    while ((service.stderr().match(/reload done|reload failed/g) ?? []).length <= done) await new Promise((r) => setTimeout(r, 20));
    refreshes++;
  }
})();
const stopBusy = sampleRss(service.pid);
const busy = await load(service);
refreshing = false;
await refresher;
const busyRss = stopBusy();
const peak = readRss(service.pid).peak;
const failed = (service.stderr().match(/reload failed/g) ?? []).length;
await service.stop();
await alerts.close();
http.close();

console.log(`# Feed refresh under load (${machineLine()})`);
console.log(loadLine());
console.log(`feed: ${kilo(indicators)} IPv4 lines (${mib(body.length)}), a quarter new in each version; ${CONNECTIONS} connections, window 1000, 1 s warm-up + ${seconds} s measured per row`);
console.log("");
console.log(`RSS after start (feed downloaded and loaded): ${mib(afterStart.rss)}; peak over the whole run (VmHWM): ${mib(peak)}`);
console.log("");
// CPU per refresh: the busy phase's service CPU less what its events cost at the quiet rate.
// Unlike events/s it barely moves when other processes take the CPU.
const cpuPerEvent = (quiet.serverCpu * seconds) / quiet.events;
const refreshCpu = refreshes === 0 ? Number.NaN : (busy.serverCpu * seconds - cpuPerEvent * busy.events) / refreshes;
console.log("| phase | events/s | p50 / p99 ms | refreshes (downloads) | service CPU s per refresh | highest RSS sampled |");
console.log("|---|---:|---:|---:|---:|---:|");
console.log(`| feed left alone | ${kilo(quiet.eventsPerSecond)} | ${quiet.p50Ms.toFixed(2)} / ${quiet.p99Ms.toFixed(1)} | 0 | — | ${mib(quietRss)} |`);
console.log(`| feed refreshed back to back | ${kilo(busy.eventsPerSecond)} | ${busy.p50Ms.toFixed(2)} / ${busy.p99Ms.toFixed(1)} | ${refreshes} (${served - 1}) | ${refreshCpu.toFixed(2)} | ${mib(busyRss)} |`);
if (failed > 0) console.log(`\nWARNING: ${failed} reload(s) failed; see the service log`);
