import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import type { FeedConfig, FeedsSettings } from "../../src/config/types.ts";
import { loadFeeds, MAX_WARNINGS } from "../../src/feeds/load_feeds.ts";
import type { FeedEntry, FeedInfo, IndexWriter } from "../../src/matching/types.ts";
import { feedConfig, fixturePath } from "../_support/feed_reading.ts";

/** Records what it is given; rejects values `reject` names. */
class FakeIndex implements IndexWriter {
  readonly feeds: FeedInfo[] = [];
  readonly added: [number, FeedEntry][] = [];
  constructor(private readonly reject: (entry: FeedEntry) => string | undefined = () => undefined) {}
  addFeed(info: FeedInfo): number {
    this.feeds.push(info);
    return this.feeds.length - 1;
  }
  add(feedId: number, entry: FeedEntry): string | undefined {
    const reason = this.reject(entry);
    if (reason === undefined) this.added.push([feedId, entry]);
    return reason;
  }
}

function settings(feeds: FeedConfig[], registry?: string): FeedsSettings {
  return { updateFrequencyMinutes: 0, feeds, ...(registry === undefined ? {} : { registry }) };
}

/** A clock that moves 5 ms per reading. */
function clock(start = 1_700_000_000_000): () => number {
  let t = start - 5;
  return () => (t += 5);
}

const openFixture = (name: string) => readFile(fixturePath(name), "utf8");

describe("loadFeeds()", () => {
  test("loads each enabled feed and reports what it loaded and skipped", async () => {
    const index = new FakeIndex();
    const reports = await loadFeeds(
      settings([
        feedConfig({ filename: "blocklist.txt", category: "Blocklist", confidence: 40, indicatorLifetimeMinutes: 60 }),
        feedConfig({ filename: "ipsum.tsv", format: "tsv", enabled: false }),
        feedConfig({ filename: "documentation-networks.json", format: "misp", allowList: true, category: "FP" }),
      ]),
      { openFeed: openFixture, index, now: clock() },
    );
    expect(reports).toEqual([
      {
        name: "blocklist.txt",
        loaded: 8,
        skipped: 2,
        ms: 5,
        warnings: [
          'blocklist.txt:12: not a URL, domain, IP address or hash: "not a valid indicator"',
          'blocklist.txt:13: not a valid IPv4 address: "198.51.100"',
        ],
        skippedByReason: { "not a URL, domain, IP address or hash": 1, "not a valid IPv4 address": 1 },
      },
      {
        name: "documentation-networks.json",
        loaded: 5,
        skipped: 1,
        ms: 5,
        warnings: ["documentation-networks.json: item 6: not a string: found number"],
        skippedByReason: { "not a string": 1 },
      },
    ]);
    expect(index.feeds).toEqual([
      { name: "blocklist.txt", category: "Blocklist", confidence: 40, allowList: false, loadedAt: 1_700_000_000_000, indicatorLifetimeMinutes: 60 },
      { name: "documentation-networks.json", category: "FP", confidence: 50, allowList: true, loadedAt: 1_700_000_000_010, indicatorLifetimeMinutes: 0 },
    ]);
    expect(index.added.map(([id]) => id)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  test("reports a feed it cannot open or parse and still loads the others", async () => {
    const index = new FakeIndex();
    const reports = await loadFeeds(
      settings([
        feedConfig({ filename: "missing.txt" }),
        feedConfig({ filename: "regex-list.json", format: "misp" }),
        feedConfig({ filename: "Botnet_CnC_URL_Data_Feed.truncated.json", format: "kaspersky", fields: [{ name: "mask", type: "URL", category: "C" }] }),
        feedConfig({ filename: "ipsum.tsv", format: "tsv" }),
      ]),
      { openFeed: openFixture, index, now: clock() },
    );
    expect(reports.map((r) => [r.name, r.loaded, r.error])).toEqual([
      ["missing.txt", 0, expect.stringMatching(/^missing\.txt: ENOENT/)],
      ["regex-list.json", 0, 'regex-list.json: Unsupported MISP warning list type: got "regex", expected string, cidr or hostname'],
      [
        "Botnet_CnC_URL_Data_Feed.truncated.json",
        2,
        'Botnet_CnC_URL_Data_Feed.truncated.json: Invalid JSON feed: input ends inside the element that starts at line 4, expected "]"',
      ],
      ["ipsum.tsv", 2, undefined],
    ]);
    // an unopenable feed is not registered; the others are
    expect(index.feeds.map((f) => f.name)).toEqual(["regex-list.json", "Botnet_CnC_URL_Data_Feed.truncated.json", "ipsum.tsv"]);
  });

  test("counts entries the index rejects as skipped, naming where they came from", async () => {
    const index = new FakeIndex((entry) => (entry.kind === "IP" && entry.value.includes(":") ? `IPv6 is off: "${entry.value}"` : undefined));
    const [report] = await loadFeeds(settings([feedConfig({ filename: "blocklist.txt" })]), { openFeed: openFixture, index, now: clock() });
    expect(report!.loaded).toBe(7);
    expect(report!.skipped).toBe(3);
    expect(report!.warnings[0]).toBe('blocklist.txt:6: IPv6 is off: "2001:db8::1"');
    expect(report!.skippedByReason["IPv6 is off"]).toBe(1);
  });

  test("keeps the first warnings and counts every skip by reason", async () => {
    const text = Array.from({ length: 30 }, (_, i) => `bad value ${i}`).join("\n");
    const [report] = await loadFeeds(settings([feedConfig({ filename: "junk.txt" })]), {
      openFeed: async () => text,
      index: new FakeIndex(),
      now: clock(),
    });
    expect(report!.skipped).toBe(30);
    expect(report!.warnings).toHaveLength(MAX_WARNINGS);
    expect(report!.warnings[19]).toBe('junk.txt:20: not a URL, domain, IP address or hash: "bad value 19"');
    expect(report!.skippedByReason).toEqual({ "not a URL, domain, IP address or hash": 30 });
  });

  test("takes a Kaspersky feed's fields from the registry by file name", async () => {
    const index = new FakeIndex();
    const read: string[] = [];
    const reports = await loadFeeds(
      settings(
        [
          feedConfig({ filename: "Botnet_CnC_URL_Data_Feed.json", format: "kaspersky" }),
          feedConfig({ filename: "IP_Reputation_Data_Feed.json", format: "kaspersky" }),
        ],
        "kl_feed_info.conf",
      ),
      { openFeed: openFixture, index, now: clock(), readRegistry: async (path) => (read.push(path), openFixture(path)) },
    );
    expect(read).toEqual(["kl_feed_info.conf"]);
    expect(reports.map((r) => [r.loaded, r.skipped, r.warnings])).toEqual([
      [
        5,
        2,
        [
          "Botnet_CnC_URL_Data_Feed.json: record 3: not an object: found string",
          "Botnet_CnC_URL_Data_Feed.json: record 4: no indicator field: expected one of mask, files/MD5",
        ],
      ],
      // a typed IP field passes its text through; the real index rejects 198.51.100.300
      [2, 0, []],
    ]);
    expect(index.added.map(([, e]) => [e.kind, e.category])).toEqual([
      ["URL", "KL_BotnetCnC_URL"],
      ["MD5", "KL_BotnetCnC_Hash_MD5"],
      ["MD5", "KL_BotnetCnC_Hash_MD5"],
      ["URL", "KL_BotnetCnC_URL"],
      ["URL", "KL_BotnetCnC_URL"],
      ["IP", "KL_IP_Reputation"],
      ["IP", "KL_IP_Reputation"],
    ]);
  });

  test("falls back to the documented fields of a known Kaspersky feed without a registry", async () => {
    const index = new FakeIndex();
    const [report] = await loadFeeds(settings([feedConfig({ filename: "bases/Demo_Botnet_CnC_URL_Data_Feed.json.gz", format: "kaspersky" })]), {
      openFeed: () => openFixture("Botnet_CnC_URL_Data_Feed.json"),
      index,
      now: clock(),
    });
    expect(report!.loaded).toBe(3);
    expect(index.added.map(([, e]) => e.category)).toEqual(["KL_BotnetCnC_URL", "KL_BotnetCnC_URL", "KL_BotnetCnC_URL"]);
  });

  test.each([
    [undefined, "Custom.json: No indicator fields for feed Custom.json: configure Field elements or a feed registry entry"],
    [async () => { throw new Error("EACCES: permission denied"); }, "Custom.json: Cannot read the feed registry reg.conf: EACCES: permission denied"],
    [async () => "{", "Custom.json: Invalid feed registry reg.conf: "],
  ])("reports a Kaspersky feed whose fields cannot be found: %#", async (readRegistry, message) => {
    const registry = readRegistry === undefined ? undefined : "reg.conf";
    const [report] = await loadFeeds(settings([feedConfig({ filename: "Custom.json", format: "kaspersky" })], registry), {
      openFeed: async () => "[]",
      index: new FakeIndex(),
      now: clock(),
      ...(readRegistry === undefined ? {} : { readRegistry }),
    });
    expect(report!.error).toStartWith(message);
  });
});
