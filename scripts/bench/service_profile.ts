/**
 * Benchmark 4, where the time goes: runs `ioclens serve` under Bun's sampling profiler
 * (`--cpu-prof`, written when the process exits) while one client streams the throughput
 * corpus, then prints the top functions by self time over the traffic phase only — the samples
 * from the first to the last one under `processEvent`, so feed loading is left out.
 *
 * `--retroscan` turns RetroScan on (`<RetroScan enabled="true"/>`, a database in the temporary
 * folder), to see what storing the values costs the event thread; `--repeating` streams
 * RetroScan's repeating corpus (values recur as in real logs) instead of the throughput corpus.
 *
 * Usage: bun scripts/bench/service_profile.ts [--seconds 10] [--connections 1] [--top 10] [--keep DIR] [--retroscan] [--repeating]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadServiceConfig } from "../../src/config/load_config.ts";
import { compileSources } from "../../src/service/extract.ts";
import { argValue, benchTempDir, kilo, machineLine, requireData, rng, ROOT } from "./_bench_env.ts";
import { LogLineMaker, repeatingLines, sampleIndicators } from "./_log_corpus.ts";
import { encodeBatches, runLoad } from "./_load_client.ts";
import { AlertListener, serviceCommand, startProcess, writeServiceConfig } from "./_service_process.ts";

requireData("service_profile");
const seconds = Number(argValue("seconds") ?? 10);
const connections = Number(argValue("connections") ?? 1);
const top = Number(argValue("top") ?? 10);
const keep = argValue("keep");

/** The parts of a Chrome .cpuprofile this reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self and total sample counts per function over the samples from `first` to `last` (inclusive). */
export function summarize(profile: CpuProfile, marker: string, regexNames: ReadonlyMap<string, string> = new Map()): { rows: { name: string; where: string; self: number; total: number }[]; samples: number; ms: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number) => {
    const stack: number[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(at);
    return stack;
  };
  const key = (id: number) => {
    const f = byId.get(id)!.callFrame;
    // A regex is reported as /source/flags; name it after the config regex it came from.
    const named = f.functionName.startsWith("/") ? regexNames.get(f.functionName) : undefined;
    if (named) return `${named}\t[native code]`;
    return `${f.functionName || "(anonymous)"}\t${f.url.replace(/^file:\/\//, "").replace(ROOT + "/", "") || "[native code]"}${f.lineNumber >= 0 ? `:${f.lineNumber + 1}` : ""}`;
  };
  const underMarker = new Map<number, boolean>();
  const hasMarker = (id: number) => {
    let v = underMarker.get(id);
    if (v === undefined) {
      v = stackOf(id).some((s) => byId.get(s)!.callFrame.functionName === marker);
      underMarker.set(id, v);
    }
    return v;
  };
  let first = -1;
  let last = -1;
  for (let i = 0; i < profile.samples.length; i++) {
    if (!hasMarker(profile.samples[i]!)) continue;
    if (first < 0) first = i;
    last = i;
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let ms = 0;
  for (let i = Math.max(0, first); i <= last; i++) {
    ms += (profile.timeDeltas[i] ?? 0) / 1000;
    const id = profile.samples[i]!;
    self.set(key(id), (self.get(key(id)) ?? 0) + 1);
    for (const k of new Set(stackOf(id).map(key))) total.set(k, (total.get(k) ?? 0) + 1);
  }
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => {
      const [name, where] = k.split("\t") as [string, string];
      return { name, where, self: n, total: total.get(k) ?? n };
    });
  return { rows, samples: first < 0 ? 0 : last - first + 1, ms };
}

if (import.meta.main) {
  const dir = benchTempDir("profile");
  const profDir = keep ? resolve(keep) : join(dir, "prof");
  mkdirSync(profDir, { recursive: true });
  const sample = await sampleIndicators(20_000);
  const maker = new LogLineMaker(sample);
  const generated = Array.from({ length: 200_000 }, () => maker.next().line);
  const lines = process.argv.includes("--repeating") ? repeatingLines(generated, 200_000, rng(11)) : generated;
  const alerts = new AlertListener();
  await alerts.listen();
  const configPath = join(dir, "kl_feed_service.conf");
  writeServiceConfig(configPath, alerts.port);
  if (process.argv.includes("--retroscan")) {
    const text = readFileSync(configPath, "utf8");
    writeFileSync(configPath, text.replace("</ServiceSettings>", `<RetroScan enabled="true" database="${join(dir, "retroscan.db")}"/></ServiceSettings>`));
  }
  const service = await startProcess(serviceCommand(configPath, ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "--cpu-prof-md"]));
  const load = await runLoad({ port: service.port, connections, window: 1000, batchLines: 100, batches: encodeBatches(lines, 100), warmupMs: 2000, measureMs: seconds * 1000, serverPid: service.pid });
  await service.stop();
  await alerts.close();
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`CPU profile missing: no .cpuprofile in ${profDir} after the service exited`);
  const regexNames = new Map<string, string>();
  for (const rule of compileSources((await loadServiceConfig(configPath)).config.input).fallback.rules) {
    for (const re of [rule.re, rule.fast]) regexNames.set(String(re), `regex ${rule.name} (/${re.flags})`);
  }
  const { rows, samples, ms } = summarize(JSON.parse(readFileSync(join(profDir, file), "utf8")) as CpuProfile, "processEvent", regexNames);
  console.log(`# Service CPU profile (${machineLine()})`);
  console.log(`${connections} connection(s), ${seconds} s measured at ${kilo(load.eventsPerSecond)} events/s under the profiler (service CPU ${load.serverCpu.toFixed(2)} cores); traffic phase: ${samples} samples, ${(ms / 1000).toFixed(1)} s of JS time; profile ${keep ? join(profDir, file) : "(temporary; --keep DIR to keep it)"}`);
  console.log("");
  console.log("| # | function | where | self | total |");
  console.log("|---:|---|---|---:|---:|");
  rows.slice(0, top).forEach((r, i) => {
    const pct = (n: number) => `${((n / samples) * 100).toFixed(1)}%`;
    console.log(`| ${i + 1} | \`${r.name}\` | ${r.where} | ${pct(r.self)} | ${pct(r.total)} |`);
  });
}
