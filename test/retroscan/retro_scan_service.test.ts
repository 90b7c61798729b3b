import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSyslogDate } from "../../src/events/format_syslog_date.ts";
import { createStatusApp } from "../../src/service/status_app.ts";
import { metricsText } from "../../src/service/metrics_text.ts";
import { openSqlite } from "../../src/runtime/open_sqlite.ts";
import { REPO, waitFor } from "../_support/child_processes.ts";
import { converse, startCollector, startTestService, testConfig } from "../_support/test_service.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "retro-service-"));
  dirs.push(dir);
  return join(dir, "retroscan.db");
}

/** The default config with RetroScan on at `database`, detections to `outputPort`, and a local feed. */
function retroConfig(database: string, outputPort: number, retro = "") {
  return testConfig((xml) =>
    xml
      .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${outputPort}</ConnectionString>`)
      .replace("</Feeds>", `<Feed filename="local.txt" format="lines" category="Local_Bad" indicator_lifetime="0"/></Feeds>`)
      .replace("</ServiceSettings>", `<RetroScan enabled="true" database="${database}" ${retro}/></ServiceSettings>`),
  );
}

const EVENT = "X-KF-ReplyBack";
const at = (ms: number) => formatSyslogDate(ms);

describe("RetroScan in the service", () => {
  test("an indicator added to a feed after the event reaches the output once, with the original event time", async () => {
    const database = tempDb();
    await using siem = await startCollector();
    const feeds = new Map([["local.txt", "known-before.example\n"]]);
    let clock = Date.UTC(2026, 11, 1, 10, 0, 0);
    const eventTime = clock;
    await using service = await startTestService(retroConfig(database, siem.port), { extraFeeds: feeds, now: () => clock });
    // Not yet in any feed: ReplyBack answers with the finished event only.
    const answer = await converse(service.port, [`${EVENT}src=10.1.1.1 host=c2.late.example user=bob\n`], 1);
    expect(answer.some((l) => l.includes("c2.late.example"))).toBe(false);
    clock += 3 * 86_400_000;
    feeds.set("local.txt", "known-before.example\nlate.example\n");
    expect(await service.reload()).toEqual({ ok: true });
    await siem.until((lines) => lines.some((l) => l.includes("retroscan=true")));
    await waitFor(() => service.status().retroScan?.runs === 2, "the retro run after the reload");
    const retro = siem.lines.filter((l) => l.includes("retroscan=true"));
    expect(retro).toEqual([expect.stringContaining(`matchedIndicator=late.example category=Local_Bad`)]);
    expect(retro[0]).toContain(`domain=c2.late.example`);
    expect(retro[0]).toEndWith(` retroscan=true event_time=${at(eventTime)}`);
    // Reloading again finds nothing new and reports nothing twice.
    expect(await service.reload()).toEqual({ ok: true });
    await waitFor(() => service.status().retroScan?.runs === 3, "the second retro run");
    expect(siem.lines.filter((l) => l.includes("retroscan=true"))).toHaveLength(1);
    expect(service.status().retroScan).toMatchObject({ state: "on", hits: 1, runs: 3, dropped: 0, lastRun: { indicators: 0, hits: 0 } });
  });

  test("a restart keeps the stored values and the reports: the new indicator is found at start, once", async () => {
    const database = tempDb();
    await using siem = await startCollector();
    const feeds = new Map([["local.txt", "known-before.example\n"]]);
    const config = retroConfig(database, siem.port);
    {
      await using first = await startTestService(config, { extraFeeds: feeds });
      await converse(first.port, [`${EVENT}url=http://restart.example/dropper.exe\n`], 1);
    }
    feeds.set("local.txt", "known-before.example\nrestart.example\n");
    {
      await using second = await startTestService(config, { extraFeeds: feeds });
      await siem.until((lines) => lines.some((l) => l.includes("retroscan=true")));
      await waitFor(() => second.status().retroScan?.runs === 1, "the retro run at start");
      expect(second.status().retroScan?.lastRun).toMatchObject({ indicators: 1, hits: 1 });
    }
    {
      await using third = await startTestService(config, { extraFeeds: feeds });
      await waitFor(() => third.status().retroScan?.runs === 1, "the run of the third start");
      expect(third.status().retroScan?.lastRun).toMatchObject({ indicators: 0, hits: 0 });
    }
    expect(siem.lines.filter((l) => l.includes("retroscan=true"))).toEqual([expect.stringContaining("matchedIndicator=restart.example")]);
  });

  test("POST /retroscan reloads and answers with the run; /metrics shows it", async () => {
    const database = tempDb();
    await using siem = await startCollector();
    const feeds = new Map([["local.txt", "known-before.example\n"]]);
    await using service = await startTestService(retroConfig(database, siem.port), { extraFeeds: feeds });
    await converse(service.port, [`${EVENT}ip=198.51.100.23\n`], 1);
    feeds.set("local.txt", "known-before.example\n198.51.100.0/24\n");
    const app = createStatusApp({ getStatus: () => service.status(), reload: () => service.reload(), retroScan: () => service.retroScan(), lookup: (v) => service.lookup(v), isLoopback: true, token: "s3cret" });
    expect((await app.request("/retroscan", { method: "POST" })).status).toBe(401);
    const res = await app.request("/retroscan", { method: "POST", headers: { authorization: "Bearer s3cret" } });
    expect(await res.json()).toEqual({ ok: true, run: { indicators: 1, checked: 1, hits: 1, resumedAfter: 0 } });
    await siem.until((lines) => lines.some((l) => l.includes("retroscan=true")));
    const metrics = metricsText(service.status());
    expect(metrics).toContain("\nioclens_retroscan_enabled 1\n");
    expect(metrics).toContain("\nioclens_retroscan_last_run_hits 1\n");
    expect(metrics).toContain("\nioclens_retroscan_last_run_values_checked 1\n");
    expect(metrics).toContain("\nioclens_retroscan_hits_total 1\n");
    expect((await app.request("/retroscan", { headers: { authorization: "Bearer s3cret" } })).status).toBe(405);
  });

  test("POST /retroscan answers 404 when RetroScan is off", async () => {
    await using service = await startTestService();
    const app = createStatusApp({ getStatus: () => service.status(), reload: () => service.reload(), retroScan: () => service.retroScan(), lookup: (v) => service.lookup(v), isLoopback: true });
    const res = await app.request("/retroscan", { method: "POST" });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 404, body: { error: 'RetroScan is not enabled: set ServiceSettings > RetroScan enabled="true"' } });
  });
});

describe("RetroScan faults in the service", () => {
  const faults: [string, (path: string) => Promise<{ close(): void } | undefined>, string][] = [
    ["corrupt", async (path) => (copyFileSync(join(REPO, "test/fixtures/retroscan/damaged.db"), path), undefined), "is corrupt"],
    [
      "locked",
      async (path) => {
        const holder = await openSqlite(path);
        holder.exec("PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE held (x); BEGIN EXCLUSIVE; INSERT INTO held VALUES (1)");
        return holder;
      },
      "is locked by another process",
    ],
  ];

  test.each(faults)("a %s database turns RetroScan off with an alert and one log line; lookups go on", async (kind, prepare, words) => {
    const database = tempDb();
    const holder = await prepare(database);
    try {
      await using siem = await startCollector();
      await using service = await startTestService(retroConfig(database, siem.port));
      const alert = await siem.until((lines) => lines.some((l) => l.includes("KL_ALERT_RetroScanDisabled"))).then(() => siem.lines.find((l) => l.includes("KL_ALERT_RetroScanDisabled"))!);
      expect(alert).toContain(`reason=${kind}`);
      expect(service.logs.filter((l) => l.includes("RetroScan disabled"))).toEqual([expect.stringContaining(`error RetroScan disabled: database ${database} ${words}`)]);
      expect(service.status().retroScan).toMatchObject({ state: "disabled", error: expect.stringContaining(kind) });
      const answer = await converse(service.port, [`${EVENT}url=http://fakess123.nu\n`], 1);
      expect(answer.some((l) => l.includes("matchedIndicator=fakess123.nu"))).toBe(true);
    } finally {
      holder?.close();
    }
  });

  test("a flush that outgrows the size cap (database full) turns RetroScan off; lookups go on", async () => {
    const database = tempDb();
    await using siem = await startCollector();
    await using service = await startTestService(retroConfig(database, siem.port, `storage_max_size="64K" excerpt_length="4000"`));
    const events = Array.from({ length: 400 }, (_, i) => `host=h${i}.full.example ${"x".repeat(3000)}`).join("\n");
    await converse(service.port, [`${EVENT}${events}\n`], 400);
    await siem.until((lines) => lines.some((l) => l.includes("KL_ALERT_RetroScanDisabled")));
    expect(service.status().retroScan).toMatchObject({ state: "disabled", error: expect.stringContaining("full") });
    const answer = await converse(service.port, [`${EVENT}url=http://fakess123.nu\n`], 1);
    expect(answer.some((l) => l.includes("matchedIndicator=fakess123.nu"))).toBe(true);
  });
});
