/**
 * The event path without sockets, in one process: what extraction, the lookups, the whole of
 * `processEvent` and a whole session (framing and decoding 1,000-line chunks, processing, the
 * finished event of each line, the reply text) cost per log line with the full data loaded, as
 * the service runs them. This is the floor under the service's CPU per event in
 * `service_throughput.ts` (the socket, the event loop and the kernel come on top). Figures are
 * CPU time of this process (`process.cpuUsage`, so GC helper threads count), best of interleaved
 * passes: the machine is shared, and CPU time moves less than wall time when others take cores.
 *
 * `--baseline DIR` runs the same stages with the code of another tree (e.g. a `git archive` of
 * an earlier commit) in the same process, interleaved pass by pass with this tree's, on the same
 * index, and prints both and their ratio.
 *
 * Stages five to seven run `processEvent` over RetroScan's repeating corpus (lines drawn
 * log-uniformly from the first 20,000, as retroscan.ts's) without and with RetroScan's batch
 * folding every event's values in (taken in the writer's form every 50,000 lines, as the
 * service's once-a-second flush would at that rate): the difference is what storing the values
 * costs the event thread, measured without the machine's noise between two service processes.
 * The seventh gives the main thread's RetroScan hook the framer's texts: since session 10 it only
 * records the values (the writer thread folds them in); a baseline tree without that folds them
 * in its batch, as its main thread did.
 *
 * Usage: bun scripts/bench/event_path.ts [--lines 100000] [--passes 7] [--baseline DIR]
 */
import { EventEmitter } from "node:events";
import { createReadStream } from "node:fs";
import { join, resolve } from "node:path";
import { loadServiceConfig } from "../../src/config/load_config.ts";
import type { ServiceConfig } from "../../src/config/types.ts";
import { loadFeeds } from "../../src/feeds/load_feeds.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { IndexReader } from "../../src/matching/types.ts";
import { argValue, benchTempDir, loadLine, machineLine, ratio, requireData, rng, ROOT } from "./_bench_env.ts";
import { LogLineMaker, repeatingLines, sampleIndicators } from "./_log_corpus.ts";
import { writeServiceConfig } from "./_service_process.ts";

requireData("event_path");
const lineCount = Number(argValue("lines") ?? 100_000);
const passes = Number(argValue("passes") ?? 7);
const baseline = argValue("baseline");

const maker = new LogLineMaker(await sampleIndicators(20_000));
// Flat strings, as the service's decoder hands them over (the corpus builder's are ropes).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const lines = Array.from({ length: lineCount }, () => decoder.decode(encoder.encode(maker.next().line)));
const repeating = repeatingLines(lines, lines.length, rng(11)).map((l) => decoder.decode(encoder.encode(l)));
/** The repeating corpus as the framer hands it over: each line a slice of the text of its 1,000-line chunk (`base`, `baseOffset`). */
const repeatingFramed = Array.from({ length: Math.ceil(repeating.length / 1000) }, (_, c) => {
  const base = decoder.decode(encoder.encode(repeating.slice(c * 1000, c * 1000 + 1000).join("\n")));
  let at = 0;
  return repeating.slice(c * 1000, c * 1000 + 1000).map((l) => {
    const event = { event: base.slice(at, at + l.length), base, baseOffset: at };
    at += l.length + 1;
    return event;
  });
}).flat();
/** Lines between two takes of the RetroScan batch in the last stage. */
const TAKE_EVERY = 50_000;
const chunks: Uint8Array[] = [];
for (let i = 0; i < lines.length; i += 1000) chunks.push(encoder.encode(lines.slice(i, i + 1000).join("\n") + "\n"));

const configPath = join(benchTempDir("event_path"), "kl_feed_service.conf");
writeServiceConfig(configPath, 9);
const { config } = await loadServiceConfig(configPath);
const index = new IndicatorIndex();
await loadFeeds(config.feeds, {
  openFeed: async (name) => createReadStream(join(config.service.basesDir, name)) as AsyncIterable<Uint8Array>,
  index,
  now: Date.now,
});
index.compact();
const now = Date.now();

/**
 * A socket that takes every write at once and keeps only the byte count. It encodes the text as
 * a socket's write does: a reply built by appending is only copied out of its pieces then.
 */
class SinkSocket extends EventEmitter {
  writable = true;
  writableLength = 0;
  destroyed = false;
  chars = 0;
  #bytes = new Uint8Array(1 << 16);
  write(chunk: string): boolean {
    if (chunk.length * 3 > this.#bytes.length) this.#bytes = new Uint8Array(chunk.length * 3);
    this.chars += encoder.encodeInto(chunk, this.#bytes).written;
    return true;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
}

/** The four stages, run with the event-path modules of the tree at `root`. */
async function stagesOf(root: string, c: ServiceConfig, idx: IndexReader): Promise<(() => number)[]> {
  const { extract } = (await import(join(root, "src/service/extract.ts"))) as typeof import("../../src/service/extract.ts");
  const { compilePipeline, processEvent } = (await import(join(root, "src/service/process_event.ts"))) as typeof import("../../src/service/process_event.ts");
  const { Session } = (await import(join(root, "src/service/session.ts"))) as typeof import("../../src/service/session.ts");
  const { ValueBatch } = (await import(join(root, "src/retroscan/value_batch.ts"))) as typeof import("../../src/retroscan/value_batch.ts");
  const pipeline = compilePipeline(c);
  const batch = new ValueBatch({ limit: 100_000, excerptLength: 256, onPending: () => {} });
  const retaining = { ...pipeline, retain: batch.add };
  // The main thread's RetroScan hook: trees since session 10 record values for the writer
  // thread (RawValueLog); earlier ones folded them in their batch on the event thread.
  const raw = await import(join(root, "src/retroscan/_raw_values.ts")).catch(() => undefined);
  const log = raw === undefined ? undefined : new (raw as typeof import("../../src/retroscan/_raw_values.ts")).RawValueLog({ flushValues: 65_536, maxValues: 1 << 20, flushChars: 1 << 24, maxChars: 1 << 26, onPending: () => {} });
  const recording = log === undefined ? retaining : { ...pipeline, retain: log.add };
  const take = log === undefined ? () => batch.takeEncoded().nums.length : () => log.take().values;
  const framedOptions = { now, sendFinished: true, astralFree: true, base: "", baseOffset: 0 };
  const extracted = lines.map((l) => extract(pipeline.sources, l, undefined).values);
  const socket = new SinkSocket();
  const host = {
    current: () => ({ pipeline, index: idx }),
    now: Date.now,
    toOutput: () => {},
    onEvent: () => {},
    onError: (error: Error) => {
      throw error;
    },
    onCut: () => {},
  };
  new Session(socket, { replyBack: true, sendFinished: true, saveStatistic: false, finishedBack: false, ping: false, rest: new Uint8Array(0) }, "127.0.0.1", host);
  const options = { now, sendFinished: true, astralFree: true };
  return [
    () => lines.reduce((n, l) => n + extract(pipeline.sources, l, undefined, true).values.length, 0),
    () => extracted.reduce((n, vs) => vs.reduce((m, v) => m + idx.lookup(v.type, v.value, now).records.length, n), 0),
    () => lines.reduce((n, l) => n + processEvent(pipeline, idx, l, options).lines.length, 0),
    () => {
      for (const chunk of chunks) socket.emit("data", chunk);
      return socket.chars;
    },
    () => repeating.reduce((n, l) => n + processEvent(pipeline, idx, l, options).lines.length, 0),
    () => {
      let n = 0;
      for (let i = 0; i < repeating.length; i++) {
        n += processEvent(retaining, idx, repeating[i]!, options).lines.length;
        if ((i + 1) % TAKE_EVERY === 0) n += batch.takeEncoded().nums.length;
      }
      return n + batch.takeEncoded().nums.length;
    },
    () => {
      let n = 0;
      for (let i = 0; i < repeatingFramed.length; i++) {
        const e = repeatingFramed[i]!;
        framedOptions.base = e.base;
        framedOptions.baseOffset = e.baseOffset;
        n += processEvent(recording, idx, e.event, framedOptions).lines.length;
        if ((i + 1) % TAKE_EVERY === 0) n += take();
      }
      return n + take();
    },
  ];
}

const NAMES = [
  "extraction (as the service runs it)",
  "lookups of the extracted values",
  "processEvent (extraction, lookups, detections, finished event)",
  "session without a socket (framing 1,000-line chunks, processEvent, finished events, reply text)",
  "processEvent, repeating corpus",
  "processEvent + RetroScan batch (add, a take every 50,000 lines), repeating corpus",
  "processEvent + RetroScan on the main thread (the tree's own hook: recording since session 10, the batch before), repeating corpus framed in 1,000-line texts",
];
const trees = baseline === undefined ? [ROOT] : [resolve(baseline), ROOT];
const runs = await Promise.all(trees.map((t) => stagesOf(t, config, index)));
const values = runs[runs.length - 1]![0]!();
const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
// Interleaved passes, best of each: the first two warm the JIT.
const best = runs.map((r) => r.map(() => Number.POSITIVE_INFINITY));
for (let pass = 0; pass < passes + 2; pass++) {
  for (let stage = 0; stage < NAMES.length; stage++) {
    // Which tree goes first alternates: the second run of a stage finds the caches warmer.
    for (let k = 0; k < runs.length; k++) {
      const t = pass % 2 === 0 ? k : runs.length - 1 - k;
      const started = cpu();
      runs[t]![stage]!();
      const us = (cpu() - started) / lines.length;
      if (pass >= 2) best[t]![stage] = Math.min(best[t]![stage]!, us);
    }
  }
}

console.log(`# Event path in one process (${machineLine()})`);
console.log(loadLine());
console.log(`${lines.length} corpus lines (flat strings), ${(values / lines.length).toFixed(2)} values extracted per line, ${index.size} indicators; CPU time, best of ${passes} interleaved passes${baseline === undefined ? "" : `; baseline ${resolve(baseline)}`}`);
console.log("");
if (baseline === undefined) {
  console.log("| stage | CPU µs per line | lines/s on one core |");
  console.log("|---|---:|---:|");
  NAMES.forEach((name, i) => console.log(`| ${name} | ${best[0]![i]!.toFixed(2)} | ${(1e3 / best[0]![i]!).toFixed(0)} k |`));
} else {
  console.log("| stage | baseline CPU µs per line | current CPU µs per line | ratio |");
  console.log("|---|---:|---:|---:|");
  NAMES.forEach((name, i) => console.log(`| ${name} | ${best[0]![i]!.toFixed(2)} | ${best[1]![i]!.toFixed(2)} | ${ratio(best[1]![i]!, best[0]![i]!)} |`));
}
