/**
 * RetroScan benchmarks (issue 15, docs/performance.md):
 *  1. service throughput with RetroScan on and off, in the same run, with 1 and 4 connections,
 *     on two corpora: service_throughput.ts's (random hashes and addresses: adversarial) and one
 *     whose values repeat as in real logs (the ratio on/off is the figure);
 *  2. a retro run of 10,000 new indicators of mixed kinds (domains, URL masks, exact URLs,
 *     CIDRs, MD5, SHA1, SHA256) against 5 M stored values, and the database size per million
 *     stored values (with the default 256-character excerpt of a generated log line);
 *  3. the writer's CPU per value: new, known, and the first schema's upsert for comparison.
 *
 * Usage: bun scripts/bench/retroscan.ts [--seconds 5] [--warmup 2] [--rounds 3] [--values 5000000]
 *          [--write-values 500000] [--only throughput|retro|writes] [--corpus adversarial|repeating]
 *          [--workers 1]
 *
 * `--workers N` runs the throughput rows with ServiceSettings > Workers N (default 1, one event
 * thread): above 1, each worker thread sends its events' values to the main thread's batch.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { argValue, benchTempDir, kilo, loadLine, machineLine, ratio, rng } from "./_bench_env.ts";
import { LogLineMaker, repeatingLines, sampleIndicators } from "./_log_corpus.ts";
import { encodeBatches, runLoad, type LoadResult } from "./_load_client.ts";
import { AlertListener, serviceCommand, startProcess, writeServiceConfig } from "./_service_process.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { IndicatorKind } from "../../src/matching/types.ts";
import { IndicatorDiff } from "../../src/retroscan/indicator_diff.ts";
import { dayOf, RetroStore, type StoredValue } from "../../src/retroscan/retro_store.ts";
import { toColumns } from "../../src/retroscan/_value_codec.ts";
import { openSqlite } from "../../src/runtime/open_sqlite.ts";
import { runRetroScan } from "../../src/retroscan/run_retro_scan.ts";
import { requireData } from "./_bench_env.ts";

const seconds = Number(argValue("seconds") ?? 5);
const warmup = Number(argValue("warmup") ?? 2);
const valueCount = Number(argValue("values") ?? 5_000_000);
const only = argValue("only");
/** `--corpus adversarial|repeating`: the throughput rows of one corpus only. */
const corpusOnly = argValue("corpus");
const rounds = Number(argValue("rounds") ?? 3);
const workers = Number(argValue("workers") ?? 1);
const dir = benchTempDir("retroscan");

console.log(`# RetroScan (${machineLine()})`);
console.log(loadLine());

if (only === undefined || only === "throughput") await throughput();
if (only === undefined || only === "retro") await retroRun();
if (only === undefined || only === "writes") await writes();

/**
 * The writer's cost per value, in-process, CPU time: `count` random SHA1 values with a
 * 256-character excerpt each, written new, then the same again (known: counts only), against the
 * first schema's upsert into a table with a unique (type, value, day) index.
 */
async function writes(): Promise<void> {
  const count = Number(argValue("write-values") ?? 500_000);
  const r = rng(3);
  const hex40 = () => Array.from({ length: 40 }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");
  const day = dayOf(Date.now());
  const values: StoredValue[] = Array.from({ length: count }, () => ({ type: "SHA1", value: hex40(), day, count: 1, firstAt: day * 86_400_000, lastAt: day * 86_400_000, sourceId: "default", rule: "RE_SHA1", client: "10.1.2.3", excerpt: "x".repeat(256) }));
  const columns = toColumns(values);
  const cpuOf = (body: () => void) => {
    const before = process.cpuUsage();
    body();
    const used = process.cpuUsage(before);
    return ((used.user + used.system) / count).toFixed(2);
  };
  const store = await RetroStore.open(join(dir, "writes.db"), 2 ** 40);
  const step = 2_000;
  const writeAll = () => {
    for (let i = 0; i < count; i += step) store.writeColumns(columns, i, Math.min(count, i + step));
  };
  const fresh = cpuOf(writeAll);
  const known = cpuOf(() => {
    writeAll();
    store.applyCounts();
  });
  store.close();
  const db = await openSqlite(join(dir, "upsert.db"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768");
  db.exec("CREATE TABLE seen (id INTEGER PRIMARY KEY, type INTEGER, value TEXT, day INTEGER, count INTEGER, first_at INTEGER, last_at INTEGER, UNIQUE (type, value, day))");
  db.exec("CREATE TABLE seen_event (id INTEGER PRIMARY KEY, source TEXT, rule TEXT, client TEXT, excerpt TEXT)");
  const upsert = db.prepare("INSERT INTO seen (type, value, day, count, first_at, last_at) VALUES (2, ?, ?, 1, 0, 0) ON CONFLICT (type, value, day) DO UPDATE SET count = count + 1 RETURNING id, count");
  const event = db.prepare("INSERT INTO seen_event (id, source, rule, client, excerpt) VALUES (?, 'default', 'RE_SHA1', '10.1.2.3', ?)");
  const upserted = cpuOf(() => {
    for (let i = 0; i < count; i += step) {
      db.transaction(() => {
        for (let j = i; j < Math.min(count, i + step); j++) {
          const [id, n] = upsert.values(values[j]!.value, day)[0] as [number, number];
          if (n === 1) event.run(id, values[j]!.excerpt);
        }
      });
    }
  });
  db.close();
  console.log("");
  console.log(`## The writer, per value (${count.toLocaleString("en")} random SHA1 values, 256-character excerpts, 2,000 per transaction; CPU µs)`);
  console.log("");
  console.log("| new values (append) | known values (counts, applied in id order) | first schema: upsert into a unique index |");
  console.log("|---:|---:|---:|");
  console.log(`| ${fresh} | ${known} | ${upserted} |`);
}

/** CPU seconds (user + system) of each thread of `pid` so far, by thread id; Linux only. */
function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/**
 * Service events/s with RetroScan off and on, alternating, same feeds, two corpora:
 * `adversarial` is service_throughput.ts's (200,000 generated lines, random hashes and addresses:
 * ~1.1 values per event not yet in the batch of its second), `repeating` draws its lines
 * log-uniformly (Zipf, s ≈ 1) from the first 20,000 of them, so values repeat as hosts and
 * addresses do in real logs.
 */
async function throughput(): Promise<void> {
  requireData("retroscan throughput");
  const sample = await sampleIndicators(20_000);
  const maker = new LogLineMaker(sample);
  const lines = Array.from({ length: 200_000 }, () => maker.next().line);
  const repeating = repeatingLines(lines, 200_000, rng(11));
  const named: [string, string[]][] = [
    ["adversarial", lines],
    ["repeating", repeating],
  ];
  // Only the corpora that run are encoded.
  const corpora = named.filter(([name]) => corpusOnly === undefined || name === corpusOnly).map(([name, ls]): [string, Buffer[]] => [name, encodeBatches(ls, 100)]);
  const alerts = new AlertListener();
  await alerts.listen();
  const offPath = join(dir, "off.conf");
  writeServiceConfig(offPath, alerts.port, undefined, workers);
  const text = readFileSync(offPath, "utf8");
  const onPath = (corpus: string) => {
    const path = join(dir, `on-${corpus}.conf`);
    writeFileSync(path, text.replace("</ServiceSettings>", `<RetroScan enabled="true" database="${join(dir, `throughput-${corpus}.db`)}"/></ServiceSettings>`));
    return path;
  };
  type Measured = LoadResult & { mainCpu: number; otherCpu: number };
  const measure = async (path: string, connections: number, batches: Buffer[]): Promise<Measured> => {
    const service = await startProcess(serviceCommand(path));
    let before = new Map<number, number>();
    let after = new Map<number, number>();
    const t0 = setTimeout(() => (before = threadCpu(service.pid)), warmup * 1000);
    const t1 = setTimeout(() => (after = threadCpu(service.pid)), (warmup + seconds) * 1000);
    const result = await runLoad({ port: service.port, connections, window: 1000, batchLines: 100, batches, warmupMs: warmup * 1000, measureMs: seconds * 1000, serverPid: service.pid });
    clearTimeout(t0);
    clearTimeout(t1);
    await service.stop();
    let mainCpu = 0;
    let otherCpu = 0;
    for (const [tid, cpu] of after) {
      const used = cpu - (before.get(tid) ?? 0);
      if (tid === service.pid) mainCpu += used;
      else otherCpu += used;
    }
    const events = result.eventsPerSecond * seconds;
    return { ...result, mainCpu: mainCpu / events, otherCpu: otherCpu / events };
  };
  console.log("");
  console.log(`## Service throughput, RetroScan off and on, Workers ${workers} (${warmup} s warm-up + ${seconds} s per row; runs alternate off, on, off, on, …, ${rounds} of each; the median run)`);
  console.log("");
  console.log("CPU µs/event: the whole process, then its main (event) thread + its other threads (writer, GC, …).");
  console.log("");
  console.log("on / off: the median runs' ratio; paired: the median of each round's ratio (its range).");
  console.log("");
  console.log("| corpus | connections | off events/s | on events/s | on / off | paired on / off | CPU µs/event off / on | off: main + other | on: main + other | load avg |");
  console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  const us = (x: number) => (x * 1e6).toFixed(1);
  const cpu = (r: LoadResult) => us(r.serverCpu / r.eventsPerSecond);
  for (const [corpus, batches] of corpora) {
    const on = onPath(corpus);
    for (const n of [1, 4]) {
      const offs: Measured[] = [];
      const ons: Measured[] = [];
      for (let round = 0; round < rounds; round++) {
        offs.push(await measure(offPath, n, batches));
        ons.push(await measure(on, n, batches));
      }
      // The median run by events/s: the machine is shared, one round alone says little.
      const median = (rs: Measured[]) => [...rs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[rs.length >> 1]!;
      const [o, r] = [median(offs), median(ons)];
      // Each round's on/off ratio: the two runs of a round are next to each other in time, so
      // drift in the machine's speed (other VMs, core placement) falls on both.
      const paired = offs.map((off, i) => ons[i]!.eventsPerSecond / off.eventsPerSecond).sort((a, b) => a - b);
      console.log(`| ${corpus} | ${n} | ${kilo(o.eventsPerSecond)} (${offs.map((x) => kilo(x.eventsPerSecond)).join(", ")}) | ${kilo(r.eventsPerSecond)} (${ons.map((x) => kilo(x.eventsPerSecond)).join(", ")}) | ${ratio(r.eventsPerSecond, o.eventsPerSecond)} | ${paired[paired.length >> 1]!.toFixed(2)} (${paired[0]!.toFixed(2)}–${paired[paired.length - 1]!.toFixed(2)}) | ${cpu(o)} / ${cpu(r)} | ${us(o.mainCpu)} + ${us(o.otherCpu)} | ${us(r.mainCpu)} + ${us(r.otherCpu)} | ${loadavg()[0]!.toFixed(1)} |`);
    }
    const db = join(dir, `throughput-${corpus}.db`);
    console.log(`\n${corpus}: database after the runs ${(statSync(db).size / 2 ** 20).toFixed(1)} MiB\n`);
  }
  await alerts.close();
}

/** A retro run of 10,000 new mixed indicators against `valueCount` stored values. */
async function retroRun(): Promise<void> {
  const r = rng(7);
  const int = (n: number) => Math.floor(r() * n);
  const hex = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[int(16)];
    return s;
  };
  const path = join(dir, "retro.db");
  const store = await RetroStore.open(path, 2 ** 40);
  const day0 = Math.floor(Date.now() / 86_400_000) - 29;
  const line = (v: string) => `May 19 08:32:00 proxy01 squid[2211]: 10.1.2.3 TCP_MISS/200 4211 GET ${v} bob HIER_DIRECT/203.0.113.7 text/html`.slice(0, 256);
  const kinds = ["DOMAIN", "URL", "IP", "MD5", "SHA256", "SHA1"] as const;
  // Values rise with i within each kind, so the (type, value, day) index takes appends and the
  // setup stays minutes, not a quarter of an hour (random hashes cost 4.8 k rows/s on a busy box).
  const pad = (i: number, n: number) => i.toString(16).padStart(n, "0");
  const valueOf = (i: number, kind: (typeof kinds)[number]): string => {
    switch (kind) {
      case "DOMAIN": return `h${pad(i, 8)}.d${i % 50_021}.example`;
      case "URL": return `http://www${pad(i, 8)}.d${i % 50_021}.example/p/${i}/x.php?id=${i % 1000}`;
      case "IP": return `${10 + Math.floor(i / 65_536) % 200}.${(i >>> 8) & 255}.${i & 255}.${(i * 7) & 255}`;
      case "MD5": return `a${pad(i, 31)}`;
      case "SHA256": return `b${pad(i, 63)}`;
      default: return `c${pad(i, 39)}`;
    }
  };
  let started = performance.now();
  const chunk: StoredValue[] = [];
  for (let i = 0; i < valueCount; i++) {
    const kind = kinds[i % 6]!;
    const value = valueOf(i, kind);
    const day = day0 + (i % 30);
    chunk.push({ type: kind, value, day, count: 1, firstAt: day * 86_400_000, lastAt: day * 86_400_000, sourceId: "default", rule: `RE_${kind}`, client: "10.1.2.3", excerpt: line(value) });
    if (chunk.length === 50_000) store.write(chunk.splice(0));
  }
  store.write(chunk.splice(0));
  const writeSeconds = (performance.now() - started) / 1000;
  const stats = store.stats();
  const fileBytes = statSync(path).size;

  // 10,000 new indicators: a quarter domains (parents of stored hosts), URL masks and exact
  // URLs, /24 CIDRs, and hashes; about 1 in 20 of each kind matches something stored.
  const feed = { name: "bench", category: "Bench", confidence: 100, allowList: false, loadedAt: Date.now(), indicatorLifetimeMinutes: 0 };
  const old: [IndicatorKind, string][] = Array.from({ length: 50_000 }, (_, i) => ["DOMAIN", `old${i}.example`]);
  const fresh: [IndicatorKind, string][] = [];
  for (let i = 0; i < 10_000; i++) {
    switch (i % 8) {
      case 0: fresh.push(["DOMAIN", i % 20 === 0 ? `d${int(50_021)}.example` : `new${i}.example`]); break;
      case 1: fresh.push(["DOMAIN", `x${i}.nomatch.example`]); break;
      case 2: fresh.push(["URL", i % 20 === 2 ? `*.d${int(50_021)}.example/p/*` : `*.nomatch${i}.example/p/*`]); break;
      case 3: fresh.push(["URL", `www1.d${int(50_021)}.example/nothing/${i}`]); break;
      case 4: fresh.push(["IP", i % 20 === 4 ? `${10 + int(200)}.${int(256)}.${int(256)}.0/24` : `172.${16 + (i % 16)}.${i & 255}.0/24`]); break;
      case 5: fresh.push(["MD5", i % 20 === 5 ? valueOf(6 * int(valueCount / 6) + 3, "MD5") : hex(32)]); break;
      case 6: fresh.push(["SHA256", i % 20 === 6 ? valueOf(6 * int(valueCount / 6) + 4, "SHA256") : hex(64)]); break;
      default: fresh.push(["SHA1", i % 20 === 7 ? valueOf(6 * int(valueCount / 6) + 5, "SHA1") : hex(40)]); break;
    }
  }
  const load = (entries: readonly [IndicatorKind, string][], baseline: Float64Array | undefined) => {
    const index = new IndicatorIndex();
    const diff = new IndicatorDiff(index, baseline);
    const id = diff.addFeed(feed);
    for (const [kind, value] of entries) diff.add(id, { kind, value, fields: [] });
    index.compact();
    return { index, changes: diff.changes() };
  };
  const base = load(old, undefined).changes.fingerprints;
  const { index, changes } = load([...old, ...fresh], base);
  let sent = 0;
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  const result = await runRetroScan(store, changes, {
    now: Date.now(),
    index,
    render: (row, record) => `${record.indicator} ${row.value}`,
    send: () => sent++,
    yieldToLoop: () => new Promise((resolve) => setImmediate(resolve)),
    key: "bench",
  });
  const runSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const runCpu = (cpu.user + cpu.system) / 1e6;
  store.close();
  const millions = stats.rows / 1e6;
  console.log("");
  console.log(`## Retro run: ${changes.count.toLocaleString("en")} new indicators against ${stats.rows.toLocaleString("en")} stored values`);
  console.log("");
  console.log("| stored values | written in | new indicators | retro run | CPU of the run | values checked | retro detections | database | per million values |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  console.log(`| ${stats.rows.toLocaleString("en")} | ${writeSeconds.toFixed(1)} s (${kilo(stats.rows / writeSeconds)}/s) | ${result.indicators.toLocaleString("en")} | ${runSeconds.toFixed(2)} s | ${runCpu.toFixed(2)} s | ${result.checked.toLocaleString("en")} | ${result.hits.toLocaleString("en")} (${sent} sent) | ${(fileBytes / 2 ** 20).toFixed(0)} MiB | ${(fileBytes / 2 ** 20 / millions).toFixed(0)} MiB |`);
}
