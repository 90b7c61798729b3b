import { describe, expect, test } from "bun:test";
import { createReadStream } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceConfig } from "../../src/config/types.ts";
import { feedSourceFor } from "../../src/feeds/feed_source_for.ts";
import type { FeedInput } from "../../src/feeds/feed_reader.ts";
import { httpFetch } from "../../src/runtime/http_fetch.ts";
import { startLookupService, type LookupService } from "../../src/service/lookup_service.ts";
import { metricsText } from "../../src/service/metrics_text.ts";
import { waitFor } from "../_support/child_processes.ts";
import { downloadConfig, downloadConfigText } from "../_support/download_config.ts";
import { startCollector } from "../_support/test_service.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { servedWithEtag, startFeedServer, type FeedServer } from "../_support/feed_server.ts";
import { testCleanup } from "../_support/test_cleanup.ts";

const FEED = "192.0.2.1\n198.51.100.7\n";

const cleanup = testCleanup();

async function server(): Promise<FeedServer> {
  return cleanup.use(await startFeedServer());
}

function bases(): Promise<string> {
  return cleanup.tempDir("ioclens-downloads-");
}

/** A service like `serve` runs it: feeds from the bases folder, downloads over real HTTP. */
async function start(config: ServiceConfig, clock: { now: number } = { now: Date.now() }): Promise<LookupService & { logs: string[] }> {
  const logs: string[] = [];
  const service = await startLookupService(config, {
    now: () => clock.now,
    log: (level, message) => logs.push(`${level} ${message}`),
    openFeed: async (current, filename): Promise<FeedInput> => {
      const path = join(current.service.basesDir, filename);
      await stat(path);
      return createReadStream(path) as AsyncIterable<Uint8Array>;
    },
    feedSource: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: {}, userAgent: "ioclens-test" }),
    sleep: async () => {},
  });
  cleanup.defer(() => service.close());
  await service.initialDownloads;
  return Object.assign(service, { logs });
}

async function detected(service: LookupService, value: string): Promise<boolean> {
  const [answer] = await service.lookup([value]);
  return answer?.result === "detected";
}

const feed = (url: string, attributes = 'refresh="1" retries="0"') => `<Feed url="${url}" filename="ips.txt" format="lines" category="Test" ${attributes}/>`;

describe("a service with a downloaded feed", () => {
  test("starts from the copy on disk at once and downloads afterwards: a server that never answers holds nothing back", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", () => {});
    await writeFile(join(dir, "ips.txt"), FEED);
    const logs: string[] = [];
    const service = await startLookupService(downloadConfig(dir, feed(s.url("/ips.txt"))), {
      now: Date.now,
      log: (level, message) => logs.push(`${level} ${message}`),
      openFeed: async (current, filename) => createReadStream(join(current.service.basesDir, filename)) as AsyncIterable<Uint8Array>,
      feedSource: (f, settings) => feedSourceFor(f, settings, { fetch: httpFetch, env: {}, userAgent: "ioclens-test" }),
      sleep: async () => {},
    });
    cleanup.defer(() => service.close());
    await waitFor(() => s.requests.length === 1, "the download to be asked");
    expect(await detected(service, "198.51.100.7")).toBe(true);
    expect(logs).toContain(`info feed ips.txt: starting from the copy on disk; refreshing it from ${s.url("/ips.txt")}`);
    await s.close();
    const [report] = await service.initialDownloads;
    expect(report?.error).toBeDefined();
    expect(await detected(service, "198.51.100.7")).toBe(true);
  });


  test("downloads it at start, shows the download in /status and /metrics, and swaps in a changed feed", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const clock = { now: Date.parse("2026-12-04T10:00:00Z") };
    const service = await start(downloadConfig(dir, feed(s.url("/ips.txt"))), clock);
    expect(await detected(service, "198.51.100.7")).toBe(true);
    const [status] = service.status().feeds;
    expect(status).toEqual({
      name: "ips.txt",
      records: 2,
      skipped: 0,
      loadMs: expect.any(Number),
      loadedAt: "2026-12-04T10:00:00.000Z",
      download: { source: s.url("/ips.txt"), lastAttempt: "2026-12-04T10:00:00.000Z", lastSuccess: "2026-12-04T10:00:00.000Z", ageSeconds: 0, httpStatus: 200, bytes: FEED.length, records: 2, etag: '"v1"', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const metrics = metricsText(service.status());
    expect(metrics).toContain('ioclens_feed_download_http_status{feed="ips.txt"} 200');
    expect(metrics).toContain(`ioclens_feed_download_info{feed="ips.txt",source="${s.url("/ips.txt")}",etag="\\"v1\\""} 1`);
    expect(metrics).toContain('ioclens_feed_download_age_seconds{feed="ips.txt"} 0');

    // Not due yet: nothing asked.
    expect(await service.refreshDownloads()).toEqual([]);
    s.route("/ips.txt", servedWithEtag(`${FEED}203.0.113.9\n`, '"v2"'));
    clock.now += 60_000;
    expect(await service.refreshDownloads()).toEqual([{ name: "ips.txt", changed: true }]);
    expect(await detected(service, "203.0.113.9")).toBe(true);
    expect(service.status().feeds[0]?.records).toBe(3);
    clock.now += 60_000;
    expect(await service.refreshDownloads()).toEqual([{ name: "ips.txt", changed: false }]);
    expect(s.requests.map((r) => r.headers["if-none-match"])).toEqual([undefined, '"v1"', '"v2"']);
  });

  test("a failed refresh keeps serving the last good copy, shows why and sends KL_ALERT_FailedToUpdateFeed", async () => {
    const s = await server();
    const dir = await bases();
    await using siem = await startCollector();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const clock = { now: Date.now() };
    const text = downloadConfigText(dir, feed(s.url("/ips.txt"))).replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${siem.port}</ConnectionString>`);
    const service = await start(parseServiceConfig(text, "<test>").config, clock);
    s.route("/ips.txt", (_req, res) => res.writeHead(500).end());
    clock.now += 60_000;
    expect(await service.refreshDownloads()).toEqual([{ name: "ips.txt", changed: false, error: "HTTP 500 Internal Server Error: expected 200 or 304" }]);
    expect(await detected(service, "198.51.100.7")).toBe(true);
    const [status] = service.status().feeds;
    expect([status?.records, status?.error, status?.download?.httpStatus, status?.download?.error, status?.download?.ageSeconds]).toEqual([2, undefined, 500, "HTTP 500 Internal Server Error: expected 200 or 304", 60]);
    expect(metricsText(service.status())).toContain('ioclens_feed_download_failed{feed="ips.txt"} 1');
    await siem.until((lines) => lines.some((l) => l.includes("KL_ALERT_FailedToUpdateFeed")));
    expect(siem.lines.filter((l) => l.includes("KL_ALERT_FailedToUpdateFeed"))).toEqual([
      expect.stringMatching(new RegExp(`alert=KL_ALERT_FailedToUpdateFeed feed=ips.txt error=download from ${s.url("/ips.txt")} failed: HTTP 500 Internal Server Error: expected 200 or 304$`)),
    ]);
  });

  test("a download that loads badly is removed, the copy and its indicators stay, and the other feeds still reload", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    await writeFile(join(dir, "local.txt"), "203.0.113.77\n");
    const clock = { now: Date.now() };
    const service = await start(downloadConfig(dir, `${feed(s.url("/ips.txt"))}\n<Feed filename="local.txt" format="lines" category="Local"/>`), clock);
    s.route("/ips.txt", servedWithEtag("<html>\n<body>Please log in</body>\n</html>\n", '"login"'));
    await writeFile(join(dir, "local.txt"), "203.0.113.78\n");
    clock.now += 60_000;
    const [report] = await service.refreshDownloads();
    expect(report?.error).toStartWith("the download is mostly not indicators: found 1 records and 2 skipped");
    expect(await detected(service, "198.51.100.7")).toBe(true);
    expect(await Bun.file(join(dir, "ips.txt")).text()).toBe(FEED);
    expect(await Bun.file(join(dir, "ips.txt.download")).exists()).toBe(false);
    const [ips, local] = service.status().feeds;
    expect([ips?.records, ips?.error, ips?.download?.error?.startsWith("the download is mostly not indicators"), ips?.download?.etag]).toEqual([2, undefined, true, '"login"']);
    // The failed download did not stop the reload from taking the local feed's new contents.
    expect(local?.records).toBe(1);
    expect(await detected(service, "203.0.113.78")).toBe(true);
    expect(service.logs.filter((l) => l.startsWith("error feed ips.txt"))).toHaveLength(1);
  });

  test("a reload asks every downloaded feed at once, due or not", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const service = await start(downloadConfig(dir, feed(s.url("/ips.txt"), 'refresh="1440"')));
    s.route("/ips.txt", servedWithEtag("203.0.113.9\n", '"v2"'));
    expect(await service.reload()).toEqual({ ok: true });
    expect(await detected(service, "203.0.113.9")).toBe(true);
    expect(await detected(service, "198.51.100.7")).toBe(false);
  });

  test("started with no network, it serves the last good copy and says so; with no copy the feed fails and the rest load", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const url = s.url("/ips.txt");
    const first = await start(downloadConfig(dir, feed(url)));
    const lastSuccess = first.status().feeds[0]?.download?.lastSuccess;
    await first.close();
    await s.close();
    await writeFile(join(dir, "local.txt"), "203.0.113.77\n");
    const config = downloadConfig(dir, `${feed(url)}\n${feed(url.replace("/ips.txt", "/never.txt"), 'filename="never.txt" retries="0"').replace('filename="ips.txt" ', "")}\n<Feed filename="local.txt" format="lines" category="Local"/>`);
    const offline = await start(config);
    expect(await detected(offline, "198.51.100.7")).toBe(true);
    expect(await detected(offline, "203.0.113.77")).toBe(true);
    expect(offline.logs.filter((l) => l.startsWith("error feed ips.txt"))).toEqual([
      expect.stringMatching(new RegExp(`^error feed ips.txt: download from ${url} failed: cannot connect: .*; the last good copy stays in use \\(downloaded ${lastSuccess}\\)$`)),
    ]);
    const [ips, never, local] = offline.status().feeds;
    expect([ips?.records, ips?.download?.lastSuccess, ips?.download?.error?.startsWith("cannot connect")]).toEqual([2, lastSuccess, true]);
    expect(never?.error).toStartWith("never.txt: no copy on disk: cannot connect");
    expect(local?.records).toBe(1);
    // The feed without a copy does not hold back reloads of the others.
    await writeFile(join(dir, "local.txt"), "203.0.113.78\n");
    expect(await offline.reload()).toEqual({ ok: true });
    expect(await detected(offline, "203.0.113.78")).toBe(true);
  });

  test("KL_ALERT_OutdatedFeed counts from the last successful download: a 304 keeps a feed fresh, a dead server does not", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const clock = { now: Date.now() };
    const config = downloadConfig(dir, feed(s.url("/ips.txt"), 'refresh="60" retries="0" outdated_alert_period="2"'));
    const service = await start(config, clock);
    clock.now += 90 * 60_000;
    await service.refreshDownloads();
    clock.now += 90 * 60_000;
    expect(await service.checkOutdatedFeeds()).toEqual([]);
    s.route("/ips.txt", (_req, res) => res.writeHead(503).end());
    await service.refreshDownloads();
    expect(await service.checkOutdatedFeeds()).toEqual([]);
    clock.now += 61 * 60_000;
    await service.refreshDownloads();
    expect(await service.checkOutdatedFeeds()).toEqual(["ips.txt"]);
  });
});
