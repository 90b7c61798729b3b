import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { FeedInfo, IndicatorKind } from "../../src/matching/types.ts";
import { IndicatorDiff, type IndicatorChanges } from "../../src/retroscan/indicator_diff.ts";
import { RetroStore, type StoredType, type StoredValue } from "../../src/retroscan/retro_store.ts";
import { readBaseline, runRetroScan, type RetroRunDeps } from "../../src/retroscan/run_retro_scan.ts";
import { ValueBatch } from "../../src/retroscan/value_batch.ts";
import { KnownValues } from "../../src/retroscan/_known_values.ts";
import { PendingCounts } from "../../src/retroscan/_pending_counts.ts";
import { decodeValues, encodeValues, fromColumns, toColumns } from "../../src/retroscan/_value_codec.ts";

const dirs: string[] = [];
const stores: RetroStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function store(path?: string): Promise<RetroStore> {
  if (path === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "retro-run-"));
    dirs.push(dir);
    path = join(dir, "r.db");
  }
  const s = await RetroStore.open(path, 2 ** 30);
  stores.push(s);
  return s;
}

const feed = (name: string, allowList = false): FeedInfo => ({ name, category: `${name}_cat`, confidence: 100, allowList, loadedAt: 0, indicatorLifetimeMinutes: 0 });

type Entries = readonly (readonly [string, IndicatorKind, string])[];

/** Loads `entries` ([feed, kind, value]) through a diff against `baseline`, as a feed load does. */
function load(entries: Entries, baseline: Float64Array | undefined): { index: IndicatorIndex; changes: IndicatorChanges } {
  const index = new IndicatorIndex();
  const diff = new IndicatorDiff(index, baseline);
  const ids = new Map<string, number>();
  for (const [name, kind, value] of entries) {
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = diff.addFeed(feed(name, name === "allow"))));
    expect(diff.add(id, { kind, value, fields: [["note", value]] })).toBeUndefined();
  }
  index.compact();
  return { index, changes: diff.changes() };
}

function stored(type: StoredType, value: string, over: Partial<StoredValue> = {}): StoredValue {
  return { type, value, day: 20_000, count: 1, firstAt: 1_728_000_000_000, lastAt: 1_728_000_000_000, sourceId: "default", rule: `RE_${type}`, client: "10.0.0.5", excerpt: "", ...over };
}

function deps(index: IndicatorIndex, sent: string[], over: Partial<RetroRunDeps> = {}): RetroRunDeps {
  return {
    now: 1_728_100_000_000,
    index,
    render: (row, record) => `${record.feed.name} ${record.indicator} <- ${row.type} ${row.value} @${row.firstAt}`,
    send: (line) => sent.push(line),
    yieldToLoop: async () => {},
    key: "k",
    ...over,
  };
}

const OLD: Entries = [["bad", "DOMAIN", "known-before.example"]];

const VALUES: StoredValue[] = [
  stored("DOMAIN", "known-before.example"),
  stored("DOMAIN", "a.b.parent-domain.example"),
  stored("URL", "https://cdn.masked.example/dl/a.exe"),
  stored("URL", "http://exact-url.example/path"),
  stored("IP", "203.0.113.77"),
  stored("IP", "198.51.100.9"),
  stored("MD5", "d41d8cd98f00b204e9800998ecf8427e"),
  stored("SHA1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
  stored("SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
  stored("HASH", "0123456789abcdef0123456789abcdef"),
  stored("DOMAIN", "innocent.example"),
];

const NEW: Entries = [
  ...OLD,
  ["bad", "DOMAIN", "parent-domain.example"],
  ["bad", "URL", "*.masked.example/dl/*.exe"],
  ["bad", "URL", "exact-url.example/path"],
  ["bad", "IP", "203.0.113.0/24"],
  ["bad", "MD5", "d41d8cd98f00b204e9800998ecf8427e"],
  ["bad", "SHA1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
  ["bad", "SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["bad", "MD5", "0123456789abcdef0123456789abcdef"],
];

describe("IndicatorDiff", () => {
  test("without a baseline nothing is new; with one, only entries it does not hold", () => {
    const first = load(OLD, undefined).changes;
    expect(first.count).toBe(0);
    const second = load(NEW, first.fingerprints).changes;
    expect(second.count).toBe(NEW.length - OLD.length);
    expect(second.added.flatMap((a) => a.entries.map((e) => e.value))).toEqual(NEW.slice(OLD.length).map((e) => e[2]));
  });

  test("the same value in another feed or with another category is new", () => {
    const base = load(OLD, undefined).changes.fingerprints;
    expect(load([["other", "DOMAIN", "known-before.example"]], base).changes.count).toBe(1);
  });
});

describe("runRetroScan()", () => {
  test("finds stored values of every kind the index matches, once per value and record", async () => {
    const s = await store();
    s.write(VALUES);
    const base = load(OLD, undefined).changes;
    const { index, changes } = load(NEW, base.fingerprints);
    const sent: string[] = [];
    const result = await runRetroScan(s, changes, deps(index, sent, { chunkRows: 4 }));
    expect(sent.sort()).toEqual(
      [
        "bad parent-domain.example <- DOMAIN a.b.parent-domain.example",
        "bad *.masked.example/dl/*.exe <- URL https://cdn.masked.example/dl/a.exe",
        "bad exact-url.example/path <- URL http://exact-url.example/path",
        "bad 203.0.113.0/24 <- IP 203.0.113.77",
        "bad d41d8cd98f00b204e9800998ecf8427e <- MD5 d41d8cd98f00b204e9800998ecf8427e",
        "bad da39a3ee5e6b4b0d3255bfef95601890afd80709 <- SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "bad e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 <- SHA256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "bad 0123456789abcdef0123456789abcdef <- HASH 0123456789abcdef0123456789abcdef",
      ]
        .map((l) => `${l} @1728000000000`)
        .sort(),
    );
    expect(result).toEqual({ indicators: 8, checked: VALUES.length, hits: 8, resumedAfter: 0 });
    // The run's fingerprints are the next baseline: the same feeds again bring nothing new.
    expect(load(NEW, readBaseline(s)).changes.count).toBe(0);
  });

  test("a value seen on several days is reported once, with its first day's time", async () => {
    const s = await store();
    s.write([stored("DOMAIN", "x.parent-domain.example", { day: 20_000, firstAt: 1 }), stored("DOMAIN", "x.parent-domain.example", { day: 20_001, firstAt: 2 })]);
    const { index, changes } = load(NEW, load(OLD, undefined).changes.fingerprints);
    const sent: string[] = [];
    await runRetroScan(s, changes, deps(index, sent));
    expect(sent).toEqual(["bad parent-domain.example <- DOMAIN x.parent-domain.example @1"]);
  });

  test("a second run of the same indicators reports nothing again, also after a reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "retro-run-"));
    dirs.push(dir);
    const path = join(dir, "r.db");
    const first = await RetroStore.open(path, 2 ** 30);
    first.write(VALUES);
    const base = load(OLD, undefined).changes.fingerprints;
    const { index, changes } = load(NEW, base);
    const sent: string[] = [];
    await runRetroScan(first, changes, deps(index, sent));
    first.close();
    const again = await store(path);
    const repeat: string[] = [];
    // The same changes once more (as if the baseline had not been saved).
    const result = await runRetroScan(again, changes, deps(index, repeat));
    expect({ first: sent.length, repeat, hits: result.hits }).toEqual({ first: 8, repeat: [], hits: 0 });
  });

  test("an interrupted run resumes after its last chunk and reports nothing twice", async () => {
    const s = await store();
    s.write(VALUES);
    const { index, changes } = load(NEW, load(OLD, undefined).changes.fingerprints);
    const sent: string[] = [];
    let chunks = 0;
    const stop = new Error("stopping");
    const interrupted = runRetroScan(s, changes, deps(index, sent, { chunkRows: 3, yieldToLoop: async () => { if (++chunks === 2) throw stop; } }));
    expect(interrupted).rejects.toBe(stop);
    await interrupted.catch(() => {});
    const before = sent.length;
    const result = await runRetroScan(s, changes, deps(index, sent, { chunkRows: 3 }));
    expect({ resumedAfter: result.resumedAfter, checked: result.checked, total: sent.length, distinct: new Set(sent).size }).toEqual({ resumedAfter: 6, checked: VALUES.length - 6, total: 8, distinct: 8 });
    expect(before).toBeGreaterThan(0);
  });

  test("a hit the full index cancels (allow-list) is not reported", async () => {
    const s = await store();
    s.write([stored("DOMAIN", "x.parent-domain.example")]);
    const base = load(OLD, undefined).changes.fingerprints;
    const { index, changes } = load([...NEW, ["allow", "DOMAIN", "x.parent-domain.example"]], base);
    const sent: string[] = [];
    const result = await runRetroScan(s, changes, deps(index, sent));
    expect({ sent, hits: result.hits }).toEqual({ sent: [], hits: 0 });
  });
});

describe("ValueBatch", () => {
  test("folds repeats into one value per (type, value, day) and counts what overflows", () => {
    let pending = 0;
    const batch = new ValueBatch({ limit: 2, excerptLength: 5, onPending: () => pending++ });
    const slots = ["RE_DOMAIN", "RE_IP"];
    const day = 1_728_000_000_000;
    batch.add([{ slot: 0, type: "DOMAIN", value: "a.example" }, { slot: 1, type: "IP", value: "192.0.2.1" }], "event one", "default", slots, "10.0.0.5", day);
    batch.add([{ slot: 0, type: "DOMAIN", value: "a.example" }, { slot: 0, type: "DOMAIN", value: "b.example" }], "event two", "src", slots, undefined, day + 5);
    expect({ size: batch.size, dropped: batch.dropped }).toEqual({ size: 2, dropped: 1 });
    expect(batch.take()).toEqual([
      { type: "DOMAIN", value: "a.example", day: 20_000, count: 2, firstAt: day, lastAt: day + 5, sourceId: "default", rule: "RE_DOMAIN", client: "10.0.0.5", excerpt: "event" },
      { type: "IP", value: "192.0.2.1", day: 20_000, count: 1, firstAt: day, lastAt: day, sourceId: "default", rule: "RE_IP", client: "10.0.0.5", excerpt: "event" },
    ]);
    // Once when the first value came (with a limit of 2, that is also half full).
    expect({ size: batch.size, pending }).toEqual({ size: 0, pending: 1 });
  });

  test("the same value on two days is two entries; an event's fields are kept once for its new values", () => {
    const batch = new ValueBatch({ limit: 10, excerptLength: 3, onPending: () => {} });
    const slots = ["RE_DOMAIN"];
    const day = 20_000 * 86_400_000;
    batch.add([{ slot: 0, type: "DOMAIN", value: "a.example" }, { slot: 0, type: "DOMAIN", value: "b.example" }], "late event", "src", slots, "10.0.0.1", day - 1);
    batch.add([{ slot: 0, type: "DOMAIN", value: "a.example" }], "next day", "src", slots, "10.0.0.2", day);
    const columns = batch.takeColumns();
    expect({ n: columns.n, events: columns.events }).toEqual({ n: 3, events: ["src", "10.0.0.1", "lat", "src", "10.0.0.2", "nex"] });
    expect(fromColumns(columns).map((v) => [v.value, v.day, v.excerpt])).toEqual([["a.example", 19_999, "lat"], ["b.example", 19_999, "lat"], ["a.example", 20_000, "nex"]]);
  });

  test("keeps only the marked regexes' values when asked, and no excerpt at length 0", () => {
    const batch = new ValueBatch({ limit: 10, excerptLength: 0, rules: new Set(["RE_IP"]), onPending: () => {} });
    batch.add([{ slot: 0, type: "DOMAIN", value: "a.example" }, { slot: 1, type: "IP", value: "192.0.2.1" }], "secret user=alice", "default", ["RE_DOMAIN", "RE_IP"], "10.0.0.5", 0);
    expect(batch.take().map((v) => [v.value, v.excerpt])).toEqual([["192.0.2.1", ""]]);
  });
});

describe("KnownValues", () => {
  test("tells apart values that differ by one character, a trailing NUL, the length or the type, past several growths", () => {
    const known = new KnownValues();
    const keys: [number, string][] = [[0, ""], [0, "a"], [0, "a\u0000"], [0, "\u0000"], [0, "ab"], [0, "ba"], [1, "a"], [0, "\u00e9\u4e2d"], [0, "\u4e2d\u00e9"]];
    for (let i = 0; i < 20_000; i++) keys.push([i % 7, `h${i}.example`], [0, `http://x.example/${i}`]);
    const heldBefore: string[] = [];
    keys.forEach(([code, value], handle) => {
      if (known.find(code, value) >= 0) heldBefore.push(value);
      else known.insertFound(handle);
    });
    expect(heldBefore).toEqual([]);
    expect(keys.filter(([code, value], handle) => known.handleAt(known.find(code, value)) !== handle)).toEqual([]);
    expect(known.size).toBe(keys.length);
    // Counts since the last take, per handle, with the first and last time; a take starts them over.
    const counts = new Float64Array(9).fill(-1);
    for (const ms of [500, 100, 900]) known.count(known.find(0, "ab"), ms);
    known.count(known.find(1, "a"), 7);
    expect(known.takeCounts(counts, 1, 1_000_000)).toBe(9);
    expect([...counts]).toEqual([-1, 4, 3, 1_000_100, 1_000_900, 6, 1, 1_000_007, 1_000_007]);
    expect(known.counted).toBe(0);
    // A count survives the table's growth (every slot moves).
    known.count(known.find(0, "ba"), 5);
    for (let i = 0; i < 50_000; i++) if (known.find(2, `late${i}`) < 0) known.insertFound(keys.length + i);
    expect(known.takeCounts(counts, 0, 0)).toBe(4);
    expect([...counts.subarray(0, 4)]).toEqual([5, 1, 5, 5]);
    known.clear();
    expect({ size: known.size, found: known.find(0, "a") }).toEqual({ size: 0, found: -1 });
  });

  test("takes the same counts whether few values were counted (its list) or most (a walk of the table)", () => {
    const known = new KnownValues();
    for (let handle = 0; handle < 5_000; handle++) {
      known.find(0, `v${handle}`);
      known.insertFound(handle);
    }
    const take = (counted: number) => {
      for (let handle = 0; handle < counted; handle++) for (let k = 0; k <= handle % 3; k++) known.count(known.find(0, `v${handle}`), 10 * handle + k);
      const out = new Float64Array(4 * known.counted);
      expect(known.takeCounts(out, 0, 1_000)).toBe(out.length);
      const rows = Array.from({ length: out.length / 4 }, (_, r) => [...out.subarray(4 * r, 4 * r + 4)]);
      expect(known.counted).toBe(0);
      return rows.sort((x, y) => x[0]! - y[0]!);
    };
    const expected = (counted: number) => Array.from({ length: counted }, (_, h) => [h, (h % 3) + 1, 1_000 + 10 * h, 1_000 + 10 * h + (h % 3)]);
    expect(take(40)).toEqual(expected(40));
    expect(take(4_000)).toEqual(expected(4_000));
    // Both ways start every count over.
    expect(take(0)).toEqual([]);
  });

  test("keeps each value's first and last time exact when events come out of time order", () => {
    const known = new KnownValues();
    for (const [handle, value] of ["a.example", "b.example"].entries()) {
      known.find(6, value);
      known.insertFound(handle);
    }
    const a = known.find(6, "a.example");
    const b = known.find(6, "b.example");
    // b's 2,000 is the latest time seen when a's later events come: a's 1,500 is its last, 900 its first.
    for (const [slot, ms] of [[a, 1_000], [b, 2_000], [a, 1_500], [a, 900], [b, 2_500], [a, 1_200]] as const) known.count(slot, ms);
    const out = new Float64Array(8);
    known.takeCounts(out, 0, 0);
    const rows = [[...out.subarray(0, 4)], [...out.subarray(4, 8)]].sort((x, y) => x[0]! - y[0]!);
    expect(rows).toEqual([[0, 4, 900, 1_500], [1, 2, 2_000, 2_500]]);
  });

  test("finds a value read in place in a longer text as the same value given alone", () => {
    const known = new KnownValues();
    const values = ["", "a", "ab", "abc", "evil.example", "\u00e9\u4e2d", "http://x.example/p?q=1"];
    values.forEach((value, handle) => {
      known.find(3, value);
      known.insertFound(handle);
    });
    const text = `<${values.join("|")}>`;
    let at = 1;
    const found = values.map((value) => {
      const slot = known.find(3, text, at, at + value.length);
      at += value.length + 1;
      return known.handleAt(slot);
    });
    expect(found).toEqual(values.map((_, handle) => handle));
    // One character more or less on either side is another value.
    expect([known.find(3, text, 0, 13), known.find(3, text, 2, 13), known.find(3, text, 1, 12), known.find(3, text, 1, 14)].every((slot) => slot < 0)).toBe(true);
  });
});

describe("ValueBatch handles: a value handed over once comes back as a count", () => {
  const slots = ["RE_DOMAIN"];
  const day = 20_000 * 86_400_000;
  const domain = (value: string) => ({ slot: 0, type: "DOMAIN" as const, value });

  /** Each take goes through the writer's codec into `s`, as the writer thread does. */
  function writeTake(s: RetroStore, batch: ValueBatch): void {
    const columns = decodeValues(encodeValues(batch.takeColumns()));
    s.writeColumns(columns);
    s.addCounts(columns);
  }

  test("repeats after a flush travel as counts for the handle, without text, and add up in the row", async () => {
    const s = await store();
    const batch = new ValueBatch({ limit: 10, excerptLength: 5, onPending: () => {} });
    batch.add([domain("a.example"), domain("b.example")], "first event", "src", slots, "10.0.0.1", day + 1);
    writeTake(s, batch);
    batch.add([domain("a.example")], "second", "src", slots, "10.0.0.2", day + 7);
    batch.add([domain("a.example"), domain("c.example")], "third", "src", slots, "10.0.0.3", day + 3);
    expect(batch.size).toBe(2);
    const columns = batch.takeColumns();
    expect({ n: columns.n, values: columns.values, counts: [...columns.counts!], forgetBelow: columns.forgetBelow }).toEqual({ n: 1, values: ["c.example"], counts: [0, 2, day + 3, day + 7], forgetBelow: 0 });
    s.writeColumns(columns);
    s.addCounts(columns);
    s.applyCounts();
    expect(s.chunk(0, s.maxId(), 10)).toEqual([[1, 6, "a.example"], [2, 6, "b.example"], [3, 6, "c.example"]]);
    expect(s.row(1)).toMatchObject({ count: 3, firstAt: day + 1, lastAt: day + 7, excerpt: "first" });
    expect(batch.takeColumns()).toMatchObject({ n: 0, counts: new Float64Array(0) });
  });

  test("a new day starts over: the old day's counts go with the next flush, the writer forgets its handles", async () => {
    const s = await store();
    const batch = new ValueBatch({ limit: 10, excerptLength: 5, onPending: () => {} });
    batch.add([domain("a.example")], "first", "src", slots, "10.0.0.1", day);
    writeTake(s, batch);
    batch.add([domain("a.example")], "again", "src", slots, "10.0.0.1", day + 9);
    // Midnight: a.example is new again on the new day (its own row), and the count of the old
    // day's handle is carried into the same flush.
    batch.add([domain("a.example")], "next day", "src", slots, "10.0.0.1", day + 86_400_000);
    const columns = batch.takeColumns();
    expect({ n: columns.n, counts: [...columns.counts!], forgetBelow: columns.forgetBelow }).toEqual({ n: 1, counts: [0, 1, day + 9, day + 9], forgetBelow: 1 });
    s.writeColumns(columns);
    s.addCounts(columns);
    // A count for a forgotten handle counts nowhere.
    s.addCounts({ ...columns, n: 0, counts: new Float64Array([0, 100, day, day]) });
    s.applyCounts();
    expect([s.row(1)?.count, s.row(2)?.count, s.row(2)?.day]).toEqual([2, 1, 20_001]);
    // A late event of the old day is a value again (no handle): it adds to its day's row.
    batch.add([domain("a.example")], "late", "src", slots, "10.0.0.1", day + 10);
    writeTake(s, batch);
    s.applyCounts();
    expect([s.row(1)?.count, s.maxId()]).toEqual([3, 2]);
  });

  test("two producers' handles are kept apart, and one forgetting its handles leaves the other's", async () => {
    const s = await store();
    const main = new ValueBatch({ limit: 10, excerptLength: 5, onPending: () => {} });
    const worker = new ValueBatch({ limit: 10, excerptLength: 5, producer: 1, onPending: () => {} });
    // Both batches give handle 0, each to its own value.
    main.add([domain("a.example")], "from main", "src", slots, "10.0.0.1", day);
    worker.add([domain("b.example")], "from worker", "src", slots, "10.0.0.2", day);
    writeTake(s, main);
    writeTake(s, worker);
    main.add([domain("a.example")], "again", "src", slots, "10.0.0.1", day + 1);
    worker.add([domain("b.example")], "again", "src", slots, "10.0.0.2", day + 1);
    worker.add([domain("b.example")], "again", "src", slots, "10.0.0.2", day + 2);
    writeTake(s, worker);
    // A new day for the worker's batch: it forgets its handle 0, not the main batch's.
    worker.add([domain("c.example")], "next day", "src", slots, "10.0.0.2", day + 86_400_000);
    writeTake(s, worker);
    writeTake(s, main);
    s.applyCounts();
    expect([1, 2, 3].map((id) => [s.row(id)?.value, s.row(id)?.count])).toEqual([["a.example", 2], ["b.example", 3], ["c.example", 1]]);
  });

  test("a value read in place in the event (extraction's spans) is the same value as its string", () => {
    const batch = new ValueBatch({ limit: 10, excerptLength: 0, onPending: () => {} });
    const event = "GET http://a.example/ from a.example";
    const at = event.lastIndexOf("a.example");
    const spans = new Int32Array([at, at + 9, -1, -1]);
    batch.add([domain("a.example"), domain("b.example")], event, "src", slots, undefined, day + 1, event, spans);
    batch.add([domain("a.example")], "again", "src", slots, undefined, day + 2);
    batch.add([domain("b.example")], "b.example", "src", slots, undefined, day + 3, "b.example", new Int32Array([0, 9]));
    const columns = batch.takeColumns();
    expect({ n: columns.n, values: columns.values, counts: [...columns.nums.subarray(0, 2 * 8)].filter((_, k) => k % 8 === 2) }).toEqual({ n: 2, values: ["a.example", "b.example"], counts: [2, 2] });
  });

  test("a value dropped at the limit gets no handle: its next sighting is new again", () => {
    const batch = new ValueBatch({ limit: 1, excerptLength: 0, onPending: () => {} });
    batch.add([domain("a.example"), domain("b.example")], "e", "src", slots, undefined, day);
    expect(batch.take().map((v) => v.value)).toEqual(["a.example"]);
    batch.add([domain("b.example"), domain("a.example")], "e", "src", slots, undefined, day);
    const columns = batch.takeColumns();
    expect({ values: columns.values, counts: [...columns.counts!], dropped: batch.dropped }).toEqual({ values: ["b.example"], counts: [0, 1, day, day], dropped: 1 });
  });

  test("asks for a flush when only counts are pending", () => {
    let pending = 0;
    const batch = new ValueBatch({ limit: 10, excerptLength: 0, onPending: () => pending++ });
    batch.add([domain("a.example")], "e", "src", slots, undefined, day);
    batch.take();
    batch.add([domain("a.example")], "e", "src", slots, undefined, day);
    batch.add([domain("a.example")], "e", "src", slots, undefined, day);
    expect({ pending, size: batch.size }).toEqual({ pending: 2, size: 1 });
  });

  test("says a flush is due at once at flushSize new values or half the limit, never for counts", () => {
    const dues: boolean[] = [];
    const batch = new ValueBatch({ limit: 10, excerptLength: 0, flushSize: 3, onPending: (due) => dues.push(due) });
    for (const name of ["a", "b", "c", "d", "e"]) batch.add([domain(`${name}.example`)], "e", "src", slots, undefined, day);
    batch.take();
    batch.add([domain("a.example")], "e", "src", slots, undefined, day);
    // The first value (not due), the third (flushSize), the fifth (half the limit); then a count.
    expect(dues).toEqual([false, true, true, false]);
  });
});

describe("PendingCounts", () => {
  /** What `take()` should give for `entries`: per id, summed counts, earliest first, latest last; ids ascending. */
  function expected(entries: number[][]): number[][] {
    const byId = new Map<number, number[]>();
    for (const [id, count, first, last] of entries) {
      const row = byId.get(id!);
      if (row === undefined) byId.set(id!, [id!, count!, first!, last!]);
      else byId.set(id!, [id!, row[1]! + count!, Math.min(row[2]!, first!), Math.max(row[3]!, last!)]);
    }
    return [...byId.values()].sort((a, b) => a[0]! - b[0]!);
  }
  const rowsOf = (pending: PendingCounts) => {
    const m = pending.take();
    return Array.from({ length: m.n }, (_, r) => [m.ids[r]!, m.counts[r]!, m.firstAt[r]!, m.lastAt[r]!]);
  };

  test("merges the entries of a row and gives the rows in id order, then starts over", () => {
    const pending = new PendingCounts();
    const entries = [[9, 1, 50, 60], [3, 2, 10, 20], [9, 4, 40, 45], [1, 1, 7, 7], [3, 1, 5, 30], [9, 1, 70, 70]];
    for (const [id, count, first, last] of entries) pending.add(id!, count!, first!, last!);
    expect(pending.size).toBe(6);
    expect(rowsOf(pending)).toEqual([[1, 1, 7, 7], [3, 3, 5, 30], [9, 6, 40, 70]]);
    expect({ size: pending.size, rows: rowsOf(pending) }).toEqual({ size: 0, rows: [] });
  });

  test("keeps its log near the rows it holds while counts pile up (merged in place), losing nothing", () => {
    const pending = new PendingCounts();
    const entries: number[][] = [];
    // 1,000 rows counted 300 times each: 300,000 entries, merged as they come.
    for (let round = 0; round < 300; round++) {
      for (let id = 1; id <= 1_000; id++) {
        const entry = [id * 7, 1 + (round % 3), 1_000 + round, 2_000 + round];
        entries.push(entry);
        pending.add(entry[0]!, entry[1]!, entry[2]!, entry[3]!);
      }
    }
    expect(pending.size).toBeLessThan(70_000);
    expect(rowsOf(pending)).toEqual(expected(entries));
  });

  test("orders ids too large to pack with positions in a double the slower way, with the same result", () => {
    const pending = new PendingCounts();
    const entries = [[2 ** 50 + 3, 1, 5, 6], [7, 2, 1, 2], [2 ** 50 + 3, 1, 4, 9], [2 ** 50, 1, 1, 1]];
    for (const [id, count, first, last] of entries) pending.add(id!, count!, first!, last!);
    expect(rowsOf(pending)).toEqual(expected(entries));
  });
});

describe("encodeValues() and decodeValues()", () => {
  test("give back the counts of handed-over values and the handle to forget below", () => {
    const columns = { ...toColumns([stored("URL", "http://a.example/")]), counts: new Float64Array([3, 2, 1_700_000_000_000, 1_700_000_000_999, 2 ** 40, 1, 5, 6]), forgetBelow: 3 };
    const decoded = decodeValues(encodeValues(columns));
    expect({ counts: [...decoded.counts!], forgetBelow: decoded.forgetBelow, handle: decoded.nums[7] }).toEqual({ counts: [...columns.counts], forgetBelow: 3, handle: -1 });
  });

  test("keep numbers exact at the edges of their units, and clamp what does not fit", () => {
    const max3 = 2 ** 45 - 1;
    const counts = new Float64Array([max3, 2 ** 30 - 1, max3, 2 ** 30, 0, 2 ** 30, -5, 2 ** 46, 32_767, 32_768, 2 ** 30 + 32_767, 2 ** 15 * 3 + 1]);
    const decoded = decodeValues(encodeValues({ ...toColumns([stored("URL", "http://a.example/")]), counts }));
    expect([...decoded.counts!]).toEqual([max3, 2 ** 30 - 1, max3, 2 ** 30, 0, 2 ** 30 - 1, 0, max3, 32_767, 32_768, 2 ** 30 + 32_767, 2 ** 15 * 3 + 1]);
  });

  test("give back the values, separators inside a field replaced", () => {
    const values = [stored("URL", "http://a.example/x?y=1"), stored("MD5", "d41d8cd98f00b204e9800998ecf8427e", { excerpt: "odd\u001fexcerpt\u001e", client: "" })];
    expect(fromColumns(decodeValues(encodeValues(toColumns(values))))).toEqual([values[0]!, { ...values[1]!, excerpt: "odd\ufffdexcerpt\u001e" }]);
  });

  test("refuse what does not decode, naming what", () => {
    const encoded = encodeValues(toColumns([stored("URL", "http://a.example/x")]));
    expect(() => decodeValues({ ...encoded, values: "a\u001fb" })).toThrow("RetroScan writer: the values do not decode: found 2, expected 1");
    expect(() => decodeValues({ ...encoded, nums: "abc" })).toThrow("RetroScan writer: the numbers of 1 values do not decode");
  });
});
