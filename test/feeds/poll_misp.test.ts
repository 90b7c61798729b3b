import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { pollMispApi, type MispPoll } from "../../src/feeds/poll_misp_api.ts";
import { pollMispFeed } from "../../src/feeds/poll_misp_feed.ts";
import type { MispAttribute } from "../../src/feeds/read_misp_attributes_feed.ts";
import { readMispAttributesFeed } from "../../src/feeds/read_misp_attributes_feed.ts";
import { feedConfig, fixturePath, run, values } from "../_support/feed_reading.ts";
import { startMispServer } from "./_misp_server.ts";

const KEY = "k3y0000000000000000000000000000000000000";

function attribute(n: number, type: string, value: string, timestamp: number, extra: Partial<MispAttribute> = {}): MispAttribute {
  return { id: String(n), event_id: "7", uuid: `5a5b0000-0000-4000-8000-${String(n).padStart(12, "0")}`, type, category: "Network activity", value, to_ids: true, deleted: false, timestamp: String(timestamp), comment: "", Event: { info: "Test event", uuid: "5a5b0000-eeee-4000-8000-000000000007" }, ...extra };
}

function changed(poll: MispPoll): Extract<MispPoll, { changed: true }> {
  if (!poll.changed) throw new Error("expected a changed poll");
  return poll;
}

async function indexed(text: string): Promise<[string, string][]> {
  return values((await run(readMispAttributesFeed, text, feedConfig({ format: "misp-api" }))).entries);
}

describe("pollMispApi()", () => {
  test("an attribute without a uuid cannot be merged: left out and counted as dropped, not lost silently", async () => {
    await using misp = await startMispServer(KEY);
    const { uuid: _, ...noUuid } = attribute(2, "domain", "c2.bad.example", 1001);
    misp.attributes.push(attribute(1, "ip-dst", "192.0.2.20", 1000), noUuid);
    const poll = changed(await pollMispApi({ url: `${misp.url}/`, key: KEY }, undefined, { fetch }));
    expect([poll.received, poll.dropped]).toEqual([2, { "no uuid": 1 }]);
    expect(await indexed(poll.text)).toEqual([["IP", "192.0.2.20"]]);
  });

  test("pages restSearch for to_ids attributes with the key in Authorization, then asks only for what changed since the newest timestamp", async () => {
    await using misp = await startMispServer(KEY);
    misp.attributes.push(
      attribute(1, "ip-dst", "192.0.2.20", 1000),
      attribute(2, "domain", "c2.bad.example", 1001),
      attribute(3, "url", "http://c2.bad.example/gate", 1002, { to_ids: false }),
      attribute(4, "sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 1003),
    );
    const feed = { url: `${misp.url}/`, key: KEY, pageSize: 2 };
    const first = changed(await pollMispApi(feed, undefined, { fetch }));
    expect(misp.searches).toEqual([
      { returnFormat: "json", page: 1, limit: 2, to_ids: 1 },
      { returnFormat: "json", page: 2, limit: 2, to_ids: 1 },
    ]);
    expect([first.received, first.pages, first.removed]).toEqual([3, 2, 0]);
    expect(await indexed(first.text)).toEqual([
      ["IP", "192.0.2.20"],
      ["DOMAIN", "c2.bad.example"],
      ["SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ]);

    // Attribute 2 is deleted, 1 is no longer to_ids, a new one arrives.
    misp.searches.length = 0;
    misp.attributes[1] = { ...misp.attributes[1]!, deleted: true, timestamp: "2000" };
    misp.attributes[0] = { ...misp.attributes[0]!, to_ids: false, timestamp: "2001" };
    misp.attributes.push(attribute(5, "ip-dst|port", "198.51.100.5|4444", 2002));
    const second = changed(await pollMispApi(feed, first.text, { fetch }));
    expect(misp.searches[0]).toEqual({ returnFormat: "json", page: 1, limit: 2, timestamp: "1003", deleted: [0, 1] });
    expect([second.received, second.removed, second.dropped]).toEqual([4, 2, { deleted: 1, "not to_ids": 1 }]);
    expect(await indexed(second.text)).toEqual([
      ["SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
      ["IP", "198.51.100.5"],
    ]);

    // Nothing new: the attributes of the cursor's second come back and change nothing.
    expect(await pollMispApi(feed, second.text, { fetch })).toEqual({ changed: false });
  });

  test("a poll that fails on page 2 keeps nothing; the next one from the same copy holds each attribute once", async () => {
    await using misp = await startMispServer(KEY);
    for (let n = 1; n <= 5; n++) misp.attributes.push(attribute(n, "ip-dst", `192.0.2.${n}`, 1000 + n));
    const feed = { url: misp.url, key: KEY, pageSize: 2 };
    misp.failSearch = 1;
    expect(pollMispApi(feed, undefined, { fetch })).rejects.toThrow(`MISP ${misp.url}/attributes/restSearch: HTTP 500 Internal Server Error, expected 200`);
    const whole = changed(await pollMispApi(feed, undefined, { fetch }));
    const again = changed(await pollMispApi(feed, JSON.stringify({ ...JSON.parse(whole.text), x_ioclens_timestamp: "1000" }), { fetch }));
    expect(await indexed(again.text)).toEqual(["1", "2", "3", "4", "5"].map((n) => ["IP", `192.0.2.${n}`]));
  });

  test("a wrong key is refused with the URL and status; the key never appears in the message", async () => {
    await using misp = await startMispServer(KEY);
    const error = await pollMispApi({ url: misp.url, key: "wrong-key-123" }, undefined, { fetch }).catch((e: Error) => e.message);
    expect(error).toBe(`MISP ${misp.url}/attributes/restSearch: HTTP 403 Forbidden, expected 200`);
  });
});

describe("pollMispFeed()", () => {
  const folder = fixturePath("misp-feed");
  const deps = { fetch, readFile: (path: string) => readFile(path, "utf8") };

  test("over HTTP: fetches the manifest and each event once, keeps the to_ids attributes of events and their objects", async () => {
    await using misp = await startMispServer(KEY);
    misp.serveFeed(folder);
    const source = { url: `${misp.url}/feed/` };
    const first = changed(await pollMispFeed(source, undefined, deps));
    expect(misp.requests.map((r) => r.path)).toEqual(["/feed/manifest.json", "/feed/5f0c2a6e-1c3b-4b1e-9d3a-6a1e0c2b7d01.json", "/feed/5f0c2a6e-1c3b-4b1e-9d3a-6a1e0c2b7d02.json"]);
    expect([first.received, first.pages, first.dropped]).toEqual([10, 2, { "not to_ids": 2, "type not indexed": 1 }]);
    const read = await run(readMispAttributesFeed, first.text, feedConfig({ format: "misp-feed" }));
    expect(values(read.entries)).toEqual([
      ["IP", "192.0.2.55"],
      ["DOMAIN", "loader.bad.example"],
      ["URL", "http://loader.bad.example/gate.php"],
      ["IP", "198.51.100.8"],
      ["SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
      ["DOMAIN", "login.phish.example"],
      ["MD5", "9e107d9d372bb6826bd81d3542a419d6"],
    ]);
    // The copy keeps only what the reader indexes: the to_ids email-src attribute is left out, so nothing skips.
    expect(read.skips).toEqual([]);
    expect(read.entries[3]!.fields).toEqual([
      ["type", "ip-dst|port"],
      ["category", "Network activity"],
      ["event_info", "OSINT - Loader campaign using documentation addresses"],
      ["event_uuid", "5f0c2a6e-1c3b-4b1e-9d3a-6a1e0c2b7d01"],
      ["uuid", "6a1e0c2b-0000-4000-8000-000000000005"],
      ["port", "8443"],
    ]);

    misp.requests.length = 0;
    expect(await pollMispFeed(source, first.text, deps)).toEqual({ changed: false });
    expect(misp.requests.map((r) => r.path)).toEqual(["/feed/manifest.json"]);
  });

  test("from a local folder (file: URL); an event whose timestamp changed is fetched again, one gone from the manifest is dropped", async () => {
    const manifest = JSON.parse(await readFile(`${folder}/manifest.json`, "utf8")) as Record<string, { timestamp: number }>;
    const files = new Map<string, string>();
    const local = { fetch, readFile: async (path: string) => files.get(path) ?? (await readFile(path, "utf8")) };
    const source = { url: pathToFileURL(folder).href };
    const first = changed(await pollMispFeed(source, undefined, local));
    expect((await indexed(first.text)).length).toBe(7);

    const second_uuid = Object.keys(manifest)[1];
    const changedManifest = { [second_uuid!]: { ...manifest[second_uuid!]!, timestamp: 1764600000 } };
    files.set(`${folder}/manifest.json`, JSON.stringify(changedManifest));
    const read: string[] = [];
    const second = changed(await pollMispFeed(source, first.text, { fetch, readFile: (path) => (read.push(path), local.readFile(path)) }));
    expect(read).toEqual([`${folder}/manifest.json`, `${folder}/${second_uuid}.json`]);
    expect([second.removed, await indexed(second.text)]).toEqual([
      5,
      [
        ["DOMAIN", "login.phish.example"],
        ["MD5", "9e107d9d372bb6826bd81d3542a419d6"],
      ],
    ]);
  });

  test("a missing event file fails the poll with its path", async () => {
    const manifest = { "5f0c2a6e-1c3b-4b1e-9d3a-6a1e0c2b7d09": { timestamp: 1 } };
    const error = await pollMispFeed({ url: pathToFileURL(folder).href }, undefined, {
      fetch,
      readFile: async (path) => (path.endsWith("manifest.json") ? JSON.stringify(manifest) : readFile(path, "utf8")),
    }).catch((e: Error) => e.message);
    expect(error).toBe(`MISP feed ${folder}/5f0c2a6e-1c3b-4b1e-9d3a-6a1e0c2b7d09.json: cannot read: ENOENT`);
  });
});
