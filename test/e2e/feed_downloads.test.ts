/**
 * A feed from a URL through `bun src/main.ts serve`, where the user sees it: downloaded at start
 * and looked up over REST, a failing server shown in /status while the last good copy serves,
 * and a restart with the server gone that starts from the copy and says so in its log. The
 * header holding an API key never appears in the log or /status.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, killChildren, spawnIoclens, tempDir, waitFor, type Child } from "../_support/child_processes.ts";
import { downloadConfigText } from "../_support/download_config.ts";
import { servedWithEtag, startFeedServer } from "../_support/feed_server.ts";

afterEach(killChildren);

const FEED = "192.0.2.1\n198.51.100.7\n";
const SECRET = "KEY-4f1b9c";

interface FeedView {
  name: string;
  records: number;
  error?: string;
  download?: { source: string; httpStatus?: number; records?: number; etag?: string; error?: string; lastSuccess?: string };
}

async function feedsOf(port: number): Promise<FeedView[] | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(1000) });
    return response.ok ? ((await response.json()) as { feeds: FeedView[] }).feeds : undefined;
  } catch {
    return undefined;
  }
}

async function lookup(port: number, value: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/api/1.0/lookup`, { method: "POST", body: JSON.stringify([{ object: value }]) });
  return ((await response.json()) as { result: string }[])[0]!.result;
}

async function serve(dir: string, statusPort: number): Promise<Child> {
  const child = spawnIoclens(["serve", "-c", join(dir, "kl_feed_service.conf")]);
  await waitFor(async () => (await feedsOf(statusPort)) !== undefined || child.code() !== undefined, "the status endpoint");
  expect(child.code()).toBeUndefined();
  return child;
}

describe("ioclens serve with <Feed url=…>", () => {
  test("downloads at start, keeps the copy through a failing server and a restart without it, and never shows the key", async () => {
    await using dir = await tempDir("ioclens-e2e-url-");
    await using feeds = await startFeedServer();
    feeds.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const statusPort = await freePort();
    const url = feeds.url("/ips.txt");
    const feed = `<Feed url="${url}" format="lines" category="Test" retries="0"><Header name="X-Api-Key">${SECRET}</Header></Feed>`;
    writeFileSync(join(dir.path, "kl_feed_service.conf"), downloadConfigText(dir.path, feed, { statusListen: `127.0.0.1:${statusPort}` }));
    const name = "127.0.0.1_ips.txt";

    const first = await serve(dir.path, statusPort);
    // The service listens at once and downloads right after: the feed arrives by a reload.
    await waitFor(async () => (await feedsOf(statusPort))?.[0]?.records === 2, "the feed downloaded and loaded");
    expect(await lookup(statusPort, "198.51.100.7")).toBe("detected");
    const [started] = (await feedsOf(statusPort))!;
    expect([started?.name, started?.records, started?.download?.source, started?.download?.httpStatus, started?.download?.etag]).toEqual([name, 2, url, 200, '"v1"']);
    expect(feeds.requests[0]!.headers["x-api-key"]).toBe(SECRET);

    // The server breaks: a reload keeps the copy, /status says why.
    feeds.route("/ips.txt", (_req, res) => res.writeHead(500).end());
    const reload = await fetch(`http://127.0.0.1:${statusPort}/reload`, { method: "POST" });
    expect(reload.status).toBe(200);
    const [failing] = (await feedsOf(statusPort))!;
    expect([failing?.records, failing?.download?.httpStatus, failing?.download?.error]).toEqual([2, 500, "HTTP 500 Internal Server Error: expected 200 or 304"]);
    expect(await lookup(statusPort, "198.51.100.7")).toBe("detected");
    await waitFor(() => first.stderr().includes("expected 200 or 304"), "the failure in the log");
    first.process.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.stderr()).toContain(`feed ${name}: download from ${url} failed: HTTP 500 Internal Server Error: expected 200 or 304; the last good copy stays in use (downloaded `);

    // No server at all: the restart starts from the copy on disk and says so.
    await feeds.close();
    const second = await serve(dir.path, statusPort);
    expect(await lookup(statusPort, "198.51.100.7")).toBe("detected");
    await waitFor(async () => (await feedsOf(statusPort))?.[0]?.download?.error !== undefined, "the failed download in /status");
    const [offline] = (await feedsOf(statusPort))!;
    expect([offline?.records, offline?.error, offline?.download?.error?.startsWith("cannot connect: ")]).toEqual([2, undefined, true]);
    expect(offline?.download?.lastSuccess).toBe(started?.download?.lastSuccess);
    expect(second.stderr()).toContain(`feed ${name}: starting from the copy on disk downloaded ${started?.download?.lastSuccess}; refreshing it from ${url}`);
    expect(second.stderr()).toMatch(new RegExp(`feed ${name}: download from ${url} failed: cannot connect: .*; the last good copy stays in use \\(downloaded `));
    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const said = first.stderr() + first.stdout() + second.stderr() + second.stdout() + JSON.stringify([started, failing, offline]);
    expect(said).not.toContain(SECRET);
  });
});
