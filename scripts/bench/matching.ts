/**
 * Benchmark of the indicator index: load time, memory and lookups per second per type.
 * Run with `npx bun scripts/bench/matching.ts` (add `--synthetic` to force the generated
 * corpus, `--case=<text>` to run only matching lookup cases). Uses ../shared/data (Maltrail
 * trails, mass scanners, IPsum) when present, else a generated corpus of the same shape and
 * size. The index is loaded as the service loads it: `loadFeeds` with the maltrail and tsv
 * readers; the readers alone and the index alone are timed after the lookups. Each hit case is
 * run twice: uniform over the whole set (every hit walks cold memory) and on a hot set of
 * 1,000 indicators drawn Zipf-like, as real traffic hits a few. Figures go to
 * docs/performance.md.
 */
import { createReadStream, existsSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { createGunzip } from "node:zlib";
import type { FeedConfig } from "../../src/config/types.ts";
import type { FeedInput } from "../../src/feeds/feed_reader.ts";
import { loadFeeds } from "../../src/feeds/load_feeds.ts";
import { readFeed } from "../../src/feeds/read_feed.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import { forEachGzLine } from "./_log_corpus.ts";
import type { FeedEntry, LookupType } from "../../src/matching/types.ts";
import { collectGarbage } from "../../src/runtime/runtime.ts";

const dataDir = resolve(import.meta.dir, "../../../shared/data");
const useReal = !process.argv.includes("--synthetic") && existsSync(join(dataDir, "maltrail/trails.tsv.gz"));

/** A tiny deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
const word = (n: number) => {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(rand() * 26));
  return s;
};
const ipText = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
const randomIp = () => ipText(Math.floor(rand() * 4294967296));
const hex = (n: number) => {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rand() * 16)];
  return s;
};

/** Streams the lines of a gzip file (or generated text) without holding the whole text. */
async function forEachLine(source: string | (() => Iterable<string>), onLine: (line: string) => void) {
  if (typeof source !== "string") {
    for (const line of source()) onLine(line);
    return;
  }
  await forEachGzLine(source, onLine);
}

/** Lines in the shape of trails.tsv: 1.16 M domains, 280 k ip:port, 92 k paths, 73 k urls, … */
function* syntheticTrails(): Iterable<string> {
  const r = rng(7);
  const w = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(r() * 26));
    return s;
  };
  const tlds = ["com", "net", "org", "ru", "xyz", "top", "info", "duckdns.org", "ddns.net", "cn"];
  const families = Array.from({ length: 3084 }, (_, i) => [`family${i}`, ["malware", "malicious", "suspicious"][i % 3]]);
  const ip = () => ipText(Math.floor(r() * 4294967296));
  const plan: [string, number][] = [["domain", 1160791], ["ip_port", 279731], ["path", 92495], ["url", 73458], ["ip", 5882], ["cidr", 4]];
  for (const [type, count] of plan) {
    for (let i = 0; i < count; i++) {
      const [family, group] = families[Math.floor((i / count) * families.length)]!;
      let trail: string;
      if (type === "domain") trail = `${w(4 + Math.floor(r() * 12))}.${tlds[Math.floor(r() * tlds.length)]}`;
      else if (type === "ip_port") trail = `${ip()}:${1 + Math.floor(r() * 65535)}`;
      else if (type === "path") trail = `/${w(5)}/${w(8)}.php`;
      else if (type === "url") trail = r() < 0.78 ? `${ip()}/` : `${w(8)}.com/${w(6)}/${w(5)}.php`;
      else if (type === "ip") trail = ip();
      else trail = `${ip().replace(/\.\d+$/, ".0")}/24`;
      yield `${trail}\t${type}\t${family}\t${group}`;
    }
  }
}

function* syntheticIpsum(): Iterable<string> {
  const r = rng(9);
  for (let i = 0; i < 120430; i++) yield `${ipText(Math.floor(r() * 4294967296))}\t${1 + Math.floor(r() * 10)}`;
}

function* syntheticScanners(): Iterable<string> {
  const r = rng(11);
  for (let i = 0; i < 19937; i++) {
    const a = Math.floor(r() * 4294967296);
    if (i % 10 === 9) yield `2001:db8:${(a >>> 16).toString(16)}::${(a & 0xffff).toString(16)}\tscanner${i % 50}`;
    else if (i % 18 === 0) yield `${ipText(a & 0xffffff00)}/24\tscanner${i % 50}`;
    else yield `${ipText(a)}\tscanner${i % 50}`;
  }
}

const sources = useReal
  ? {
    trails: join(dataDir, "maltrail/trails.tsv.gz"),
    ipsum: join(dataDir, "ipsum/ipsum.tsv.gz"),
    scanners: join(dataDir, "maltrail/mass_scanner.tsv.gz"),
  }
  : { trails: syntheticTrails, ipsum: syntheticIpsum, scanners: syntheticScanners };

// Samples for the lookup phase, drawn in the first (index-less) pass so that they sit in the
// memory baseline rather than in the index figure.
const SAMPLE = 50_000;
const samples: Record<string, string[]> = { domain: [], ip: [], ipPort: [], ip6: [], cidrHost: [], url: [], path: [] };
const seen: Record<string, number> = {};
const encoder = new TextEncoder();
const decoder = new TextDecoder();
function sample(kind: string, value: string) {
  // Stored as a detached copy: a substring would keep its whole decoded chunk alive.
  const list = samples[kind]!;
  const n = (seen[kind] = (seen[kind] ?? 0) + 1);
  if (list.length < SAMPLE) list.push(decoder.decode(encoder.encode(value)));
  else if (rand() * n < SAMPLE) list[Math.floor(rand() * SAMPLE)] = decoder.decode(encoder.encode(value));
}

let sourceBytes = 0;
const skipped: Record<string, number> = {};

/** Phase 1: draws the lookup samples by trail type, with a minimal gunzip and split of its own. */
async function samplePass(): Promise<void> {
  await forEachLine(sources.trails, (line) => {
    sourceBytes += line.length + 1;
    const [trail, type] = line.split("\t") as [string, string];
    switch (type) {
      case "domain":
        sample("domain", trail);
        break;
      case "cidr":
        sample("cidrHost", trail.replace(/\.0\/\d+$/, ".77"));
        break;
      case "ip_port": {
        // Sampled per trail, so an address listed on many ports weighs in as often.
        const value = trail.startsWith("[") ? trail.slice(1, trail.indexOf("]")) : trail.slice(0, trail.lastIndexOf(":"));
        sample(value.includes(":") ? "ip6" : "ipPort", value);
        break;
      }
      case "url":
        sample("url", trail);
        break;
      case "path":
        sample("path", trail);
        break;
      case "ip":
        break;
      default:
        skipped[type] = (skipped[type] ?? 0) + 1;
    }
  });
  await forEachLine(sources.ipsum, (line) => {
    sourceBytes += line.length + 1;
    sample("ip", line.slice(0, line.indexOf("\t")));
  });
  await forEachLine(sources.scanners, (line) => {
    sourceBytes += line.length + 1;
    const value = line.slice(0, line.indexOf("\t"));
    if (value.includes("/")) sample("cidrHost", value.replace(/\.0\/\d+$/, ".77"));
    else if (value.includes(":")) sample("ip6", value);
  });
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function rss(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().rss;
}

let t0 = performance.now();
await samplePass();
const parseMs = performance.now() - t0;
if (useReal) {
  sourceBytes = 0;
  for (const f of Object.values(sources)) {
    // Uncompressed sizes are what the 2x memory target is measured against.
    let bytes = 0;
    for await (const c of createReadStream(f as string).pipe(createGunzip())) bytes += (c as Uint8Array).length;
    sourceBytes += bytes;
  }
}

// Phase 2: the real pipeline, as the service runs it (src/service/lookup_service.ts).
const feedBase = { enabled: true, confidence: 50, fields: [], actionableFields: [], indicatorLifetimeMinutes: 0, allowList: false, header: false, line: 0 };
const feedConfigs: FeedConfig[] = [
  { ...feedBase, filename: "trails.tsv.gz", format: "maltrail", category: "Maltrail", confidence: 80 },
  { ...feedBase, filename: "ipsum.tsv.gz", format: "tsv", category: "IPsum" },
  { ...feedBase, filename: "mass_scanner.tsv.gz", format: "tsv", category: "Scanner", confidence: 30 },
];
const feedSources: Record<string, (typeof sources)[keyof typeof sources]> = {
  "trails.tsv.gz": sources.trails,
  "ipsum.tsv.gz": sources.ipsum,
  "mass_scanner.tsv.gz": sources.scanners,
};
async function openFeed(name: string): Promise<FeedInput> {
  const source = feedSources[name]!;
  return typeof source === "string" ? createReadStream(source) : `${[...source()].join("\n")}\n`;
}

const before = rss();
const heapBefore = process.memoryUsage();
t0 = performance.now();
const cpu0 = process.cpuUsage();
const index = new IndicatorIndex();
const reports = await loadFeeds({ updateFrequencyMinutes: 0, feeds: feedConfigs }, { openFeed, index, now: Date.now });
const loadMs = performance.now() - t0;
const loadCpu = process.cpuUsage(cpu0);
const total = reports.reduce((n, r) => n + r.loaded, 0);
const indexed = index.size;
const typedArrays = index.byteSizes();
const afterLoad = rss();
if (!process.argv.includes("--no-compact")) index.compact();
const compacted = index.byteSizes();
// Freed pages go back to the OS a little later (the allocator's scavenger); measure settled.
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 500));
  rss();
}
const after = rss();
const heapAfter = process.memoryUsage();
if (process.argv.includes("--heap")) console.log(JSON.stringify({ before: heapBefore, after: heapAfter }));
const delta = after - before;
const retained = heapAfter.heapUsed + heapAfter.arrayBuffers - heapBefore.heapUsed - heapBefore.arrayBuffers;

// Hash feeds: none of the data has hashes, so generate them (after the memory figure).
const hashFeed = index.addFeed({ name: "hashes", category: "Hash", confidence: 100, allowList: false, loadedAt: 0, indicatorLifetimeMinutes: 0 });
const hashSamples: Record<string, string[]> = { MD5: [], SHA1: [], SHA256: [] };
const hashFields = [["source", "generated"]] as const;
t0 = performance.now();
for (const [kind, len] of [["MD5", 32], ["SHA1", 40], ["SHA256", 64]] as const) {
  for (let i = 0; i < 100_000; i++) {
    const h = hex(len).toUpperCase();
    index.add(hashFeed, { kind, value: h, fields: hashFields });
    if (i < SAMPLE) hashSamples[kind]!.push(h.toLowerCase());
  }
}
const hashLoadMs = performance.now() - t0;

type Case = { name: string; type: LookupType; values: string[]; expectHit: boolean };
const cases: Case[] = [];
const misses = (make: () => string) => Array.from({ length: SAMPLE }, make);
for (const kind of ["MD5", "SHA1", "SHA256"] as const) {
  const len = kind === "MD5" ? 32 : kind === "SHA1" ? 40 : 64;
  cases.push({ name: `hash ${kind}`, type: "HASH", values: hashSamples[kind]!, expectHit: true });
  cases.push({ name: `hash ${kind}`, type: "HASH", values: misses(() => hex(len)), expectHit: false });
}
cases.push({ name: "IPv4 (IPsum)", type: "IP", values: samples.ip!, expectHit: true });
// Sampled per trail, so busy addresses weigh in: one listed with 1,126 ports gives 1,126 records.
cases.push({ name: "IPv4 (Maltrail ip_port)", type: "IP", values: samples.ipPort!, expectHit: true });
cases.push({ name: "IPv4", type: "IP", values: misses(randomIp), expectHit: false });
cases.push({ name: "IPv6", type: "IP", values: samples.ip6!, expectHit: true });
cases.push({ name: "IPv6", type: "IP", values: misses(() => `2001:db8:${hex(4)}:${hex(4)}::${hex(3)}`), expectHit: false });
cases.push({ name: "IPv4 in CIDR", type: "IP", values: samples.cidrHost!, expectHit: true });
cases.push({ name: "domain exact", type: "DOMAIN", values: samples.domain!, expectHit: true });
cases.push({ name: "domain parent", type: "DOMAIN", values: samples.domain!.map((d) => `cdn.${word(5)}.${d.replace(/^\./, "")}`), expectHit: true });
cases.push({ name: "domain", type: "DOMAIN", values: misses(() => `${word(6)}.${word(8)}-miss.${pick(["com", "net", "org", "de"])}`), expectHit: false });
cases.push({ name: "URL exact", type: "URL", values: samples.url!.map((u) => `http://${u}`), expectHit: true });
cases.push({ name: "URL mask (path trail)", type: "URL", values: samples.path!.map((p) => `http://${word(7)}.example${p}`), expectHit: true });
cases.push({ name: "URL", type: "URL", values: misses(() => `http://${word(7)}.example/${word(4)}/${word(9)}.php?id=${word(3)}`), expectHit: false });

/**
 * SAMPLE lookups over 1,000 distinct values of `values`, the value of rank r drawn with
 * probability ∝ 1/(r+1) (Zipf, s = 1): the top value is 13 % of the lookups, the top 100 are 70 %.
 */
function hotSet(values: readonly string[]): string[] {
  const distinct = [...new Set(values)].slice(0, 1000);
  const cumulative: number[] = [];
  let sum = 0;
  for (let r = 0; r < distinct.length; r++) cumulative.push((sum += 1 / (r + 1)));
  return Array.from({ length: SAMPLE }, () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return distinct[lo]!;
  });
}
for (const c of cases.splice(0)) {
  cases.push(c);
  if (c.expectHit && c.values.length > 0) cases.push({ ...c, name: `${c.name} hot`, values: hotSet(c.values) });
}

const rows: string[] = [];
let sink = 0;
const only = process.argv.find((a) => a.startsWith("--case="))?.slice(7);
for (const c of cases) {
  if (c.values.length === 0 || (only !== undefined && !`${c.name} ${c.expectHit ? "hit" : "miss"}`.includes(only))) continue;
  let hits = 0;
  let records = 0;
  for (const v of c.values) {
    const n = index.lookup(c.type, v, 1).records.length;
    records += n;
    if (n > 0) hits++;
  }
  let n = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < 1000) {
    for (const v of c.values) sink += index.lookup(c.type, v, 1).records.length;
    n += c.values.length;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpuStart);
  const rate = (n / elapsed) * 1000;
  // On a shared machine wall time includes waiting for a core; CPU time (all threads, so
  // concurrent GC counts against us) gives the uncontended figure.
  const cpuRate = n / ((cpu.user + cpu.system) / 1e6);
  const label = `${c.name} ${c.expectHit ? "hit" : "miss"}`;
  rows.push(`| ${label} | ${c.type} | ${(rate / 1e6).toFixed(2)} M/s | ${(cpuRate / 1e6).toFixed(2)} M/s | ${((hits / c.values.length) * 100).toFixed(1)} % | ${(records / c.values.length).toFixed(1)} |`);
}

// Phase 4: the readers alone (gunzip, split, parse, into a sink that keeps nothing) and the
// index alone (adding entries read beforehand), to split the pipeline's time.
t0 = performance.now();
let cpu = process.cpuUsage();
for (const config of feedConfigs) await readFeed(await openFeed(config.filename), config, { onSkip: () => {}, onEntry: () => undefined });
const readersMs = performance.now() - t0;
const readersCpu = process.cpuUsage(cpu);
const held: FeedEntry[][] = [];
for (const config of feedConfigs) {
  const entries: FeedEntry[] = [];
  await readFeed(await openFeed(config.filename), config, { onSkip: () => {}, onEntry: (e) => void entries.push(e) });
  held.push(entries);
}
collectGarbage();
t0 = performance.now();
cpu = process.cpuUsage();
const bare = new IndicatorIndex();
for (let f = 0; f < held.length; f++) {
  const id = bare.addFeed({ name: feedConfigs[f]!.filename, category: "x", confidence: 50, allowList: false, loadedAt: 0, indicatorLifetimeMinutes: 0 });
  for (const entry of held[f]!) bare.add(id, entry);
}
const indexMs = performance.now() - t0;
const indexCpu = process.cpuUsage(cpu);
const cpuS = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1e6).toFixed(2);

const cpuModel = cpus()[0]?.model ?? "unknown CPU";
console.log(`# Matching engine benchmark (${useReal ? "../shared/data" : "synthetic corpus"})`);
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
console.log(`date: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpuModel}, ${mb(totalmem())} RAM, Bun ${process.versions.bun ?? "?"}`);
console.log(`indicators: ${total} loaded, ${indexed} indexed (equal entries merged); bench's own sampling pass skipped ${JSON.stringify(skipped)}`);
for (const r of reports) console.log(`  ${r.name}: ${r.loaded} loaded, ${r.skipped} skipped ${JSON.stringify(r.skippedByReason)}, ${(r.ms / 1000).toFixed(2)} s${r.error ? `, ERROR ${r.error}` : ""}`);
console.log(`source: ${mb(sourceBytes)} of TSV; the sampling pass's own gunzip+split: ${(parseMs / 1000).toFixed(2)} s`);
console.log(`load through loadFeeds (readers + index, as the service): ${(loadMs / 1000).toFixed(2)} s wall, ${((loadCpu.user + loadCpu.system) / 1e6).toFixed(2)} s CPU`);
console.log(`  readers alone (gunzip, split, parse; sink keeps nothing): ${(readersMs / 1000).toFixed(2)} s wall, ${cpuS(readersCpu)} s CPU; index alone (add): ${(indexMs / 1000).toFixed(2)} s wall, ${cpuS(indexCpu)} s CPU`);
console.log(`RSS delta: ${mb(delta)} settled (${mb(afterLoad - before)} right after loading), ${(delta / total).toFixed(1)} B/indicator read, ${(delta / sourceBytes).toFixed(2)}× source`);
const sizes = (bytes: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, mb(v)])));
console.log(`retained heap+buffers: ${mb(retained)}; typed arrays: ${sizes(typedArrays)} loaded, ${sizes(compacted)} after compact()`);
console.log(`hashes: 300000 generated in ${(hashLoadMs / 1000).toFixed(2)} s (not in the memory figure)`);
console.log("");
console.log("| lookup | type | per wall s | per CPU s | hit rate | records per lookup |");
console.log("|---|---|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
console.log(`(checksum ${sink})`);
