/**
 * /status for an operator (issue 13 #11), through the built binary: which config runs, where it
 * listens, each feed's file time and load time, the last reload and how it ended; /health stays
 * 200 while lookups work but says `degraded` with the reason when the output target is down.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureBinary, getJson, ROOT, serviceConfigText, startServe } from "../_support/ioclens_binary.ts";

const root = mkdtempSync(join(tmpdir(), "ioclens-e2e-status-"));

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FEED = "Demo_IP_Reputation_Data_Feed.json";

/** Polls /health until `accept` holds; polling is the condition, the endpoint gives no other sign. */
async function healthWhen(port: number, accept: (body: { status: string }) => boolean): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await getJson(port, "/health").catch(() => undefined);
    if (answer && accept(answer.body as { status: string })) return answer;
    if (Date.now() > deadline) throw new Error(`/health never matched: last ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("ioclens serve: /status and /health for an operator", () => {
  test("names the config, the listen addresses, each feed's file and load time and the last reload; a down output degrades /health", async () => {
    const dir = mkdtempSync(join(root, "svc-"));
    const bases = join(dir, "bases");
    mkdirSync(bases);
    const feed = join(bases, FEED);
    copyFileSync(resolve(ROOT, "src/config/defaults", FEED), feed);
    const fileTime = new Date("2026-01-02T03:04:05.000Z");
    utimesSync(feed, fileTime, fileTime);
    const { text, ports } = await serviceConfigText("file:/dev/full", (xml) =>
      xml
        .replace(/<Feeds [^>]*>[\s\S]*<\/Feeds>/, `<Feeds update_frequency="0"><Feed filename="${FEED}" format="kaspersky" category="KL_IP_Reputation"/></Feeds>`)
        .replace("<Bases>&lt;embedded&gt;</Bases>", `<Bases>${bases}</Bases>`)
        .replace("<EventSendingRetriesTimeout>10</EventSendingRetriesTimeout>", "<EventSendingRetriesTimeout>0</EventSendingRetriesTimeout>"),
    );
    const config = join(dir, "kl_feed_service.conf");
    writeFileSync(config, text);
    const startedAt = Date.now();
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir);
    await serve.waitReady(ports.input);

    // The service alerts go to file:/dev/full, which takes nothing: degraded, but still 200.
    expect(await healthWhen(ports.status, (b) => b.status !== "ok")).toEqual({
      status: 200,
      body: { status: "degraded", reason: "Output target file:/dev/full is down: ENOSPC: no space left on device, write" },
    });
    const first = (await getJson(ports.status, "/status")).body as Record<string, unknown> & { feeds: Record<string, unknown>[] };
    expect({ config: first.config, listen: first.listen, feeds: first.feeds, lastReload: first.lastReload }).toEqual({
      config,
      listen: { events: `127.0.0.1:${ports.input}`, status: `http://127.0.0.1:${ports.status}` },
      feeds: [{ name: FEED, records: expect.any(Number), skipped: 0, loadMs: expect.any(Number), fileTime: fileTime.toISOString(), loadedAt: expect.any(String) }],
      lastReload: undefined,
    });
    expect(Date.parse(String(first.feeds[0]!.loadedAt))).toBeGreaterThanOrEqual(startedAt - 1000);

    // A broken feed file: the reload is refused, the feed in use (and its file time) stays.
    writeFileSync(feed, "[{");
    const reloaded = await fetch(`http://127.0.0.1:${ports.status}/reload`, { method: "POST" });
    expect(reloaded.status).toBe(500);
    const second = (await getJson(ports.status, "/status")).body as Record<string, unknown>;
    expect({ feeds: second.feeds, lastReload: second.lastReload }).toEqual({
      feeds: first.feeds,
      lastReload: { at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), ok: false, error: expect.stringContaining(`${FEED}: `) },
    });
    // The feed is named once, not "X.json: X.json: …".
    expect(String((second.lastReload as { error: string }).error)).not.toContain(`${FEED}: ${FEED}`);

    // Fixed: the reload is applied and the new file time shows.
    copyFileSync(resolve(ROOT, "src/config/defaults", FEED), feed);
    const fixedTime = new Date("2026-02-03T04:05:06.000Z");
    utimesSync(feed, fixedTime, fixedTime);
    expect((await fetch(`http://127.0.0.1:${ports.status}/reload`, { method: "POST" })).status).toBe(200);
    const third = (await getJson(ports.status, "/status")).body as { feeds: { fileTime: string }[]; lastReload: unknown };
    expect({ fileTime: third.feeds[0]!.fileTime, lastReload: third.lastReload }).toEqual({
      fileTime: fixedTime.toISOString(),
      lastReload: { at: expect.any(String), ok: true },
    });
  });
});
