import { describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { CATALOGUE_NAMES, FEED_CATALOGUE, type CatalogueName } from "../../src/config/feed_catalogue.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import type { FeedConfig } from "../../src/config/types.ts";
import { loadFeeds, type FeedLoadReport } from "../../src/feeds/load_feeds.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { LookupType } from "../../src/matching/types.ts";
import { fixturePath } from "../_support/feed_reading.ts";

/** A service config whose Feeds element is `feeds`. */
function configWith(feeds: string): { feeds: readonly FeedConfig[]; warnings: string[] } {
  const text = `<Configuration><InputSettings><ConnectionString>127.0.0.1:9999</ConnectionString></InputSettings><Feeds>${feeds}</Feeds></Configuration>`;
  const { config, warnings } = parseServiceConfig(text, "kl_feed_service.conf", { strict: true });
  return { feeds: config.feeds.feeds, warnings };
}

/**
 * Loads catalogue feed `name` from its fixture (test/fixtures/feeds/catalogue/<filename>) into a
 * fresh index, after a feed `block.txt` holding the lines `blocked` (what an allow-list suppresses).
 */
async function load(name: CatalogueName, blocked: readonly string[] = []): Promise<{ report: FeedLoadReport; index: IndexLookups }> {
  const { feeds } = configWith(`<Feed filename="block.txt" category="Blocked"/><Feed source="${name}"/>`);
  const index = new IndicatorIndex();
  const [, report] = await loadFeeds(
    { updateFrequencyMinutes: 0, feeds },
    {
      openFeed: (filename) => (filename === "block.txt" ? Promise.resolve(blocked.join("\n")) : readFile(fixturePath(`catalogue/${filename}`), "utf8")),
      readRegistry: () => Promise.reject(new Error("no registry")),
      index,
      now: () => 1_000,
    },
  );
  return { report: report!, index: { lookup: (type, value) => index.lookup(type, value, 2_000) } };
}

interface IndexLookups {
  lookup(type: LookupType, value: string): ReturnType<IndicatorIndex["lookup"]>;
}

/**
 * Per catalogue entry: entries loaded and skipped from its fixture, and one lookup that must
 * hit (a detection with the catalogue's category, or for an allow-list a suppression).
 */
const CASES: Record<CatalogueName, { loaded: number; skipped: number; hit: [LookupType, string, string] }> = {
  urlhaus: { loaded: 3, skipped: 0, hit: ["URL", "https://cdn.payload.example/invoice,2026.exe", "URLhaus"] },
  threatfox: { loaded: 4, skipped: 0, hit: ["IP", "192.0.2.150", "ThreatFox"] },
  feodo: { loaded: 3, skipped: 0, hit: ["IP", "198.51.100.129", "FeodoTracker"] },
  ipsum: { loaded: 5, skipped: 0, hit: ["IP", "77.239.124.102", "IPsum"] },
  "spamhaus-drop": { loaded: 3, skipped: 0, hit: ["IP", "198.51.100.200", "Spamhaus_DROP"] },
  "firehol-level1": { loaded: 3, skipped: 0, hit: ["IP", "198.51.100.9", "FireHOL_level1"] },
  openphish: { loaded: 4, skipped: 0, hit: ["URL", "http://203.0.113.45/office365/index.html", "OpenPhish"] },
  "et-compromised": { loaded: 5, skipped: 0, hit: ["IP", "203.0.113.9", "ET_Compromised"] },
  "misp-rfc1918": { loaded: 3, skipped: 0, hit: ["IP", "172.20.1.1", "suppressed"] },
  "misp-rfc5735": { loaded: 15, skipped: 0, hit: ["IP", "127.0.0.1", "suppressed"] },
  "misp-rfc6598": { loaded: 1, skipped: 0, hit: ["IP", "100.64.7.7", "suppressed"] },
  "misp-ipv6-linklocal": { loaded: 1, skipped: 0, hit: ["IP", "fe80::1", "suppressed"] },
  "misp-public-dns-v4": { loaded: 5, skipped: 0, hit: ["IP", "1.0.0.19", "suppressed"] },
  "misp-public-dns-v6": { loaded: 5, skipped: 0, hit: ["IP", "2001:148f:fffe::1", "suppressed"] },
  "misp-google-gcp": { loaded: 5, skipped: 0, hit: ["IP", "104.154.113.9", "suppressed"] },
  "misp-tranco10k": { loaded: 5, skipped: 0, hit: ["DOMAIN", "10086.cn", "suppressed"] },
  // MD5, SHA-1 and SHA-256; SHA-224, SHA-512 and the ssdeep hash "3::" (not the IPv6 address it looks like) are skipped.
  "misp-empty-hashes": { loaded: 3, skipped: 3, hit: ["SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "suppressed"] },
  "misp-common-ioc-false-positive": { loaded: 5, skipped: 0, hit: ["SHA256", "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b", "suppressed"] },
  "misp-ti-falsepositives": { loaded: 5, skipped: 0, hit: ["MD5", "00014cb6ebc0e2fb3f83dec061fc8ac1", "suppressed"] },
};

describe("the feed catalogue", () => {
  test.each(CATALOGUE_NAMES)("%s: its fixture in the feed's real layout loads, and a listed indicator is found", async (name) => {
    const { loaded, skipped, hit } = CASES[name];
    const [type, value, category] = hit;
    const { report, index } = await load(name, category === "suppressed" ? [value] : []);
    expect([report.name, report.loaded, report.skipped, report.error]).toEqual([FEED_CATALOGUE[name].attributes.filename, loaded, skipped, undefined]);
    const result = index.lookup(type, value);
    if (category === "suppressed") expect([result.records.length, result.suppressed]).toEqual([0, 1]);
    else expect(result.records.map((r) => r.category)).toEqual([category]);
  });

  test("ThreatFox's ip:port keeps the port as a field, Spamhaus DROP's SBL number is the comment", async () => {
    const threatfox = (await load("threatfox")).index.lookup("IP", "192.0.2.150").records[0]!;
    expect(threatfox.fields.filter(([name]) => name === "port" || name === "malware_printable")).toEqual([
      ["malware_printable", "Cobalt Strike"],
      ["port", "4443"],
    ]);
    expect((await load("spamhaus-drop")).index.lookup("IP", "192.0.2.1").records[0]!.fields).toEqual([["comment", "SBL600001"]]);
  });

  test("attributes written on the Feed replace the catalogue's one by one; its own Field replaces the catalogue's", () => {
    const { feeds } = configWith(`<Feed source="feodo" category="C2" confidence="70"/><Feed source="threatfox"><Field name="ioc_value" type="URL"/></Feed>`);
    expect(feeds.map((f) => [f.source, f.remote?.url, f.filename, f.format, f.category, f.confidence, f.fields])).toEqual([
      ["feodo", "https://feodotracker.abuse.ch/downloads/ipblocklist.csv", "feodo.csv", "csv", "C2", 70, [{ name: "dst_ip", type: "IP", category: "C2" }]],
      ["threatfox", "https://threatfox.abuse.ch/export/csv/recent/", "threatfox.csv", "csv", "ThreatFox", 100, [{ name: "ioc_value", type: "URL", category: "ThreatFox" }]],
    ]);
  });

  test("the catalogue's refresh applies unless the Feed sets its own", () => {
    const { feeds } = configWith(`<Feed source="ipsum"/><Feed source="spamhaus-drop" refresh="1440"/><Feed source="urlhaus"/>`);
    expect(feeds.map((f) => [f.filename, f.remote?.refreshMinutes])).toEqual([
      ["ipsum.txt", 1440],
      ["spamhaus-drop.txt", 1440],
      ["urlhaus.csv", undefined],
    ]);
  });

  test("an unknown source is a config error naming the file, the line and every valid name", () => {
    expect(() => configWith(`\n<Feed source="urlhouse"/>`)).toThrow(
      `kl_feed_service.conf:2: Configuration > Feeds > Feed attribute source names no catalogue feed: got "urlhouse", expected one of ${CATALOGUE_NAMES.join(", ")}`,
    );
  });
});
