import { describe, expect, test } from "bun:test";
import type { FeedConfig, FeedFormat, FeedsSettings } from "../../src/config/types.ts";
import { loadFeeds, type FeedLoadReport } from "../../src/feeds/load_feeds.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import { feedConfig, fixture } from "../_support/feed_reading.ts";
import { prng } from "../_support/child_processes.ts";

const MB = "A".repeat(1 << 20);

/** The feed tests' config builder, with this suite's file name, format and category. */
function feed(filename: string, format: FeedFormat, overrides: Partial<FeedConfig> = {}): FeedConfig {
  return feedConfig({ filename, format, category: "Fuzz", ...overrides });
}

/** Loads one feed from `text` into a real index; loadFeeds must never throw. */
async function load(config: FeedConfig, text: string): Promise<{ report: FeedLoadReport; ms: number }> {
  const settings: FeedsSettings = { updateFrequencyMinutes: 0, feeds: [config] };
  const started = performance.now();
  const [report] = await loadFeeds(settings, { openFeed: async () => text, index: new IndicatorIndex(), now: Date.now });
  return { report: report!, ms: performance.now() - started };
}

/** A clear report: an error is one line without a stack; every warning is one line. */
function expectClear(report: FeedLoadReport): void {
  for (const message of [report.error ?? "", ...report.warnings]) {
    expect(message).not.toContain("\n");
    expect(message).not.toMatch(/\bat .+:\d+:\d+/);
    expect(message.length).toBeLessThan(600);
  }
}

const BOTNET_FIELDS = [{ name: "mask", type: "URL", category: "KL_BotnetCnC_URL" }] as const;

describe("malformed feeds", () => {
  test.each([
    ["truncated Kaspersky JSON", feed("Botnet_CnC_URL_Data_Feed.json", "kaspersky", { fields: [...BOTNET_FIELDS] }), fixture("Botnet_CnC_URL_Data_Feed.json").slice(0, 400), { error: true }],
    ["a CSV with wrong column counts", feed("columns.csv", "csv", { header: true }), "indicator,kind,note\n192.0.2.1,ip,a\n192.0.2.2\n192.0.2.3,ip,a,extra,cells\n192.0.2.4,ip,b\n", { loaded: 2, skipped: 2 }],
    ["a CSV with a 1 MB field", feed("big.csv", "csv"), `192.0.2.1,${MB}\n${MB},x\n192.0.2.2,ok\n`, { loaded: 2, skipped: 1 }],
    ["a CSV with an unclosed quote before sixty 1 MB lines", feed("quote.csv", "csv"), `192.0.2.1,"never closed\n${`${MB},x\n`.repeat(60)}192.0.2.2,ok\n`, { loaded: 1, skipped: 61 }],
    ["a lines feed with a 1 MB line", feed("big.txt", "lines"), `192.0.2.1\n${MB}\nbad.example\n`, { loaded: 2, skipped: 1 }],
    ["Kaspersky JSON with a 1 MB field", feed("Botnet_CnC_URL_Data_Feed.json", "kaspersky", { fields: [...BOTNET_FIELDS] }), `[{"mask":"bad.example/x","note":"${MB}"},{"mask":"${MB}"},{"mask":"ok.example/y"}]`, { loaded: 2, skipped: 1 }],
    ["a TSV with a 1 MB field", feed("ipsum.tsv", "tsv"), `192.0.2.1\t${MB}\n${MB}\n`, { loaded: 1, skipped: 1 }],
  ] as const)("%s: loads what it can and counts or reports the rest", async (_name, config, text, expected) => {
    // A pathological input that made loading quadratic would hit the test's own timeout.
    const { report } = await load(config, text);
    expectClear(report);
    if ("error" in expected) expect(report.error).toStartWith(`${config.filename}: `);
    else expect(report.error).toBeUndefined();
    if ("loaded" in expected) expect(report.loaded).toBe(expected.loaded);
    if ("skipped" in expected) expect(report.skipped).toBe(expected.skipped);
  });

  const SEEDS = [
    ["Botnet_CnC_URL_Data_Feed.json", feed("Botnet_CnC_URL_Data_Feed.json", "kaspersky", { fields: [...BOTNET_FIELDS] })],
    ["IP_Reputation_Data_Feed.json", feed("IP_Reputation_Data_Feed.json", "kaspersky", { fields: [{ name: "ip", type: "IP", category: "KL_IP_Reputation" }] })],
    ["urlhaus.csv", feed("urlhaus.csv", "csv", { header: true, fields: [{ name: "url", type: "URL", category: "URLhaus" }] })],
    ["threatfox.csv", feed("threatfox.csv", "csv", { header: true, fields: [{ name: "ioc_value", type: "AUTO", category: "ThreatFox" }] })],
    ["columns.csv", feed("columns.csv", "csv", { header: true })],
    ["ipsum.tsv", feed("ipsum.tsv", "tsv")],
    ["blocklist.txt", feed("blocklist.txt", "lines")],
    ["trails.tsv", feed("trails.tsv", "maltrail")],
    ["intel.dat", feed("intel.dat", "zeek")],
    ["documentation-networks.json", feed("documentation-networks.json", "misp")],
    ["bundle.json", feed("bundle.json", "stix", { fields: [{ name: "pattern", type: "AUTO", category: "STIX" }] })],
  ] as const;
  const JUNK = [",", '"', "\t", "\n", "{", "}", "[", "]", ":", "\\", "\\u00", "\0", "\uFFFD", "null", "#", "#fields\t", "[:", "' OR ", MB];

  test.each(SEEDS)("40 seeded truncations and mutations of %s load or fail with one clear line, in bounded time", async (name, config) => {
    const text = fixture(name);
    for (let seed = 1; seed <= 40; seed++) {
      const r = prng(seed * 104_729 + name.length);
      let mutated = text;
      for (let n = 1 + r.int(3); n > 0; n--) {
        const at = r.int(mutated.length);
        switch (r.int(4)) {
          case 0:
            mutated = mutated.slice(0, at);
            break;
          case 1:
            mutated = mutated.slice(0, at) + mutated.slice(at + 1 + r.int(40));
            break;
          case 2:
            mutated = mutated.slice(0, at) + r.pick(JUNK) + mutated.slice(at);
            break;
          default:
            mutated = mutated.slice(0, at) + mutated.slice(at, at + 1 + r.int(120)) + mutated.slice(at);
        }
      }
      const { report, ms } = await load(config, mutated);
      // Replay a failure from its seed and file name.
      expect({ seed, slow: ms > 3000, loadedOrCounted: report.loaded >= 0 && report.skipped >= 0 }).toEqual({ seed, slow: false, loadedOrCounted: true });
      expectClear(report);
    }
  }, 30_000);
});
