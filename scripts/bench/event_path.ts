/**
 * The event path without sockets, in one process: what extraction, the lookups and the whole of
 * `processEvent` cost per log line with the full data loaded, as the service runs them. This is
 * the floor under the service's CPU per event in `service_throughput.ts` (framing, the finished
 * event's write and the socket come on top), so it says how far any throughput target is
 * reachable on one core. Also times extraction with plain whole-line regexes (no start finders,
 * only the generic prefilter) in the same run, which is what the service did before them.
 *
 * Usage: bun scripts/bench/event_path.ts [--lines 100000] [--passes 7]
 */
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { loadServiceConfig } from "../../src/config/load_config.ts";
import { loadFeeds } from "../../src/feeds/load_feeds.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import { type CompiledSources, extract } from "../../src/service/extract.ts";
import { compilePipeline, processEvent } from "../../src/service/process_event.ts";
import { regexPrefilter } from "../../src/service/_regex_prefilter.ts";
import { argValue, benchTempDir, loadLine, machineLine, requireData } from "./_bench_env.ts";
import { LogLineMaker, sampleIndicators } from "./_log_corpus.ts";
import { writeServiceConfig } from "./_service_process.ts";

requireData("event_path");
const lineCount = Number(argValue("lines") ?? 100_000);
const passes = Number(argValue("passes") ?? 7);

const maker = new LogLineMaker(await sampleIndicators(20_000));
// Flat strings, as the service's decoder hands them over (the corpus builder's are ropes).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const lines = Array.from({ length: lineCount }, () => decoder.decode(encoder.encode(maker.next().line)));

const configPath = join(benchTempDir("event_path"), "kl_feed_service.conf");
writeServiceConfig(configPath, 9);
const { config } = await loadServiceConfig(configPath);
const pipeline = compilePipeline(config);
const index = new IndicatorIndex();
await loadFeeds(config.feeds, {
  openFeed: async (name) => createReadStream(join(config.service.basesDir, name)) as AsyncIterable<Uint8Array>,
  index,
  now: Date.now,
});
index.compact();

/** The service's sources with every rule run as a whole-line regex behind the generic prefilter only. */
function plainRegexes(c: CompiledSources): CompiledSources {
  const rules = c.fallback.rules.map((r) => ({ ...r, starts: undefined, sticky: undefined, fastSticky: undefined, pre: regexPrefilter(r.re) }));
  return { ...c, fallback: { ...c.fallback, rules } };
}
const plain = plainRegexes(pipeline.sources);
const now = Date.now();
const extracted = lines.map((l) => extract(pipeline.sources, l, undefined).values);
const valueCount = extracted.reduce((n, v) => n + v.length, 0);

const stages: [string, () => number][] = [
  ["extraction (as the service runs it)", () => lines.reduce((n, l) => n + extract(pipeline.sources, l, undefined).values.length, 0)],
  ["extraction with plain whole-line regexes", () => lines.reduce((n, l) => n + extract(plain, l, undefined).values.length, 0)],
  ["lookups of the extracted values", () => extracted.reduce((n, vs) => vs.reduce((m, v) => m + index.lookup(v.type, v.value, now).records.length, n), 0)],
  ["processEvent (extraction, lookups, detections, finished event)", () => lines.reduce((n, l) => n + processEvent(pipeline, index, l, { now, sendFinished: true }).lines.length, 0)],
];
// Interleaved passes, best of each: the machine is shared, and the minimum is the least disturbed.
const best = stages.map(() => Number.POSITIVE_INFINITY);
for (let pass = 0; pass < passes + 2; pass++) {
  stages.forEach(([, run], i) => {
    const started = performance.now();
    run();
    const us = ((performance.now() - started) * 1000) / lines.length;
    if (pass >= 2) best[i] = Math.min(best[i]!, us);
  });
}

console.log(`# Event path in one process (${machineLine()})`);
console.log(loadLine());
console.log(`${lines.length} corpus lines (flat strings), ${(valueCount / lines.length).toFixed(2)} values extracted per line, ${index.size} indicators; best of ${passes} interleaved passes`);
console.log("");
console.log("| stage | µs per line | lines/s on one core |");
console.log("|---|---:|---:|");
stages.forEach(([name], i) => console.log(`| ${name} | ${best[i]!.toFixed(2)} | ${(1e3 / best[i]!).toFixed(0)} k |`));
