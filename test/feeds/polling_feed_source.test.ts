import { describe, expect, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FeedError } from "../../src/feeds/feed_error.ts";
import { FeedHttpError } from "../../src/feeds/_feed_http.ts";
import { PollingFeedSource, type FeedPoll } from "../../src/feeds/polling_feed_source.ts";
import { testCleanup } from "../_support/test_cleanup.ts";

const cleanup = testCleanup();

function folder(): Promise<string> {
  return cleanup.tempDir("ioclens-polling-");
}

const NEW: FeedPoll = { changed: true, text: '{"objects":[]}\n', cursor: "2026-12-04T00:00:00Z", received: 2, pages: 1, removed: 1, dropped: { revoked: 1 } };

describe("PollingFeedSource", () => {
  test("hands the last copy to the poll and writes what it returns to the target, with the cursor as state", async () => {
    const dir = await folder();
    await writeFile(join(dir, "copy.json"), "LAST COPY");
    const seen: (string | undefined)[] = [];
    const source = new PollingFeedSource("taxii https://t.example/", [], async (previous) => (seen.push(previous), NEW));
    const outcome = await source.fetch({ state: {}, target: join(dir, "copy.json.download"), previous: join(dir, "copy.json") });
    expect(outcome).toEqual({ kind: "changed", state: { cursor: "2026-12-04T00:00:00Z" }, bytes: 15, status: 200, dropped: { revoked: 1 } });
    expect([seen, await readFile(join(dir, "copy.json.download"), "utf8")]).toEqual([["LAST COPY"], NEW.changed ? NEW.text : ""]);
  });

  test("a copy gone from disk is a first poll; nothing new keeps the state", async () => {
    const dir = await folder();
    const seen: (string | undefined)[] = [];
    const source = new PollingFeedSource("x", [], async (previous) => (seen.push(previous), { changed: false }));
    expect(await source.fetch({ state: { cursor: "c1" }, target: join(dir, "t"), previous: join(dir, "gone.json") })).toEqual({ kind: "unchanged", state: { cursor: "c1" }, status: 200 });
    expect(seen).toEqual([undefined]);
  });

  test.each([
    [new FeedHttpError("TAXII collection https://t.example/: HTTP 503 Service Unavailable, expected 200", true, 503), { retryable: true, status: 503 }],
    [new FeedHttpError("TAXII collection https://t.example/: HTTP 401 Unauthorized, expected 200", false, 401), { retryable: false, status: 401 }],
    [new FeedError("TAXII collection https://t.example/: objects must be an array, got string"), { retryable: false }],
    [new Error("EACCES: permission denied"), { retryable: true }],
  ])("a poll that throws %p fails with retryable as the error says", async (error, expected) => {
    const source = new PollingFeedSource("x", [], async () => {
      throw error;
    });
    expect(await source.fetch({ state: {}, target: "/nonexistent/t" })).toEqual({ kind: "failed", error: error.message, ...expected });
  });

  test("secrets are scrubbed from a failure", async () => {
    const source = new PollingFeedSource("x", ["K3Y"], async () => {
      throw new FeedError("MISP https://m.example: the server echoed K3Y");
    });
    expect(await source.fetch({ state: {}, target: "/nonexistent/t" })).toMatchObject({ kind: "failed", error: expect.not.stringContaining("K3Y") });
  });
});
