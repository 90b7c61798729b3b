import { describe, expect, test } from "bun:test";
import { pollTaxii, type TaxiiFeed, type TaxiiPoll } from "../../src/feeds/poll_taxii.ts";
import { readStixFeed } from "../../src/feeds/read_stix_feed.ts";
import { feedConfig, run, values } from "../_support/feed_reading.ts";
import { startTaxiiServer, type TaxiiServer } from "./_taxii_server.ts";

const NOW = Date.parse("2026-12-04T12:00:00Z");
const deps = { fetch, now: () => NOW };

function indicator(n: number, pattern: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id = `indicator--00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return { type: "indicator", spec_version: "2.1", id, created: "2026-12-01T00:00:00.000Z", modified: "2026-12-01T00:00:00.000Z", pattern, pattern_type: "stix", valid_from: "2026-12-01T00:00:00Z", ...extra };
}

/** The collection `c2` with five indicators, one expired, and one identity, added a second apart. */
function fillCollection(server: TaxiiServer): void {
  const objects = [
    indicator(1, "[ipv4-addr:value = '192.0.2.10']"),
    { type: "identity", spec_version: "2.1", id: "identity--00000000-0000-4000-8000-000000000099", name: "Test CERT" },
    indicator(2, "[domain-name:value = 'c2.bad.example']"),
    indicator(3, "[url:value = 'http://dl.bad.example/a.exe']"),
    indicator(4, "[ipv4-addr:value = '198.51.100.4']", { valid_until: "2026-12-02T00:00:00Z" }),
    indicator(5, "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"),
  ];
  server.collections.set("c2", { title: "C2 indicators", objects: objects.map((object, i) => ({ added: `2026-12-03T10:00:0${i}.000Z`, object })) });
}

async function indexed(poll: TaxiiPoll): Promise<[string, string][]> {
  if (!poll.changed) throw new Error("expected a changed poll");
  return values((await run(readStixFeed, poll.text, feedConfig({ format: "stix" }))).entries);
}

function changed(poll: TaxiiPoll): Extract<TaxiiPoll, { changed: true }> {
  if (!poll.changed) throw new Error("expected a changed poll");
  return poll;
}

describe("pollTaxii()", () => {
  test("pages through a collection with more/next, asks with the TAXII media type, drops expired indicators", async () => {
    await using server = await startTaxiiServer();
    fillCollection(server);
    const poll = changed(await pollTaxii({ url: `${server.url}/api1/collections/c2/` }, undefined, deps));
    expect([poll.received, poll.pages, poll.removed, poll.dropped]).toEqual([5, 3, 1, { "not an indicator": 1, expired: 1 }]);
    expect(server.requests.map((r) => r.path)).toEqual(["/api1/collections/c2/objects/", "/api1/collections/c2/objects/?next=2", "/api1/collections/c2/objects/?next=4"]);
    expect(await indexed(poll)).toEqual([
      ["IP", "192.0.2.10"],
      ["DOMAIN", "c2.bad.example"],
      ["URL", "http://dl.bad.example/a.exe"],
      ["SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ]);
  });

  test("a second poll asks only for what was added after the first; a new version replaces the old, a revoked one is removed", async () => {
    await using server = await startTaxiiServer();
    fillCollection(server);
    const feed: TaxiiFeed = { url: `${server.url}/api1/collections/c2` };
    const first = changed(await pollTaxii(feed, undefined, deps));
    server.requests.length = 0;
    const objects = server.collections.get("c2")!.objects;
    objects.push({ added: "2026-12-04T09:00:00.000Z", object: indicator(2, "[domain-name:value = 'c2.bad.example']", { modified: "2026-12-04T09:00:00.000Z", revoked: true }) });
    objects.push({ added: "2026-12-04T09:00:01.000Z", object: indicator(3, "[url:value = 'http://dl.bad.example/b.exe']", { modified: "2026-12-04T09:00:01.000Z" }) });
    objects.push({ added: "2026-12-04T09:00:02.000Z", object: indicator(6, "[ipv6-addr:value = '2001:db8::66']") });
    const second = changed(await pollTaxii(feed, first.text, deps));
    expect(server.requests.map((r) => r.path)).toEqual([
      "/api1/collections/c2/objects/?added_after=2026-12-03T10%3A00%3A05.000Z",
      "/api1/collections/c2/objects/?added_after=2026-12-03T10%3A00%3A05.000Z&next=2",
    ]);
    expect([second.received, second.pages, second.removed, second.dropped]).toEqual([3, 2, 1, { revoked: 1 }]);
    expect(await indexed(second)).toEqual([
      ["IP", "192.0.2.10"],
      ["URL", "http://dl.bad.example/b.exe"],
      ["SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
      ["IP", "2001:db8::66"],
    ]);

    server.requests.length = 0;
    expect(await pollTaxii(feed, second.text, deps)).toEqual({ changed: false });
    expect(server.requests.map((r) => r.path)).toEqual(["/api1/collections/c2/objects/?added_after=2026-12-04T09%3A00%3A02.000Z"]);
  });

  test("an older version arriving after a newer one does not replace it", async () => {
    await using server = await startTaxiiServer();
    server.collections.set("c2", {
      title: "C2",
      objects: [
        { added: "2026-12-03T10:00:00.000Z", object: indicator(1, "[domain-name:value = 'new.bad.example']", { modified: "2026-12-03T00:00:00.000Z" }) },
        { added: "2026-12-03T10:00:01.000Z", object: indicator(1, "[domain-name:value = 'old.bad.example']", { modified: "2026-12-01T00:00:00.000Z" }) },
      ],
    });
    expect(await indexed(await pollTaxii({ url: `${server.url}/api1/collections/c2/` }, undefined, deps))).toEqual([["DOMAIN", "new.bad.example"]]);
  });

  test("indicators the STIX reader cannot index (e-mail, AND, YARA) are not kept, so they cannot outnumber the others in the copy", async () => {
    await using server = await startTaxiiServer();
    const objects = [
      indicator(1, "[email-addr:value = 'phisher@bad.example']"),
      indicator(2, "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'x.bad.example']"),
      indicator(3, "rule x { condition: true }", { pattern_type: "yara" }),
      indicator(4, "[domain-name:value = 'kept.bad.example'] OR [email-addr:value = 'a@bad.example']"),
    ];
    server.collections.set("c2", { title: "C2", objects: objects.map((object, i) => ({ added: `2026-12-03T10:00:0${i}.000Z`, object })) });
    const poll = changed(await pollTaxii({ url: `${server.url}/api1/collections/c2/` }, undefined, deps));
    expect(JSON.parse(poll.text).objects.map((o: { id: string }) => o.id)).toEqual([objects[3]!.id]);
    expect(poll.dropped).toEqual({ "pattern not indexed": 3 });
    const read = await run(readStixFeed, poll.text, feedConfig({ format: "stix" }));
    expect([values(read.entries), read.skips.length]).toEqual([[["DOMAIN", "kept.bad.example"]], 1]);
  });

  test("an indicator expires on a later poll even when nothing new arrived", async () => {
    await using server = await startTaxiiServer();
    server.collections.set("c2", { title: "C2", objects: [{ added: "2026-12-03T10:00:00.000Z", object: indicator(1, "[ipv4-addr:value = '192.0.2.1']", { valid_until: "2026-12-05T00:00:00Z" }) }] });
    const feed = { url: `${server.url}/api1/collections/c2/` };
    const first = changed(await pollTaxii(feed, undefined, deps));
    expect(await pollTaxii(feed, first.text, deps)).toEqual({ changed: false });
    const later = changed(await pollTaxii(feed, first.text, { fetch, now: () => Date.parse("2026-12-05T00:00:00Z") }));
    expect([later.received, later.removed, await indexed(later)]).toEqual([0, 1, []]);
  });

  test("a poll cut off at page 2 keeps nothing of it; the next poll starts from the same cursor and holds each indicator once", async () => {
    await using server = await startTaxiiServer();
    fillCollection(server);
    const feed = { url: `${server.url}/api1/collections/c2/` };
    server.failPage = { index: 1, status: 500 };
    expect(pollTaxii(feed, undefined, deps)).rejects.toThrow(`TAXII collection ${server.url}/api1/collections/c2/objects/?next=2: HTTP 500 Internal Server Error, expected 200`);
    const retried = changed(await pollTaxii(feed, undefined, deps));
    const again = changed(await pollTaxii(feed, JSON.stringify({ ...JSON.parse(retried.text), x_ioclens_added_after: undefined }), deps));
    expect(await indexed(again)).toEqual(await indexed(retried));
    expect((await indexed(again)).length).toBe(4);
  });

  test("basic and bearer credentials go in Authorization; a refusal names the URL and status, never the secret", async () => {
    await using server = await startTaxiiServer();
    fillCollection(server);
    server.authorization = `Basic ${Buffer.from("reader:s3cret").toString("base64")}`;
    const url = `${server.url}/api1/collections/c2/`;
    expect(changed(await pollTaxii({ url, auth: { kind: "basic", user: "reader", password: "s3cret" } }, undefined, deps)).received).toBe(5);
    const refused = await pollTaxii({ url, auth: { kind: "basic", user: "reader", password: "wrong-s3cret" } }, undefined, deps).catch((e: Error) => e.message);
    expect(refused).toBe(`TAXII collection ${url}objects/: HTTP 401 Unauthorized, expected 200`);
    server.authorization = "Bearer t0ken";
    expect(changed(await pollTaxii({ url, auth: { kind: "bearer", token: "t0ken" } }, undefined, deps)).received).toBe(5);
  });

  test("discovery: from the server's discovery URL, the default API root's collection named by title or id", async () => {
    await using server = await startTaxiiServer();
    fillCollection(server);
    const byTitle = changed(await pollTaxii({ url: `${server.url}/taxii2/`, collection: "C2 indicators" }, undefined, deps));
    expect(byTitle.received).toBe(5);
    expect(server.requests.slice(0, 3).map((r) => r.path)).toEqual(["/taxii2/", "/api1/collections/", "/api1/collections/c2/objects/"]);
    const missing = await pollTaxii({ url: `${server.url}/api1/`, collection: "phishing" }, undefined, deps).catch((e: Error) => e.message);
    expect(missing).toBe(`TAXII API root ${server.url}/api1/: no collection "phishing", found c2 (C2 indicators)`);
    const unnamed = await pollTaxii({ url: `${server.url}/taxii2/` }, undefined, deps).catch((e: Error) => e.message);
    expect(unnamed).toBe(`TAXII feed ${server.url}/taxii2/: not a collection URL (…/collections/<id>/), and no collection is named to look up`);
  });

  test("a server whose next token repeats fails the poll instead of looping", async () => {
    await using server = await startTaxiiServer();
    fillCollection(server);
    server.stuckNext = "again";
    const error = await pollTaxii({ url: `${server.url}/api1/collections/c2/` }, undefined, deps).catch((e: Error) => e.message);
    expect(error).toBe(`TAXII collection ${server.url}/api1/collections/c2/: the server sent the page token "again" twice, expected each page once`);
    expect(server.requests).toHaveLength(2);
  });

  test("a page of only non-indicators still moves the cursor; a last copy that is not a bundle starts a full poll", async () => {
    await using server = await startTaxiiServer();
    server.collections.set("c2", { title: "C2", objects: [{ added: "2026-12-03T10:00:00.000Z", object: { type: "identity", spec_version: "2.1", id: "identity--00000000-0000-4000-8000-000000000001", name: "CERT" } }] });
    const feed = { url: `${server.url}/api1/collections/c2/` };
    const first = changed(await pollTaxii(feed, undefined, deps));
    expect([first.cursor, first.dropped, JSON.parse(first.text).objects]).toEqual(["2026-12-03T10:00:00.000Z", { "not an indicator": 1 }, []]);
    expect(await pollTaxii(feed, first.text, deps)).toEqual({ changed: false });
    server.requests.length = 0;
    expect(changed(await pollTaxii(feed, "[]", deps)).cursor).toBe("2026-12-03T10:00:00.000Z");
    expect(server.requests.map((r) => r.path)).toEqual(["/api1/collections/c2/objects/"]);
  });

  test("an empty collection is unchanged; an unknown one fails with its URL and status", async () => {
    await using server = await startTaxiiServer();
    server.collections.set("c2", { title: "C2", objects: [] });
    const url = `${server.url}/api1/collections/c2/`;
    // The server answers 406 to any other Accept than the TAXII media type.
    expect(await pollTaxii({ url }, undefined, deps)).toEqual({ changed: false });
    const notTaxii = await pollTaxii({ url: `${server.url}/api1/collections/nope/` }, undefined, deps).catch((e: Error) => e.message);
    expect(notTaxii).toBe(`TAXII collection ${server.url}/api1/collections/nope/objects/: HTTP 404 Not Found, expected 200`);
  });
});
