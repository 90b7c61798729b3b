import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { feedSourceFor } from "../../src/feeds/feed_source_for.ts";
import { RemoteFeeds } from "../../src/feeds/remote_feeds.ts";
import { readStixFeed } from "../../src/feeds/read_stix_feed.ts";
import { readMispAttributesFeed } from "../../src/feeds/read_misp_attributes_feed.ts";
import { httpFetch } from "../../src/runtime/http_fetch.ts";
import { downloadConfig, downloadConfigText } from "../_support/download_config.ts";
import { feedConfig, fixturePath, run, values } from "../_support/feed_reading.ts";
import { testCleanup } from "../_support/test_cleanup.ts";
import { startMispServer } from "./_misp_server.ts";
import { startTaxiiServer } from "./_taxii_server.ts";

const cleanup = testCleanup();

function bases(): Promise<string> {
  return cleanup.tempDir("ioclens-polled-");
}

/** The download engine over real HTTP with the runtime's fetch, recording logs and alerts; retries wait 0 ms. */
function engine() {
  const logs: string[] = [];
  const alerts: string[] = [];
  const remote = new RemoteFeeds({
    now: Date.now,
    sleep: async () => {},
    log: (level, message, fields) => logs.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`),
    alert: (name, fields) => alerts.push(`${name} ${fields.map(([k, v]) => `${k}=${v}`).join(" ")}`),
    sourceFor: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: {}, userAgent: "ioclens-test" }),
  });
  return { remote, logs, alerts };
}

function indicator(n: number, pattern: string): Record<string, unknown> {
  return { type: "indicator", spec_version: "2.1", id: `indicator--00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, created: "2026-12-01T00:00:00.000Z", modified: "2026-12-01T00:00:00.000Z", pattern, pattern_type: "stix", valid_from: "2026-12-01T00:00:00Z" };
}

describe("TAXII and MISP feeds through the download engine", () => {
  test("a TAXII collection with a bearer token: paged first poll, an incremental second one that survives a restart, and a failed poll that keeps the copy", async () => {
    await using taxii = await startTaxiiServer();
    taxii.authorization = "Bearer t0ken-s3cret";
    const objects = [1, 2, 3].map((n) => ({ added: `2026-12-03T10:00:0${n}.000Z`, object: indicator(n, `[ipv4-addr:value = '192.0.2.${n}']`) }));
    taxii.collections.set("c2", { title: "C2", objects });
    const dir = await bases();
    const config = downloadConfig(dir, `<Feed url="${taxii.url}/api1/collections/c2/" format="taxii" filename="taxii.json" category="TAXII" retries="0"><Header name="Authorization">Bearer t0ken-s3cret</Header></Feed>`);
    const first = engine();
    expect(await first.remote.refresh(config, "all")).toEqual([{ name: "taxii.json", changed: true }]);
    expect(first.remote.status("taxii.json")).toMatchObject({ source: `taxii ${taxii.url}/api1/collections/c2/`, httpStatus: 200, records: 3 });
    expect(taxii.requests.map((r) => r.path)).toEqual(["/api1/collections/c2/objects/", "/api1/collections/c2/objects/?next=2"]);
    const copy = () => readFileSync(join(dir, "taxii.json"), "utf8");
    expect(values((await run(readStixFeed, copy(), feedConfig({ format: "taxii" }))).entries)).toEqual([1, 2, 3].map((n) => ["IP", `192.0.2.${n}`]));
    expect(JSON.parse(readFileSync(join(dir, "taxii.json.state.json"), "utf8")).state).toEqual({ cursor: "2026-12-03T10:00:03.000Z" });

    // A new process polls on from the copy's cursor.
    taxii.requests.length = 0;
    objects.push({ added: "2026-12-04T08:00:00.000Z", object: indicator(4, "[domain-name:value = 'new.bad.example']") });
    const restarted = engine();
    expect(await restarted.remote.refresh(config, "all")).toEqual([{ name: "taxii.json", changed: true }]);
    expect(taxii.requests.map((r) => r.path)).toEqual(["/api1/collections/c2/objects/?added_after=2026-12-03T10%3A00%3A03.000Z"]);
    expect(values((await run(readStixFeed, copy(), feedConfig({ format: "taxii" }))).entries).at(-1)).toEqual(["DOMAIN", "new.bad.example"]);

    // The server fails: the copy stays, the failure is in the status and the alert, the token is in neither.
    const before = copy();
    objects.push({ added: "2026-12-04T09:00:00.000Z", object: indicator(5, "[ipv4-addr:value = '203.0.113.5']") });
    taxii.authorization = "Bearer another";
    expect(await restarted.remote.refresh(config, "all")).toEqual([{ name: "taxii.json", changed: false, error: `TAXII collection ${taxii.url}/api1/collections/c2/objects/?added_after=2026-12-04T08%3A00%3A00.000Z: HTTP 401 Unauthorized, expected 200` }]);
    expect([copy(), restarted.remote.status("taxii.json")?.httpStatus]).toEqual([before, 401]);
    expect([...restarted.logs, ...restarted.alerts].join("\n")).not.toContain("t0ken-s3cret");
    expect(restarted.alerts).toHaveLength(1);
  });

  test("a poll cut off by a 503 at page 2 is retried from the same cursor: each indicator once, none lost", async () => {
    await using taxii = await startTaxiiServer();
    const objects = [1, 2, 3, 4, 5].map((n) => ({ added: `2026-12-03T10:00:0${n}.000Z`, object: indicator(n, `[ipv4-addr:value = '192.0.2.${n}']`) }));
    taxii.collections.set("c2", { title: "C2", objects });
    taxii.failPage = { index: 1, status: 503 };
    const dir = await bases();
    const e = engine();
    expect(await e.remote.refresh(downloadConfig(dir, `<Feed url="${taxii.url}/api1/collections/c2/" format="taxii" filename="taxii.json" retries="1"/>`), "all")).toEqual([{ name: "taxii.json", changed: true }]);
    expect(e.logs.filter((line) => line.includes("retry 1"))).toHaveLength(1);
    const copy = readFileSync(join(dir, "taxii.json"), "utf8");
    expect(values((await run(readStixFeed, copy, feedConfig({ format: "taxii" }))).entries)).toEqual([1, 2, 3, 4, 5].map((n) => ["IP", `192.0.2.${n}`]));
  });

  test("user:password in a TAXII url is sent as HTTP Basic and shown nowhere", async () => {
    await using taxii = await startTaxiiServer();
    taxii.authorization = `Basic ${Buffer.from("reader:pa55word").toString("base64")}`;
    taxii.collections.set("c2", { title: "C2", objects: [{ added: "2026-12-03T10:00:00.000Z", object: indicator(1, "[ipv4-addr:value = '192.0.2.1']") }] });
    const dir = await bases();
    const url = taxii.url.replace("http://", "http://reader:pa55word@");
    const e = engine();
    expect(await e.remote.refresh(downloadConfig(dir, `<Feed url="${url}/api1/collections/c2/" format="taxii" filename="taxii.json"/>`), "all")).toEqual([{ name: "taxii.json", changed: true }]);
    taxii.authorization = "Basic other";
    const [refused] = await e.remote.refresh(downloadConfig(dir, `<Feed url="${url}/api1/collections/c2/" format="taxii" filename="taxii.json" retries="0"/>`), "all");
    // The URL in the message is the one requested: without the credentials, which went into the header.
    expect(refused?.error).toBe(`TAXII collection ${taxii.url}/api1/collections/c2/objects/?added_after=2026-12-03T10%3A00%3A00.000Z: HTTP 401 Unauthorized, expected 200`);
    const shown = [...e.logs, ...e.alerts, JSON.stringify(e.remote.status("taxii.json"))].join("\n");
    expect([shown.includes("pa55word"), shown.includes(Buffer.from("reader:pa55word").toString("base64"))]).toEqual([false, false]);
  });

  test("a moved collection is followed with its token on the same origin; a redirect loop fails the refresh", async () => {
    await using taxii = await startTaxiiServer();
    taxii.authorization = "Bearer t0ken";
    taxii.collections.set("c2", { title: "C2", objects: [{ added: "2026-12-03T10:00:00.000Z", object: indicator(1, "[ipv4-addr:value = '192.0.2.1']") }] });
    taxii.redirect("/old/collections/c2/objects/", "/api1/collections/c2/objects/");
    taxii.redirect("/loop/collections/c2/objects/", "/loop2/");
    taxii.redirect("/loop2/", "/loop/collections/c2/objects/");
    const dir = await bases();
    const feed = (path: string) => `<Feed url="${taxii.url}${path}" format="taxii" filename="taxii.json" retries="0"><Header name="Authorization">Bearer t0ken</Header></Feed>`;
    const e = engine();
    expect(await e.remote.refresh(downloadConfig(dir, feed("/old/collections/c2/")), "all")).toEqual([{ name: "taxii.json", changed: true }]);
    expect(taxii.requests.map((r) => [r.path, r.headers["authorization"]])).toEqual([
      ["/old/collections/c2/objects/", "Bearer t0ken"],
      ["/api1/collections/c2/objects/", "Bearer t0ken"],
    ]);
    const [looped] = await e.remote.refresh(downloadConfig(dir, feed("/loop/collections/c2/")), "all");
    const query = "?added_after=2026-12-03T10%3A00%3A00.000Z";
    expect(looped?.error).toBe(`TAXII collection ${taxii.url}/loop/collections/c2/objects/${query}: redirect loop: ${taxii.url}/loop2/${query} sends back to ${taxii.url}/loop/collections/c2/objects/${query}, visited before`);
  });

  test("a MISP API: the key goes in Authorization only, the copy holds the to_ids attributes, a second refresh asks from the newest timestamp", async () => {
    const key = "MISPKEY0123456789abcdefMISPKEY0123456789";
    await using misp = await startMispServer(key);
    misp.attributes.push(
      { uuid: "a1", type: "ip-dst", value: "192.0.2.77", to_ids: true, timestamp: "1700000001", Event: { info: "Test", uuid: "e1" } },
      { uuid: "a2", type: "email-src", value: "x@bad.example", to_ids: true, timestamp: "1700000002" },
      { uuid: "a3", type: "domain", value: "misp.bad.example", to_ids: true, timestamp: "1700000003" },
    );
    const dir = await bases();
    const config = downloadConfig(dir, `<Feed url="${misp.url}" format="misp-api" filename="misp.json" category="MISP" retries="0"><Header name="Authorization">${key}</Header></Feed>`);
    const e = engine();
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "misp.json", changed: true }]);
    const copy = readFileSync(join(dir, "misp.json"), "utf8");
    expect(values((await run(readMispAttributesFeed, copy, feedConfig({ format: "misp-api" }))).entries)).toEqual([
      ["IP", "192.0.2.77"],
      ["DOMAIN", "misp.bad.example"],
    ]);
    expect(e.remote.status("misp.json")).toMatchObject({ records: 2, httpStatus: 200, dropped: { "type not indexed": 1 } });
    expect(e.logs.find((line) => line.includes("downloaded"))).toContain('"dropped":{"type not indexed":1}');
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "misp.json", changed: false }]);
    expect(misp.searches.at(-1)).toEqual({ returnFormat: "json", page: 1, limit: 5000, timestamp: "1700000003", deleted: [0, 1] });
    expect(e.logs.join("\n")).not.toContain(key);
  });

  test("a MISP feed from a folder (file: URL) is read like one served over HTTP", async () => {
    const dir = await bases();
    const config = downloadConfig(dir, `<Feed url="${pathToFileURL(fixturePath("misp-feed")).href}/" format="misp-feed" filename="osint.json" category="OSINT"/>`);
    const e = engine();
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "osint.json", changed: true }]);
    expect(e.remote.status("osint.json")?.records).toBe(7);
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "osint.json", changed: false }]);
  });

  test.each([
    ['<Feed filename="t.json" format="taxii"/>', "format taxii is fetched from a server: found no url attribute, expected one"],
    ['<Feed url="https://misp.example" format="misp-api"/>', 'format misp-api needs the API key in <Header name="Authorization">: found none'],
    ['<Feed url="https://feeds.example/a.txt" format="lines" collection="c2"/>', "attribute collection names a TAXII collection: found format lines, expected taxii"],
    ['<Feed url="file:///srv/feed.txt" format="lines"/>', 'attribute url must be an http:// or https:// URL, got "file:///srv/feed.txt"'],
  ])("%s is a config error", (feed, message) => {
    expect(() => parseServiceConfig(downloadConfigText("/tmp", feed), "kl_feed_service.conf")).toThrow(message);
  });
});
