/**
 * RetroScan store smoke: the SQLite store through this runtime's driver (bun:sqlite under Bun,
 * node:sqlite under Deno): write and fold values, a retro run finding a domain parent and a
 * CIDR, no repeat after a reopen, retention, the corrupt and full faults, and RetroScan's writer
 * thread (a worker with its own connection) storing a value. Run by
 * scripts/deno-smoke.sh under Deno and by test/retroscan/store_smoke.test.ts under both.
 *
 * Usage: deno run -A scripts/retroscan_store_smoke.ts   |   bun scripts/retroscan_store_smoke.ts
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { IndicatorIndex } from "../src/matching/indicator_index.ts";
import type { IndicatorKind } from "../src/matching/types.ts";
import { IndicatorDiff } from "../src/retroscan/indicator_diff.ts";
import { RetroStore, type StoredValue } from "../src/retroscan/retro_store.ts";
import { runRetroScan } from "../src/retroscan/run_retro_scan.ts";
import { sqliteFault } from "../src/runtime/open_sqlite.ts";
import { RetroScan } from "../src/retroscan/retro_scan.ts";
import { parseServiceConfig } from "../src/config/parse_service_config.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../src/config/embedded_defaults.ts";
import { runtimeName } from "../src/runtime/runtime.ts";

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`retroscan store smoke failed: ${what}`);
}

const dir = mkdtempSync(join(tmpdir(), "ioclens-retro-smoke-"));
try {
  const path = join(dir, "retroscan.db");
  const value = (type: StoredValue["type"], v: string, day: number): StoredValue => ({ type, value: v, day, count: 1, firstAt: day * 86_400_000, lastAt: day * 86_400_000, sourceId: "default", rule: "RE", client: "10.0.0.1", excerpt: "e" });
  const store = await RetroStore.open(path, 2 ** 30);
  store.write([value("DOMAIN", "a.parent.example", 100), value("IP", "203.0.113.9", 100), value("DOMAIN", "a.parent.example", 100), value("DOMAIN", "old.example", 90)]);
  check(store.row(1)?.count === 2, "a repeated value is folded into one row with count 2");
  // Counts of 600 known rows: applied through the 250-row UPDATE … FROM (VALUES …) and one at a time.
  const many = Array.from({ length: 600 }, (_, i) => value("DOMAIN", `m${i}.example`, 100));
  store.write(many);
  store.write(many.map((v, i) => ({ ...v, count: 1 + (i % 3) })));
  const counted = Array.from({ length: 600 }, (_, i) => store.row(4 + i)?.count === 2 + (i % 3)).filter(Boolean).length;
  check(counted === 600, `counts of 600 known rows are applied to each row, got ${counted} right`);
  const feed = { name: "f", category: "c", confidence: 100, allowList: false, loadedAt: 0, indicatorLifetimeMinutes: 0 };
  const load = (values: [IndicatorKind, string][], baseline: Float64Array | undefined) => {
    const index = new IndicatorIndex();
    const diff = new IndicatorDiff(index, baseline);
    const id = diff.addFeed(feed);
    for (const [kind, v] of values) diff.add(id, { kind, value: v, fields: [] });
    index.compact();
    return { index, changes: diff.changes() };
  };
  const base = load([["DOMAIN", "before.example"]], undefined).changes.fingerprints;
  const next = load([["DOMAIN", "before.example"], ["DOMAIN", "parent.example"], ["IP", "203.0.113.0/24"]], base);
  const sent: string[] = [];
  const deps = { now: 101 * 86_400_000, index: next.index, render: (_row: unknown, r: { indicator: string }) => r.indicator, send: (l: string) => sent.push(l), yieldToLoop: async () => {}, key: "k" };
  const result = await runRetroScan(store, next.changes, deps);
  check(result.hits === 2 && sent.sort().join() === "203.0.113.0/24,parent.example", `a retro run finds the domain parent and the CIDR, got ${JSON.stringify(sent)}`);
  store.close();
  const again = await RetroStore.open(path, 2 ** 30);
  check((await runRetroScan(again, next.changes, deps)).hits === 0, "nothing is reported twice after a reopen");
  check(again.prune(100, 5).rows === 1, "retention drops the day out of the window");
  again.close();
  const damaged = join(dir, "damaged.db");
  copyFileSync(fileURLToPath(new URL("../test/fixtures/retroscan/damaged.db", import.meta.url)), damaged);
  const corrupt = await RetroStore.open(damaged, 2 ** 30).then((s) => (s.close(), "opened"), (e) => sqliteFault(e));
  check(corrupt === "corrupt", `a damaged file is corrupt, got ${corrupt}`);
  const small = await RetroStore.open(join(dir, "small.db"), 64 * 1024);
  let full = "written";
  try {
    small.write(Array.from({ length: 2000 }, (_, i) => ({ ...value("DOMAIN", `h${i}.example`, 100), excerpt: "x".repeat(200) })));
  } catch (e) {
    full = sqliteFault(e);
  }
  small.close();
  check(full === "full", `a flush past the hard limit is full, got ${full}`);
  const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<smoke>");
  const problems: string[] = [];
  const settings = { enabled: true, database: join(dir, "service.db"), retentionDays: 30, maxBytes: 2 ** 30, excerptLength: 8, values: "all" as const, batchLimit: 100, keyMemoryBytes: 2 ** 30 };
  const retro = await RetroScan.start(settings, config, { now: Date.now, log: (level, message) => level === "error" && problems.push(message), alert: (name) => problems.push(name), send: () => {} });
  retro.retain([{ slot: 0, type: "DOMAIN", value: "seen.example" }], "an event", "default", ["RE_DOMAIN"], "10.0.0.1", Date.now());
  await retro.flush();
  const rows = retro.status().stored.rows;
  await retro.close();
  check(rows === 1 && problems.length === 0, `the writer thread stores a value, got ${rows} row(s), problems ${JSON.stringify(problems)}`);
  console.log(`retroscan store smoke (${runtimeName}): ok`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
