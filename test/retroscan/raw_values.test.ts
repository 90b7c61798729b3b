import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { LineFramer } from "../../src/protocol/line_framer.ts";
import { compileSources, extract } from "../../src/service/extract.ts";
import { RawValueLog, transferOf, type RawValues } from "../../src/retroscan/_raw_values.ts";
import { dayOf, RetroStore } from "../../src/retroscan/retro_store.ts";
import { StoreWriter } from "../../src/retroscan/store_writer.ts";
import { ValueBatch, type RetainValues, type ValueBatchOptions } from "../../src/retroscan/value_batch.ts";

const DAY = 86_400_000;
const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
const sources = compileSources(config.input);
const slotNames = sources.slotNames;

/** A log that never asks for a flush, large enough for the test. */
function log(more: Partial<ConstructorParameters<typeof RawValueLog>[0]> = {}): RawValueLog {
  return new RawValueLog({ flushValues: 1 << 30, maxValues: 1 << 30, flushChars: 1 << 30, maxChars: 1 << 30, onPending: () => {}, ...more });
}

/** Log lines with repeats, hashes, a late event's day and non-ASCII text around the values. */
function lines(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const host = `h${i % 37}.example.com`;
    const ip = `10.0.${i % 5}.${i % 251}`;
    out.push(
      i % 3 === 0
        ? `GET http://${host}/p${i % 11}?q=${i} from ${ip} ü`
        : i % 3 === 1
          ? `md5=${(i % 7).toString(16).repeat(32)} host ${host} €`
          : `dns ${host} ${ip} 😀 ${ip}`,
    );
  }
  return out;
}

/** Frames `text` as the service does and hands every event's values to `retain`, with the framer's base text; times from `at`. */
function feed(retain: RetainValues, text: string, at: (i: number) => number, chunk = 777): void {
  let i = 0;
  const framer = new LineFramer({
    onEvent: (event, bmp, base, offset) => {
      const x = extract(sources, event, undefined, bmp);
      if (x.values.length > 0) retain(x.values, event, x.source.id, slotNames, i % 2 === 0 ? "10.0.0.9" : undefined, at(i), x.event, x.spans, base, offset);
      i++;
    },
  });
  const bytes = new TextEncoder().encode(text);
  for (let k = 0; k < bytes.length; k += chunk) framer.push(bytes.subarray(k, k + chunk));
  framer.end();
}

/** What a batch holds after the events went straight in, and after they went through a log (taken every `every` events), as the writer folds them. */
function both(text: string, at: (i: number) => number, options: Omit<ValueBatchOptions, "onPending">, every = Number.POSITIVE_INFINITY) {
  const direct = new ValueBatch({ ...options, onPending: () => {} });
  feed(direct.add, text, at);
  const viaLog = new ValueBatch({ ...options, onPending: () => {} });
  const l = log();
  let events = 0;
  feed(
    (...args) => {
      l.add(...args);
      if (++events % every === 0) viaLog.addRaw(l.take());
    },
    text,
    at,
  );
  viaLog.addRaw(l.take());
  return { direct: direct.takeColumns(), viaLog: viaLog.takeColumns(), dropped: [direct.dropped, viaLog.dropped] };
}

describe("RawValueLog and ValueBatch.addRaw", () => {
  const day = 20_000 * DAY;
  const text = lines(3_000).join("\n");

  test("fold in exactly what adding each event to the batch folds in: values, counts, times, excerpts, clients", () => {
    const { direct, viaLog } = both(text, (i) => day + i * 10, { limit: 100_000, excerptLength: 20 });
    expect(direct.n).toBeGreaterThan(100);
    expect(viaLog).toEqual(direct);
  });

  test("the same when taken in many small records, with late events of the day before, and with marked regexes only", () => {
    const late = (i: number) => (i % 13 === 0 ? day - 1_000 - i : day + i);
    expect(both(text, late, { limit: 100_000, excerptLength: 8 }, 97).viaLog).toEqual(both(text, late, { limit: 100_000, excerptLength: 8 }).direct);
    const marked = both(text, late, { limit: 100_000, excerptLength: 0, rules: new Set(["RE_IP"]) }, 50);
    expect(marked.viaLog).toEqual(marked.direct);
    expect(new Set(marked.direct.rules)).toEqual(new Set(["RE_IP"]));
  });

  test("the same for values that are not spans of their event (after a Replace rule) and events without a base text", () => {
    const direct = new ValueBatch({ limit: 100, excerptLength: 50, onPending: () => {} });
    const viaLog = new ValueBatch({ limit: 100, excerptLength: 50, onPending: () => {} });
    const l = log();
    const replaced = "GET http://a.example/x from 10.0.0.1";
    const rewritten = replaced.replace("10.0.0.1", "10.0.0.2");
    const x = extract(sources, rewritten, undefined);
    for (const batch of [direct.add, l.add]) {
      batch(x.values, replaced, "proxy", slotNames, undefined, day, x.event, x.spans);
      batch([{ slot: 0, type: "URL", value: "http://templated.example/" }], "no base", "proxy", slotNames, "::1", day + 1);
    }
    viaLog.addRaw(l.take());
    expect(viaLog.takeColumns()).toEqual(direct.takeColumns());
  });

  test("over the batch's limit, the writer's batch drops and counts the same new values", () => {
    const { direct, viaLog, dropped } = both(text, (i) => day + i, { limit: 40, excerptLength: 4 });
    expect(viaLog).toEqual(direct);
    expect(dropped[1]).toBe(dropped[0]);
    expect(dropped[0]).toBeGreaterThan(0);
  });

  test("keeps one string per decoded piece of input, not one per event, and survives a copy to another thread", () => {
    const l = log();
    feed(l.add, text, (i) => day + i, 1 << 16);
    const raw = l.take();
    expect(raw.events).toBe(3_000);
    expect(raw.texts.length).toBeLessThan(10);
    expect(raw.strings).toEqual([]);
    const copy = structuredClone(raw, { transfer: transferOf(raw) }) as RawValues;
    expect(raw.eventInts.length).toBe(0);
    const direct = new ValueBatch({ limit: 100_000, excerptLength: 20, onPending: () => {} });
    feed(direct.add, text, (i) => day + i, 1 << 16);
    const viaLog = new ValueBatch({ limit: 100_000, excerptLength: 20, onPending: () => {} });
    viaLog.addRaw(copy);
    expect(viaLog.takeColumns()).toEqual(direct.takeColumns());
  });

  test("asks for a flush when it gets its first value and once when one is due; past its size it drops whole events, counted", () => {
    const asks: boolean[] = [];
    const l = log({ flushValues: 5, maxValues: 8, onPending: (due) => asks.push(due) });
    const values = [
      { slot: 0, type: "DOMAIN" as const, value: "a.example" },
      { slot: 0, type: "DOMAIN" as const, value: "b.example" },
    ];
    for (let i = 0; i < 6; i++) l.add(values, "e", "default", slotNames, undefined, day);
    expect({ asks, size: l.size, dropped: l.dropped }).toEqual({ asks: [false, true], size: 8, dropped: 4 });
    expect(l.take().events).toBe(4);
    l.add(values, "e", "default", slotNames, undefined, day);
    expect({ asks, size: l.size }).toEqual({ asks: [false, true, false], size: 2 });
  });

  test("past its characters of text it drops whole events, counted, until taken", () => {
    const asks: boolean[] = [];
    const l = log({ flushChars: 10, maxChars: 20, onPending: (due) => asks.push(due) });
    const values = [{ slot: 0, type: "DOMAIN" as const, value: "a.example" }];
    // Each event its own text of 9 characters (no base): due past 10, full past 20.
    for (let i = 0; i < 5; i++) l.add(values, "a.example", "default", slotNames, undefined, day);
    expect({ asks, size: l.size, dropped: l.dropped }).toEqual({ asks: [false, true], size: 3, dropped: 2 });
    l.take();
    l.add(values, "a.example", "default", slotNames, undefined, day);
    expect({ size: l.size, dropped: l.dropped }).toEqual({ size: 1, dropped: 2 });
  });
});

describe("the size cap cutting today's rows", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const hosts = Array.from({ length: 300 }, (_, i) => `host-${i}.example`);
  const domain = (value: string) => [{ slot: 0, type: "DOMAIN" as const, value }];

  test("makes a batch hand its values of that day over again (forgetDay), as new values with their text", () => {
    const batch = new ValueBatch({ limit: 100, excerptLength: 4, onPending: () => {} });
    const at = 20_000 * DAY + 1_000;
    batch.add(domain("a.example"), "first", "default", slotNames, undefined, at);
    expect(batch.takeColumns().n).toBe(1);
    batch.add(domain("a.example"), "again", "default", slotNames, undefined, at + 1);
    expect(batch.takeColumns()).toMatchObject({ n: 0, counts: new Float64Array([0, 1, at + 1, at + 1]) });
    batch.forgetDay(19_999);
    batch.add(domain("a.example"), "other", "default", slotNames, undefined, at + 2);
    expect(batch.takeColumns().n).toBe(0);
    batch.forgetDay(20_000);
    batch.add(domain("a.example"), "after", "default", slotNames, undefined, at + 3);
    const columns = batch.takeColumns();
    expect({ n: columns.n, values: columns.values, events: columns.events, forgetBelow: columns.forgetBelow }).toEqual({ n: 1, values: ["a.example"], events: ["default", "", "afte"], forgetBelow: 1 });
  });

  test("through the writer: only the marked regexes' values are stored (the batch's options cross to its thread)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retro-marked-"));
    dirs.push(dir);
    const path = join(dir, "retro.db");
    const writer = await StoreWriter.open(path, 2 ** 30, undefined, { limit: 100, excerptLength: 8, rules: new Set(["RE_IP"]) });
    const l = log();
    const x = extract(sources, "GET http://marked.example/ from 192.0.2.7", undefined);
    l.add(x.values, x.event, "default", slotNames, undefined, Date.now(), x.event, x.spans);
    const raw = l.take();
    expect(await writer.request({ op: "raw", ...raw }, transferOf(raw))).toMatchObject({ ok: true, added: 1 });
    await writer.close();
    const store = await RetroStore.open(path, 2 ** 30);
    const row = store.row(1);
    store.close();
    expect({ type: row?.type, value: row?.value, rule: row?.rule }).toEqual({ type: "IP", value: "192.0.2.7", rule: "RE_IP" });
  }, 30_000);

  test("through the writer: every value seen after the cut has a row again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retro-cut-"));
    dirs.push(dir);
    const path = join(dir, "retro.db");
    const now = Date.now();
    // Today's rows, written with no cap; then a writer whose cap they exceed.
    const first = await RetroStore.open(path, 2 ** 30);
    first.write(hosts.map((value, i) => ({ type: "DOMAIN", value, day: dayOf(now), count: 1, firstAt: now - 1000 + i, lastAt: now - 1000 + i, sourceId: "default", rule: "RE_DOMAIN", client: "", excerpt: "x".repeat(200) })));
    first.close();
    const writer = await StoreWriter.open(path, 64 * 1024, undefined, { limit: 10_000, excerptLength: 8 });
    const send = async () => {
      const l = log();
      for (const host of hosts) l.add(domain(host), `seen ${host}`, "default", slotNames, undefined, now);
      const raw = l.take();
      const reply = await writer.request({ op: "raw", ...raw }, transferOf(raw));
      expect(reply.ok).toBe(true);
    };
    await send();
    const pruned = await writer.request({ op: "prune", now, retentionDays: 30 });
    expect(pruned).toMatchObject({ ok: true, pruned: { partialDay: dayOf(now) } });
    await send();
    await writer.close();
    const store = await RetroStore.open(path, 2 ** 30);
    const stored = new Set(Array.from({ length: store.maxId() }, (_, i) => store.row(i + 1)?.value).filter((v) => v !== undefined));
    store.close();
    expect(hosts.filter((h) => !stored.has(h))).toEqual([]);
  }, 30_000);
});
