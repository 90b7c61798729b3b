import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { loadFeeds } from "../../src/feeds/load_feeds.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import { feedConfig, fixturePath } from "../_support/feed_reading.ts";

const ALLOW = '{"name": "Local allow-list", "type": "cidr", "list": ["192.0.2.10"]}';

describe("loadFeeds() into IndicatorIndex", () => {
  test("loaded feeds answer lookups with their category and context, allow-list hits suppress", async () => {
    const index = new IndicatorIndex();
    const reports = await loadFeeds(
      {
        updateFrequencyMinutes: 0,
        registry: "kl_feed_info.conf",
        feeds: [
          feedConfig({ filename: "IP_Reputation_Data_Feed.json", format: "kaspersky", category: "IP_Reputation_Data_Feed" }),
          feedConfig({ filename: "blocklist.txt", category: "Blocklist" }),
          feedConfig({ filename: "allow.json", format: "misp", allowList: true, category: "Allowed" }),
        ],
      },
      {
        openFeed: (name) => (name === "allow.json" ? Promise.resolve(ALLOW) : readFile(fixturePath(name), "utf8")),
        readRegistry: (path) => readFile(fixturePath(path), "utf8"),
        index,
        now: () => 1_000,
      },
    );
    expect(reports.map((r) => [r.name, r.loaded, r.skipped, r.error])).toEqual([
      ["IP_Reputation_Data_Feed.json", 1, 1, undefined],
      ["blocklist.txt", 8, 2, undefined],
      ["allow.json", 1, 0, undefined],
    ]);
    expect(reports[0]!.warnings).toEqual(['IP_Reputation_Data_Feed.json: record 2: not an IPv4 or IPv6 address: "198.51.100.300"']);

    const reputation = index.lookup("IP", "203.0.113.42", 2_000).records;
    expect(reputation.map((r) => [r.feed.name, r.category, r.indicator, r.fields.slice(0, 3)])).toEqual([
      ["IP_Reputation_Data_Feed.json", "KL_IP_Reputation", "203.0.113.42", [["id", "1234567890"], ["threat_score", "85"], ["category", "phishing"]]],
    ]);
    expect(index.lookup("DOMAIN", "bad.example", 2_000).records.map((r) => [r.category, r.indicator])).toEqual([["Blocklist", "bad.example"]]);
    expect(index.lookup("IP", "198.51.100.77", 2_000).records.map((r) => r.indicator)).toEqual(["198.51.100.0/24"]);
    expect(index.lookup("IP", "192.0.2.10", 2_000)).toEqual({ records: [], suppressed: 1 });
  });
});
