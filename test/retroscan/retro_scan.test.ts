import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RetroScanSettings } from "../../src/config/types.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import { RetroScan, type RetroScanDeps } from "../../src/retroscan/retro_scan.ts";
import { testConfig } from "../_support/test_service.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function settings(): RetroScanSettings {
  const dir = mkdtempSync(join(tmpdir(), "retro-scan-"));
  dirs.push(dir);
  return { enabled: true, database: join(dir, "r.db"), retentionDays: 30, maxBytes: 2 ** 30, excerptLength: 16, values: "all", batchLimit: 1000, keyMemoryBytes: 2 ** 30 };
}

const config = testConfig();
const SLOTS = ["RE_DOMAIN"];
const feed = { name: "local.txt", category: "Local_Bad", confidence: 100, allowList: false, loadedAt: 0, indicatorLifetimeMinutes: 0 };

/** Loads `hosts` as one feed through `retro`'s diff; the changes and the view a swap would pass. */
function load(retro: RetroScan, hosts: readonly string[]) {
  const index = new IndicatorIndex();
  const diff = retro.diff(index)!;
  const id = diff.addFeed(feed);
  for (const host of hosts) diff.add(id, { kind: "DOMAIN", value: host, fields: [] });
  index.compact();
  return { changes: diff.changes(), view: { config, index, slotNames: SLOTS } };
}

function deps(sent: string[], logs: string[], over: Partial<RetroScanDeps> = {}): RetroScanDeps {
  return { now: () => Date.UTC(2026, 11, 4, 12), log: (level, message) => logs.push(`${level} ${message}`), alert: (name) => logs.push(`alert ${name}`), send: (line) => sent.push(line), ...over };
}

describe("RetroScan", () => {
  test("a run stopped by close() resumes at the next start and reports each hit once", async () => {
    const s = settings();
    const sent: string[] = [];
    const logs: string[] = [];
    let chunks = 0;
    let stopping: Promise<void> | undefined;
    const first = await RetroScan.start(s, config, deps(sent, logs, {
      chunkRows: 5,
      // The service stops after the run's third chunk (rows 11-15) was reported.
      yieldToLoop: async () => {
        if (++chunks === 3) stopping = first.close();
      },
    }));
    // The first load on a new database is the baseline.
    const base = load(first, ["before.example"]);
    await first.feedsChanged(base.changes, base.view);
    const at = Date.UTC(2026, 11, 4, 11);
    for (let i = 0; i < 40; i++) first.retain([{ slot: 0, type: "DOMAIN", value: `h${i}.bad${i % 2}.example` }], `event ${i}`, "default", SLOTS, "10.0.0.1", at);
    const { changes, view } = load(first, ["before.example", "bad0.example", "bad1.example"]);
    const interrupted = await first.feedsChanged(changes, view);
    await stopping;
    expect({ interrupted, sentBefore: sent.length > 0 && sent.length < 40 }).toEqual({ interrupted: undefined, sentBefore: true });
    expect(logs).toContainEqual("info RetroScan run interrupted: the service is stopping; it resumes at the next start");

    const second = await RetroScan.start(s, config, deps(sent, logs, { chunkRows: 5 }));
    const again = load(second, ["before.example", "bad0.example", "bad1.example"]);
    const result = await second.feedsChanged(again.changes, again.view);
    await second.close();
    expect(result).toMatchObject({ indicators: 2, resumedAfter: 15, checked: 25 });
    expect({ total: sent.length, distinct: new Set(sent).size }).toEqual({ total: 40, distinct: 40 });
    expect(sent.every((l) => l.endsWith(" retroscan=true event_time=Dec 04 11:00:00"))).toBe(true);
    expect(logs.filter((l) => l.startsWith("alert") || l.startsWith("error"))).toEqual([]);
  });

  test("a reload before the first load's run has finished compares with the first load, not with nothing", async () => {
    const sent: string[] = [];
    const logs: string[] = [];
    const retro = await RetroScan.start(settings(), config, deps(sent, logs));
    const at = Date.UTC(2026, 11, 4, 11);
    retro.retain([{ slot: 0, type: "DOMAIN", value: "www.late.example" }], "event", "default", SLOTS, "10.0.0.1", at);
    // Both loads are handed over before either run is awaited (a reload right after start).
    const base = load(retro, ["before.example"]);
    const firstRun = retro.feedsChanged(base.changes, base.view);
    const next = load(retro, ["before.example", "late.example"]);
    const secondRun = retro.feedsChanged(next.changes, next.view);
    const results = await Promise.all([firstRun, secondRun]);
    await retro.close();
    expect(results[1]).toMatchObject({ indicators: 1, hits: 1 });
    expect(sent).toEqual([expect.stringContaining("late.example")]);
  });

  test("values over the batch limit are dropped and counted; the rest are stored", async () => {
    const s = { ...settings(), batchLimit: 4 };
    const retro = await RetroScan.start(s, config, deps([], []));
    for (let i = 0; i < 10; i++) retro.retain([{ slot: 0, type: "DOMAIN", value: `d${i}.example` }], "e", "default", SLOTS, undefined, Date.now());
    // The main thread records all ten; the writer's batch keeps four new values and drops six.
    const before = retro.status();
    await retro.flush();
    const after = retro.status();
    await retro.close();
    expect({ pending: before.pending, dropped: before.dropped, stored: after.stored.rows, droppedAfter: after.dropped }).toEqual({ pending: 10, dropped: 0, stored: 4, droppedAfter: 6 });
  });

  test("past key_memory the writer drops new values, counted in dropped, with one warning a day", async () => {
    // 1 MiB holds 10,922 keys (96 bytes a key at the table's sparsest).
    const s = { ...settings(), batchLimit: 100_000, keyMemoryBytes: 2 ** 20 };
    const logs: string[] = [];
    const retro = await RetroScan.start(s, config, deps([], logs));
    const at = Date.UTC(2026, 11, 4, 11);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5_500; i++) retro.retain([{ slot: 0, type: "DOMAIN", value: `d${round}-${i}.example` }], "e", "default", SLOTS, undefined, at);
      await retro.flush();
    }
    await retro.flush();
    const status = retro.status();
    await retro.close();
    expect({ stored: status.stored.rows, dropped: status.dropped, warnings: logs.filter((l) => l.includes("key_memory")).length }).toEqual({ stored: 10_922, dropped: 78, warnings: 1 });
  });

  test("a flush while a write is in flight waits for it and writes what came meanwhile; a restart adds to the same rows", async () => {
    const s = settings();
    const value = (v: string) => [{ slot: 0, type: "DOMAIN" as const, value: v }];
    const at = Date.now();
    const retro = await RetroScan.start(s, config, deps([], []));
    retro.retain(value("a.example"), "e1", "default", SLOTS, undefined, at);
    const first = retro.flush();
    retro.retain(value("b.example"), "e2", "default", SLOTS, undefined, at);
    retro.retain(value("a.example"), "e3", "default", SLOTS, undefined, at);
    expect(retro.status().pending).toBe(2);
    const second = retro.flush();
    await Promise.all([first, second]);
    expect({ pending: retro.status().pending, rows: retro.status().stored.rows }).toEqual({ pending: 0, rows: 2 });
    await retro.close();
    const again = await RetroScan.start(s, config, deps([], []));
    again.retain(value("a.example"), "e4", "default", SLOTS, undefined, at);
    again.retain(value("c.example"), "e5", "default", SLOTS, undefined, at);
    await again.flush();
    expect(again.status().stored.rows).toBe(3);
    await again.close();
  });
});
