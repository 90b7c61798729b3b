import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CATALOGUE_NAMES, FEED_CATALOGUE } from "../../src/config/feed_catalogue.ts";
import { feedSourceFor } from "../../src/feeds/feed_source_for.ts";
import { RemoteFeeds } from "../../src/feeds/remote_feeds.ts";
import { httpFetch } from "../../src/runtime/http_fetch.ts";
import { downloadConfig } from "../_support/download_config.ts";
import { fixturePath } from "../_support/feed_reading.ts";
import { servedWithEtag, startFeedServer } from "../_support/feed_server.ts";
import { testCleanup } from "../_support/test_cleanup.ts";

const cleanup = testCleanup();

describe("catalogue feeds through the download engine", () => {
  test.each(CATALOGUE_NAMES)("%s: <Feed source> with the url pointed at a local copy of its fixture downloads, checks and keeps it", async (name) => {
    const server = cleanup.use(await startFeedServer());
    const dir = await cleanup.tempDir("ioclens-catalogue-");
    const filename = FEED_CATALOGUE[name].attributes.filename;
    const body = readFileSync(fixturePath(`catalogue/${filename}`), "utf8");
    server.route(`/${filename}`, servedWithEtag(body, '"v1"'));
    const config = downloadConfig(dir, `<Feed source="${name}" url="${server.url(`/${filename}`)}" retries="0"/>`);
    const remote = new RemoteFeeds({ now: Date.now, sleep: async () => {}, log: () => {}, alert: () => {}, sourceFor: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: {}, userAgent: "ioclens-test" }) });
    expect(await remote.refresh(config, "all")).toEqual([{ name: filename, changed: true }]);
    expect(readFileSync(join(dir, filename), "utf8")).toBe(body);
    expect(remote.status(filename)).toMatchObject({ httpStatus: 200, etag: '"v1"' });
    expect(remote.status(filename)?.records).toBeGreaterThan(0);
  });
});
