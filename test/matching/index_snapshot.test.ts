import { describe, expect, test } from "bun:test";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { FeedEntry, LookupType } from "../../src/matching/types.ts";

const NOW = Date.UTC(2025, 0, 1);
const MD5 = "5D41402ABC4B2A76B9719D911017C592";

/** One feed of every kind of table the index has: keys, zones, masks, networks, hashes, kept texts. */
function sampleIndex(): IndicatorIndex {
  const index = new IndicatorIndex();
  const bad = index.addFeed({ name: "bad", category: "Bad", confidence: 100, allowList: false, loadedAt: NOW, indicatorLifetimeMinutes: 0 });
  const allow = index.addFeed({ name: "allow", category: "Allow", confidence: 100, allowList: true, loadedAt: NOW, indicatorLifetimeMinutes: 0 });
  const entries: [number, FeedEntry][] = [
    [bad, { kind: "DOMAIN", value: "evil.example", fields: [["family", "x"]] }],
    [bad, { kind: "DOMAIN", value: ".zone.test", fields: [["family", "zone"]] }],
    [bad, { kind: "URL", value: "http://Bad.Example/Path?q=1", fields: [["family", "url"]] }],
    [bad, { kind: "URL", value: "*.mask.example/dl/*.exe", fields: [] }],
    [bad, { kind: "URL", value: "/gate.php", fields: [] }],
    [bad, { kind: "URL", value: "fakess123.nu", fields: [] }],
    [bad, { kind: "IP", value: "192.0.2.7", fields: [["port", "80"]] }],
    [bad, { kind: "IP", value: "198.51.100.0/24", fields: [] }],
    [bad, { kind: "IP", value: "10.0.0.0/8", fields: [] }],
    [bad, { kind: "IP", value: "2001:db8::/32", fields: [] }],
    [bad, { kind: "MD5", value: MD5.toLowerCase(), category: "Own", fields: [] }],
    [allow, { kind: "DOMAIN", value: "good.evil.example", fields: [] }],
  ];
  for (const [feed, entry] of entries) {
    const error = index.add(feed, entry);
    if (error !== undefined) throw new Error(error);
  }
  index.compact();
  return index;
}

const LOOKUPS: [LookupType, string][] = [
  ["DOMAIN", "evil.example"], ["DOMAIN", "cdn.evil.example"], ["DOMAIN", "good.evil.example"], ["DOMAIN", "a.zone.test"],
  ["DOMAIN", "zone.test"], ["URL", "http://bad.example/Path?q=1"], ["URL", "http://x.mask.example/dl/a.exe"],
  ["URL", "http://any.host/gate.php"], ["URL", "fakess123.nu"], ["DOMAIN", "fakess123.nu"], ["IP", "192.0.2.7"],
  ["IP", "198.51.100.9"], ["IP", "10.1.2.3"], ["IP", "2001:db8::1"], ["HASH", MD5], ["MD5", MD5.toLowerCase()], ["DOMAIN", "clean.example"],
];

function describeAll(index: IndicatorIndex): string[][] {
  return LOOKUPS.map(([type, value]) => index.lookup(type, value, NOW).records.map((r) => `${r.feed.name} ${r.kind} ${r.indicator} ${r.category} ${JSON.stringify(r.fields)}`));
}

describe("IndicatorIndex.share() and fromSnapshot()", () => {
  test("a reader rebuilt from the snapshot answers every lookup as the index does", () => {
    const index = sampleIndex();
    const before = describeAll(index);
    const snapshot = index.share();
    // The original keeps answering on the shared copies.
    expect(describeAll(index)).toEqual(before);
    expect(describeAll(IndicatorIndex.fromSnapshot(snapshot))).toEqual(before);
    expect(before.flat().length).toBeGreaterThan(12);
  });

  test("the tables move onto SharedArrayBuffers, which a worker thread reads without a copy", async () => {
    const index = sampleIndex();
    const expected = describeAll(index);
    const snapshot = index.share();
    const worker = new Worker(new URL("./index_snapshot-fixture.ts", import.meta.url).href, { type: "module" });
    try {
      const reply = await new Promise<{ answers: string[][]; linksShared: boolean }>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
        worker.postMessage({ snapshot, lookups: LOOKUPS, now: NOW });
      });
      expect(reply).toEqual({ answers: expected, linksShared: true });
    } finally {
      worker.terminate();
    }
  });

  test("shares exactly the fields known to be tables, so a new per-lookup scratch field cannot be shared by mistake", () => {
    // A field added to IndicatorIndex or a table lands here: if it is per-lookup scratch, name it
    // in READER_SCRATCH (indicator_index.ts) or PRIVATE_FIELDS (_shared_tables.ts), else add it below.
    const names = new Set<string>();
    const walk = (owner: string, fields: Record<string, unknown>) => {
      for (const [key, value] of Object.entries(fields)) {
        names.add(`${owner}.${key}`);
        for (const v of Array.isArray(value) ? value : [value]) {
          if (typeof v === "object" && v !== null && "table" in v && "fields" in v) walk((v as { table: string }).table, (v as { fields: Record<string, unknown> }).fields);
        }
      }
    };
    walk("IndicatorIndex", sampleIndex().share().fields as Record<string, unknown>);
    const table = (name: string, fields: string) => fields.split(" ").map((f) => `${name}.${f}`);
    expect([...names].sort()).toEqual(
      [
        ...table("IndicatorIndex", "domains entries feedAllow feedCounts feedExpiry feeds hashes ips masks urls"),
        ...table("EntryStore", "contextCategory contextFeed contextFields contextFlags links size textArena textCount textEntry textLength textOffsets"),
        ...table("KeyTable", "arena arenaLength filter heads mask offsets size slots"),
        ...table("PresenceFilter", "bits shift"),
        ...table("IpTable", "addr4 addr6 blocks4 counts4 counts6 exactAddr exactBlocks exactFilter exactHead exactSize head4 head6 len4 len6 lengths6 short4 size4 size6"),
        ...table("MaskIndex", "bucketNext byHost byRest byRestPrefix bySuffix hostCapable patternHostEnd patterns restPrefixLengths"),
      ].sort(),
    );
  });

  test("a rebuilt reader refuses additions", () => {
    const reader = IndicatorIndex.fromSnapshot(sampleIndex().share());
    expect(() => reader.add(0, { kind: "DOMAIN", value: "new.example", fields: [] })).toThrow("read-only");
  });
});
