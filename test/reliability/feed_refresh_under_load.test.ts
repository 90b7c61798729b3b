/**
 * Reload under load: a downloaded feed changes and is refreshed again and again while four
 * clients stream events. Every line gets its finished event, and a stable indicator present in
 * every version of the feed is detected on every line: no swap loses a line or a detection.
 */
import { describe, expect, test } from "bun:test";
import { createReadStream } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { feedSourceFor } from "../../src/feeds/feed_source_for.ts";
import { httpFetch } from "../../src/runtime/http_fetch.ts";
import { startLookupService } from "../../src/service/lookup_service.ts";
import { tempDir, waitFor } from "../_support/child_processes.ts";
import { downloadConfig } from "../_support/download_config.ts";
import { servedWithEtag, startFeedServer } from "../_support/feed_server.ts";
import { testCleanup } from "../_support/test_cleanup.ts";

const cleanup = testCleanup();

const STABLE = "198.51.100.7";
const CLIENTS = 4;
const CHUNKS = 12;
const LINES_PER_CHUNK = 400;

/** Version `v` of the feed: the stable IP and 5000 others that differ per version. */
function feedVersion(v: number): string {
  const lines = [STABLE];
  for (let i = 0; i < 5000; i++) lines.push(`100.${64 + (v % 2)}.${i >> 8}.${i & 255}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Streams CHUNKS chunks of lines over ReplyBack, waiting before each chunk until `reloads()` has
 * grown since the last one, so every chunk overlaps a refresh. Resolves with the counts read.
 */
async function stream(port: number, client: number, reloads: () => number): Promise<{ finished: number; detected: number }> {
  const socket = createConnection({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const counts = { finished: 0, detected: 0 };
  let carry = "";
  socket.setEncoding("utf8").on("data", (text: string) => {
    const parts = (carry + text).split("\n");
    carry = parts.pop()!;
    for (const line of parts) {
      if (line.includes("LookupFinished")) counts.finished++;
      else if (line.includes(`matchedIndicator=${STABLE}`)) counts.detected++;
    }
  });
  const total = CHUNKS * LINES_PER_CHUNK;
  const done = waitFor(() => counts.finished >= total || socket.destroyed, `client ${client}: ${total} finished events`, 60_000);
  socket.write("X-KF-ReplyBack");
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    const seen = reloads();
    const lines: string[] = [];
    for (let i = 0; i < LINES_PER_CHUNK; i++) lines.push(`client=${client} n=${chunk * LINES_PER_CHUNK + i} src=${STABLE} dst=100.64.0.1`);
    await new Promise<void>((resolve) => socket.write(`${lines.join("\n")}\n`, () => resolve()));
    await waitFor(() => reloads() > seen, "a refresh between chunks", 30_000);
  }
  await done;
  socket.end();
  return counts;
}

describe("feed refresh under load", () => {
  test("4 clients stream while the downloaded feed changes and is swapped in; no line and no detection is lost", async () => {
    await using feeds = await startFeedServer();
    await using dir = await tempDir("ioclens-refresh-load-");
    let version = 0;
    feeds.route("/ips.txt", servedWithEtag(feedVersion(0), '"v0"'));
    const config = downloadConfig(dir.path, `<Feed url="${feeds.url("/ips.txt")}" filename="ips.txt" format="lines" category="Test" indicator_lifetime="0"/>`);
    const service = await startLookupService(config, {
      now: Date.now,
      log: () => {},
      openFeed: async (current, filename) => createReadStream(join(current.service.basesDir, filename)) as AsyncIterable<Uint8Array>,
      feedSource: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: {}, userAgent: "ioclens-test" }),
      sleep: async () => {},
    });
    cleanup.defer(() => service.close());
    await service.initialDownloads;

    let reloads = 0;
    let streaming = true;
    const refresher = (async () => {
      while (streaming) {
        version++;
        feeds.route("/ips.txt", servedWithEtag(feedVersion(version), `"v${version}"`));
        const result = await service.reload();
        if (!result.ok) throw new Error(`reload failed: ${result.error}`);
        reloads++;
      }
    })();
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, client) => stream(service.port, client, () => reloads)));
    streaming = false;
    await refresher;

    const total = CHUNKS * LINES_PER_CHUNK;
    expect(results).toEqual(Array.from({ length: CLIENTS }, () => ({ finished: total, detected: total })));
    expect(reloads).toBeGreaterThanOrEqual(CHUNKS);
    // Every refresh downloaded a new version (no 304), and the last one is what is served.
    expect(feeds.requests.filter((r) => r.headers["if-none-match"] !== undefined).length).toBeGreaterThanOrEqual(CHUNKS);
    expect(service.status().feeds[0]?.download?.etag).toBe(`"v${version}"`);
    // With worker threads (the default Workers is the number of cores) counters reach /status
    // every 50 ms, so the last answers can arrive before their count does.
    await waitFor(() => service.status().events.total >= CLIENTS * total, "every event counted in /status", 10_000);
    expect(service.status().events.total).toBe(CLIENTS * total);
  }, 120_000);
});
