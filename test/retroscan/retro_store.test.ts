import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite, sqliteFault, type SqliteDb } from "../../src/runtime/open_sqlite.ts";
import { RetroStore, type StoredValue } from "../../src/retroscan/retro_store.ts";
import { toColumns } from "../../src/retroscan/_value_codec.ts";
import { REPO } from "../_support/child_processes.ts";

const dirs: string[] = [];
const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "retro-store-"));
  dirs.push(dir);
  return join(dir, "retroscan.db");
}

async function openStore(path: string, maxBytes = 2 ** 30): Promise<RetroStore> {
  const store = await RetroStore.open(path, maxBytes);
  open.push(store);
  return store;
}

function value(over: Partial<StoredValue> = {}): StoredValue {
  return { type: "DOMAIN", value: "evil.example", day: 20_000, count: 1, firstAt: 20_000 * 86_400_000 + 1000, lastAt: 20_000 * 86_400_000 + 1000, sourceId: "default", rule: "RE_DOMAIN", client: "10.0.0.5", excerpt: "host=evil.example", ...over };
}

async function faultOf(action: () => unknown): Promise<string> {
  try {
    await action();
  } catch (error) {
    return sqliteFault(error);
  }
  return "no error";
}

describe("RetroStore", () => {
  test("keeps one row per (type, value, day): counts add up, first and last time widen", async () => {
    const store = await openStore(dbPath());
    const t = 20_000 * 86_400_000;
    store.write([value({ firstAt: t + 5000, lastAt: t + 6000, count: 2 })]);
    store.write([value({ firstAt: t + 1000, lastAt: t + 9000, count: 3, client: "10.9.9.9" }), value({ day: 20_001, firstAt: t + 86_400_000, lastAt: t + 86_400_000 }), value({ type: "URL" })]);
    const rows = [1, 2, 3].map((id) => store.row(id));
    expect(rows).toEqual([
      { ...value({ firstAt: t + 1000, lastAt: t + 9000, count: 5 }), id: 1 },
      { ...value({ day: 20_001, firstAt: t + 86_400_000, lastAt: t + 86_400_000 }), id: 2 },
      { ...value({ type: "URL" }), id: 3 },
    ]);
    expect(store.stats()).toMatchObject({ rows: 3, oldestDay: "2024-10-04" });
  });

  test("past maxKeys (key_memory) new values are dropped and counted, while known ones still count", async () => {
    const store = await RetroStore.open(dbPath(), 2 ** 30, { maxKeys: 2 });
    open.push(store);
    expect(store.write([value({ value: "a.example" }), value({ value: "b.example" }), value({ value: "c.example" })])).toBe(2);
    expect(store.write([value({ value: "a.example", count: 4 }), value({ value: "d.example" })])).toBe(0);
    expect({ dropped: store.takeDropped(), again: store.takeDropped(), rows: store.stats().rows, a: store.row(1)?.count }).toEqual({ dropped: 2, again: 0, rows: 2, a: 5 });
  });

  test("keeps what it stored and what it reported across a reopen", async () => {
    const path = dbPath();
    const first = await RetroStore.open(path, 2 ** 30);
    first.write([value()]);
    expect(first.markReported("DOMAIN", "evil.example", "feed\0cat\0evil.example", 20_000)).toBe(true);
    expect(first.markReported("DOMAIN", "evil.example", "feed\0cat\0evil.example", 20_000)).toBe(false);
    first.close();
    const again = await openStore(path);
    expect(again.chunk(0, again.maxId(), 10)).toEqual([[1, 6, "evil.example"]]);
    expect(again.markReported("DOMAIN", "evil.example", "feed\0cat\0evil.example", 20_000)).toBe(false);
    expect(again.markReported("DOMAIN", "evil.example", "other\0cat\0evil.example", 20_000)).toBe(true);
  });

  test("streams rows in id order, a chunk at a time, up to a given id", async () => {
    const store = await openStore(dbPath());
    store.write(Array.from({ length: 5 }, (_, i) => value({ value: `v${i}.example` })));
    expect(store.chunk(0, 4, 3)).toEqual([[1, 6, "v0.example"], [2, 6, "v1.example"], [3, 6, "v2.example"]]);
    expect(store.chunk(3, 4, 3)).toEqual([[4, 6, "v3.example"]]);
  });

  test("retention drops the days before the window, and their reports", async () => {
    const store = await openStore(dbPath());
    store.write([value({ day: 100 }), value({ day: 101 }), value({ day: 105 }), value({ day: 106 })]);
    store.markReported("DOMAIN", "evil.example", "r", 100);
    store.markReported("DOMAIN", "evil.example", "s", 106);
    // Today is 106 and 2 days are kept: 105 and 106.
    expect(store.prune(106, 2)).toEqual({ rows: 2, days: 2 });
    expect(store.chunk(0, 100, 10).map((r) => r[0])).toEqual([3, 4]);
    expect(store.markReported("DOMAIN", "evil.example", "r", 106)).toBe(true);
    expect(store.markReported("DOMAIN", "evil.example", "s", 106)).toBe(false);
  });

  test("the size cap drops the oldest days first until the database fits", async () => {
    const store = await openStore(dbPath());
    for (let day = 1; day <= 6; day++) store.write(Array.from({ length: 300 }, (_, i) => value({ day, value: `host-${i}.example`, excerpt: "x".repeat(200) })));
    store.setMaxBytes(256 * 1024);
    const before = store.stats();
    expect(before.bytes).toBeGreaterThan(256 * 1024);
    const pruned = store.prune(6, 30);
    const after = store.stats();
    expect(after.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(pruned.days).toBeGreaterThan(0);
    expect(after.oldestDay).toBe(new Date((1 + pruned.days) * 86_400_000).toISOString().slice(0, 10));
    expect(after.rows).toBe(before.rows - pruned.rows);
  });
});

describe("RetroStore writes", () => {
  test("a reopened store knows the day's values: a repeat adds to its row, never a second row", async () => {
    const path = dbPath();
    const first = await RetroStore.open(path, 2 ** 30);
    expect(first.write([value(), value({ value: "b.example" })])).toBe(2);
    first.close();
    const again = await openStore(path);
    expect(again.write([value({ count: 4 }), value({ value: "c.example" }), value({ day: 20_001 })])).toBe(2);
    expect(again.chunk(0, again.maxId(), 10)).toEqual([[1, 6, "evil.example"], [2, 6, "b.example"], [3, 6, "c.example"], [4, 6, "evil.example"]]);
    expect(again.row(1)?.count).toBe(5);
  });

  test("counts of known values wait in memory until applied (or the store closes); new values are written at once", async () => {
    const path = dbPath();
    const store = await RetroStore.open(path, 2 ** 30);
    store.write([value()]);
    const columns = toColumns([value({ count: 2, lastAt: value().lastAt + 5 }), value({ value: "new.example" })]);
    expect(store.writeColumns(columns)).toBe(1);
    expect({ pending: store.pendingCounts, count: store.row(1)?.count, rows: store.stats().rows }).toEqual({ pending: 1, count: 1, rows: 2 });
    store.writeColumns(columns);
    expect(store.applyCounts()).toBe(2);
    expect(store.row(1)).toMatchObject({ count: 5, lastAt: value().lastAt + 5 });
    expect(store.row(2)?.count).toBe(2);
    store.writeColumns(columns);
    store.close();
    const again = await openStore(path);
    expect([again.row(1)?.count, again.row(2)?.count]).toEqual([7, 3]);
  });

  test("applies counts of many rows, several statements' worth, each to its own row", async () => {
    const store = await openStore(dbPath());
    const day = 20_000;
    const at = day * 86_400_000;
    // Two days: 700 values on the first and 3 on the second, so a prune of the first leaves rows to count.
    const first = Array.from({ length: 700 }, (_, i) => value({ value: `h${i}.example`, day: day - 1, firstAt: at - 50_000, lastAt: at - 50_000 }));
    const second = Array.from({ length: 3 }, (_, i) => value({ value: `k${i}.example`, day, firstAt: at + 10, lastAt: at + 10 }));
    store.write([...first, ...second]);
    const repeat = (i: number) => ({ firstAt: at - 60_000 + i, lastAt: at - 40_000 + i, count: 1 + (i % 4) });
    store.writeColumns(toColumns(first.map((v, i) => ({ ...v, ...repeat(i) }))));
    store.writeColumns(toColumns(first.slice(0, 300).map((v) => ({ ...v, count: 10 }))));
    expect(store.applyCounts()).toBe(700);
    const rows = first.map((_, i) => store.row(i + 1)!);
    const wrong = rows.filter((row, i) => row.count !== 1 + 1 + (i % 4) + (i < 300 ? 10 : 0) || row.firstAt !== at - 60_000 + i || row.lastAt !== at - 40_000 + i);
    expect(wrong).toEqual([]);
    // A prune applies what is gathered before it removes rows.
    store.writeColumns(toColumns([...first, ...second].map((v) => ({ ...v, count: 1 }))));
    expect(store.prune(day, 1).rows).toBe(700);
    expect(store.applyCounts()).toBe(0);
    expect(second.map((_, i) => store.row(701 + i)?.count)).toEqual([2, 2, 2]);
  });

  test("a value whose row the size cap removed gets a new row", async () => {
    const store = await openStore(dbPath());
    store.write(Array.from({ length: 300 }, (_, i) => value({ value: `host-${i}.example`, excerpt: "x".repeat(200) })));
    store.setMaxBytes(64 * 1024);
    expect(store.prune(20_000, 30).rows).toBeGreaterThan(0);
    const left = store.stats().rows;
    expect(store.write([value({ value: "host-0.example" })])).toBe(1);
    expect(store.stats().rows).toBe(left + 1);
  });

  test("a database of the first schema (unique index on seen) is migrated at open, its rows, excerpts and reports kept", async () => {
    const path = dbPath();
    const old = await openSqlite(path);
    old.exec(`CREATE TABLE seen (id INTEGER PRIMARY KEY, type INTEGER NOT NULL, value TEXT NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, UNIQUE (type, value, day));
      CREATE INDEX seen_day ON seen(day);
      CREATE TABLE seen_event (id INTEGER PRIMARY KEY, source TEXT NOT NULL, rule TEXT NOT NULL, client TEXT NOT NULL, excerpt TEXT NOT NULL);
      CREATE TRIGGER seen_gone AFTER DELETE ON seen BEGIN DELETE FROM seen_event WHERE id = old.id; END;
      CREATE TABLE reported (type INTEGER NOT NULL, value TEXT NOT NULL, record TEXT NOT NULL, day INTEGER NOT NULL, PRIMARY KEY (type, value, record)) WITHOUT ROWID;
      CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
      INSERT INTO seen VALUES (7, 6, 'evil.example', 20000, 3, 1728000001000, 1728000002000);
      INSERT INTO seen_event VALUES (7, 'default', 'RE_DOMAIN', '10.0.0.5', 'host=evil.example');
      INSERT INTO reported VALUES (6, 'evil.example', 'feed', 20000);`);
    old.close();
    const store = await openStore(path);
    expect(store.row(7)).toMatchObject({ value: "evil.example", count: 3, excerpt: "host=evil.example" });
    expect(store.markReported("DOMAIN", "evil.example", "feed", 20_000)).toBe(false);
    expect(store.write([value()])).toBe(0);
    expect(store.row(7)?.count).toBe(4);
    const check = await openSqlite(path);
    open.push(check);
    expect(check.prepare("SELECT sql FROM sqlite_master WHERE name = 'seen'").values()[0]![0]).not.toContain("UNIQUE");
    expect(check.prepare("PRAGMA user_version").values()[0]![0]).toBe(2);
    // The trigger came back with the schema: removing the row removes its excerpt.
    check.exec("DELETE FROM seen WHERE id = 7");
    expect(check.prepare("SELECT count(*) FROM seen_event").values()[0]![0]).toBe(0);
  });
});

describe("RetroStore faults", () => {
  test("a damaged database file is reported as corrupt", async () => {
    const path = dbPath();
    copyFileSync(join(REPO, "test/fixtures/retroscan/damaged.db"), path);
    expect(await faultOf(() => openStore(path))).toBe("corrupt");
  });

  test("a file that is not a database is reported as corrupt", async () => {
    const path = dbPath();
    writeFileSync(path, "these are log lines, not a database\n".repeat(200));
    expect(await faultOf(() => openStore(path))).toBe("corrupt");
  });

  test("a database another connection holds an exclusive lock on is reported as locked", async () => {
    const path = dbPath();
    const holder: SqliteDb = await openSqlite(path);
    open.push(holder);
    holder.exec("PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE held (x); BEGIN EXCLUSIVE; INSERT INTO held VALUES (1)");
    expect(await faultOf(() => openStore(path))).toBe("locked");
  });

  test("a flush beyond the hard limit above the size cap is reported as full", async () => {
    const store = await openStore(dbPath(), 64 * 1024);
    const big = Array.from({ length: 2000 }, (_, i) => value({ value: `host-${i}.example`, excerpt: "x".repeat(200) }));
    expect(await faultOf(() => store.write(big))).toBe("full");
    // The failed flush was rolled back as a whole.
    expect(store.maxId()).toBe(0);
  });
});
