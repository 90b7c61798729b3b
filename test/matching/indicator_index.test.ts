import { describe, expect, test } from "bun:test";
import { IndicatorIndex, type IndicatorIndexOptions } from "../../src/matching/indicator_index.ts";
import type { FeedInfo, IndicatorKind, LookupResult, LookupType } from "../../src/matching/types.ts";

const NOW = Date.UTC(2025, 0, 1);
const MD5 = "5D41402ABC4B2A76B9719D911017C592";
const SHA1 = "86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8";
const SHA256 = "CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB";

function feedInfo(name: string, extra: Partial<FeedInfo> = {}): FeedInfo {
  return { name, category: `${name}_category`, confidence: 100, allowList: false, loadedAt: NOW, indicatorLifetimeMinutes: 0, ...extra };
}

/** An index with one feed holding `entries` ([kind, value]); throws if one is rejected. */
function indexOf(entries: readonly (readonly [IndicatorKind, string])[], options?: IndicatorIndexOptions) {
  const index = new IndicatorIndex(options);
  const feed = index.addFeed(feedInfo("demo"));
  for (const [kind, value] of entries) {
    const error = index.add(feed, { kind, value, fields: [["note", value]] });
    if (error !== undefined) throw new Error(error);
  }
  return index;
}

/** What a lookup found, as `KIND indicator` strings (sorted), for one toEqual. */
function found(result: LookupResult): string[] {
  return result.records.map((r) => `${r.kind} ${r.indicator}`).sort();
}

describe("IndicatorIndex hashes", () => {
  const index = indexOf([["MD5", MD5], ["SHA1", SHA1.toLowerCase()], ["SHA256", SHA256]]);

  test.each([
    ["MD5", MD5.toLowerCase(), [`MD5 ${MD5}`]],
    ["SHA1", SHA1, [`SHA1 ${SHA1.toLowerCase()}`]],
    ["SHA256", SHA256, [`SHA256 ${SHA256}`]],
    ["HASH", MD5, [`MD5 ${MD5}`]],
    ["HASH", SHA1, [`SHA1 ${SHA1.toLowerCase()}`]],
    ["HASH", SHA256.toLowerCase(), [`SHA256 ${SHA256}`]],
    ["HASH", MD5.slice(1), []],
    ["HASH", `${MD5}00`, []],
    ["SHA1", MD5, []],
    ["MD5", `${MD5.slice(0, 31)}G`, []],
    ["HASH", "", []],
  ] as const)("%s lookup of %p matches case-insensitively by length", (type, value, expected) => {
    expect(found(index.lookup(type, value, NOW))).toEqual([...expected]);
  });

  test.each([
    ["MD5", "ABC", 'not an MD5 hash (32 hex digits): "ABC"'],
    ["SHA1", MD5, `not an SHA1 hash (40 hex digits): "${MD5}"`],
    ["SHA256", `${SHA256.slice(0, 63)}Z`, `not an SHA256 hash (64 hex digits): "${SHA256.slice(0, 63)}Z"`],
  ] as const)("rejects a %s entry %p with the reason", (kind, value, reason) => {
    const index = new IndicatorIndex();
    const feed = index.addFeed(feedInfo("demo"));
    expect(index.add(feed, { kind, value, fields: [] })).toBe(reason);
  });
});

describe("IndicatorIndex IP addresses and networks", () => {
  const entries = [
    ["IP", "198.51.100.7"],
    ["IP", "198.51.100.0/24"],
    ["IP", "198.0.0.0/8"],
    ["IP", "203.0.113.0/28"],
    ["IP", "2001:db8::1"],
    ["IP", "2001:db8::/32"],
    ["IP", "192.0.2.1"],
  ] as const;
  const index = indexOf(entries);

  test.each([
    ["198.51.100.7", ["IP 198.0.0.0/8", "IP 198.51.100.0/24", "IP 198.51.100.7"]],
    ["198.51.100.8", ["IP 198.0.0.0/8", "IP 198.51.100.0/24"]],
    ["198.1.2.3", ["IP 198.0.0.0/8"]],
    ["203.0.113.15", ["IP 203.0.113.0/28"]],
    ["203.0.113.16", []],
    ["2001:db8::1", ["IP 2001:db8::/32", "IP 2001:db8::1"]],
    ["2001:DB8:0:0:0:0:0:1", ["IP 2001:db8::/32", "IP 2001:db8::1"]],
    ["[2001:db8::1]", ["IP 2001:db8::/32", "IP 2001:db8::1"]],
    ["2001:db9::1", []],
    ["::ffff:192.0.2.1", ["IP 192.0.2.1"]],
    ["192.0.2.2", []],
  ])("finds every entry containing %p", (value, expected) => {
    expect(found(index.lookup("IP", value, NOW))).toEqual(expected);
  });

  test.each(["evil.example", "1.2.3", "", "198.51.100.7:80", "::g", "198.51.100.7/24"])(
    "finds nothing for the non-address %p",
    (value) => {
      expect(index.lookup("IP", value, NOW)).toEqual({ records: [], suppressed: 0 });
    },
  );

  test.each([
    ["198.51.100.7", ["IP 198.51.100.7"]],
    ["198.51.100.8", ["IP 198.51.100.0/24"]],
    ["198.1.2.3", ["IP 198.0.0.0/8"]],
    ["2001:db8::2", ["IP 2001:db8::/32"]],
  ])("with ipMatch longest, returns only the most specific match for %p", (value, expected) => {
    const longest = indexOf(entries, { ipMatch: "longest" });
    expect(found(longest.lookup("IP", value, NOW))).toEqual(expected);
  });

  test("keeps the feed's own text as the matched indicator", () => {
    const index = indexOf([["IP", "198.51.100.77/24"], ["IP", "198.51.100.0/24"], ["IP", "2001:DB8::0001"]]);
    expect([...found(index.lookup("IP", "198.51.100.1", NOW)), ...found(index.lookup("IP", "2001:db8::1", NOW))]).toEqual([
      "IP 198.51.100.0/24",
      "IP 198.51.100.77/24",
      "IP 2001:DB8::0001",
    ]);
  });

  test.each([
    ["1.2.3", 'not an IPv4 or IPv6 address: "1.2.3"'],
    ["10.0.0.0/40", 'CIDR prefix length must be 0 to 32 for IPv4: "10.0.0.0/40"'],
    ["evil.example", 'not an IPv4 or IPv6 address: "evil.example"'],
  ])("rejects the IP entry %p with the reason", (value, reason) => {
    const index = new IndicatorIndex();
    const feed = index.addFeed(feedInfo("demo"));
    expect(index.add(feed, { kind: "IP", value, fields: [] })).toBe(reason);
  });
});

describe("IndicatorIndex domains", () => {
  const index = indexOf([["DOMAIN", "evil.example"], ["DOMAIN", ".zone"], ["DOMAIN", "*.wild.example"], ["DOMAIN", "WWW.Shop.Example."]]);

  test.each([
    ["evil.example", ["DOMAIN evil.example"]],
    ["a.b.evil.example", ["DOMAIN evil.example"]],
    ["EVIL.Example.", ["DOMAIN evil.example"]],
    ["www.evil.example", ["DOMAIN evil.example"]],
    ["  evil.example ", ["DOMAIN evil.example"]],
    ["notevil.example", []],
    ["example", []],
    ["zone", []],
    ["x.zone", ["DOMAIN .zone"]],
    ["a.b.zone", ["DOMAIN .zone"]],
    ["wild.example", []],
    ["cdn.wild.example", ["DOMAIN *.wild.example"]],
    ["shop.example", ["DOMAIN WWW.Shop.Example."]],
    ["", []],
    [".", []],
  ])("DOMAIN lookup of %p", (value, expected) => {
    expect(found(index.lookup("DOMAIN", value, NOW))).toEqual(expected);
  });

  test.each(["evil example", "evil.example/path", "user@evil.example", ""])("rejects the domain entry %p", (value) => {
    const index = new IndicatorIndex();
    const feed = index.addFeed(feedInfo("demo"));
    expect(index.add(feed, { kind: "DOMAIN", value, fields: [] })).toBe(`not a domain name: "${value}"`);
  });
});

describe("IndicatorIndex URLs and masks", () => {
  const index = indexOf([
    ["URL", "http://c2.example.org/gate.php"],
    ["URL", "bad.example/*"],
    ["URL", "*.evil.test/dl/*.exe"],
    ["URL", "login-portal.example.net/secure/*"],
    ["URL", "/admin/boot/dll/list.php"],
    ["URL", "*/wp-*/shell.php"],
    ["URL", "*.phish.example"],
    ["URL", "cdn*.files.example/x"],
    ["URL", "*/dl/files/*.bin"],
    ["URL", "*/a-literal-path-prefix/longer-than/thirty-two/bytes/*"],
  ]);

  test.each([
    ["http://c2.example.org/gate.php", ["URL http://c2.example.org/gate.php"]],
    ["HTTPS://WWW.C2.Example.org:8443/GATE.php#frag", ["URL http://c2.example.org/gate.php"]],
    ["c2.example.org/gate.php?id=1", []],
    ["c2.example.org", []],
    ["http://www.BAD.example/Login.php?x=1", ["URL bad.example/*"]],
    ["bad.example", ["URL bad.example/*"]],
    ["sub.bad.example/x", []],
    ["https://cdn.evil.test/dl/a.exe", ["URL *.evil.test/dl/*.exe"]],
    ["https://a.b.evil.test/dl/sub/a.exe", ["URL *.evil.test/dl/*.exe"]],
    ["https://evil.test/dl/a.exe", []],
    ["https://cdn.evil.test/dl/a.exe.txt", []],
    ["login-portal.example.net/secure", ["URL login-portal.example.net/secure/*"]],
    ["login-portal.example.net/secure/step/2", ["URL login-portal.example.net/secure/*"]],
    ["login-portal.example.net/securex", []],
    ["http://any.host.example/admin/boot/dll/list.php", ["URL /admin/boot/dll/list.php"]],
    ["http://198.51.100.1:8080/ADMIN/boot/dll/list.php", ["URL /admin/boot/dll/list.php"]],
    ["http://any.host.example/x/admin/boot/dll/list.php", []],
    ["http://any.host.example/admin/boot/dll/list.php?x=1", []],
    ["site.example/wp-content/shell.php", ["URL */wp-*/shell.php"]],
    ["site.example/wp-content/a/shell.php", ["URL */wp-*/shell.php"]],
    ["site.example/shell.php", []],
    ["a.phish.example", ["URL *.phish.example"]],
    ["phish.example", []],
    ["a.phish.example/login", []],
    ["cdn7.files.example/x", ["URL cdn*.files.example/x"]],
    ["cdn.files.example/x", ["URL cdn*.files.example/x"]],
    ["img.files.example/x", []],
    ["http://x.example/dl/files/a.bin", ["URL */dl/files/*.bin"]],
    ["http://x.example/dl/files/sub/a.bin", ["URL */dl/files/*.bin"]],
    ["http://x.example/dl/a.bin", []],
    ["http://x.example/a-literal-path-prefix/longer-than/thirty-two/bytes/z", ["URL */a-literal-path-prefix/longer-than/thirty-two/bytes/*"]],
    ["http://x.example/a-literal-path-prefix/longer-than/thirty-two/bytes", ["URL */a-literal-path-prefix/longer-than/thirty-two/bytes/*"]],
    ["http://x.example/a-literal-path-prefix/longer-than/thirty-two/byte", []],
    ["not a url at all \u0000", []],
  ])("URL lookup of %p", (value, expected) => {
    expect(found(index.lookup("URL", value, NOW))).toEqual(expected);
  });

  test("rejects a URL entry the normaliser refuses, with the reason", () => {
    const index = new IndicatorIndex({ normalizeUrl: (s) => (s.includes(" ") ? undefined : s) });
    const feed = index.addFeed(feedInfo("demo"));
    expect(index.add(feed, { kind: "URL", value: "bad host/x", fields: [] })).toBe('not a valid URL: "bad host/x"');
  });
});

describe("IndicatorIndex across kinds", () => {
  const index = indexOf([
    ["URL", "fakess123.nu"],
    ["URL", "147.78.103.91/"],
    ["URL", "[2001:db8::9]"],
    ["URL", "*.cdn.example/*"],
    ["DOMAIN", "evil.example"],
    ["IP", "198.51.100.0/24"],
    ["IP", "2001:db8:1::/48"],
  ]);

  test.each([
    ["DOMAIN", "fakess123.nu", ["URL fakess123.nu"]],
    ["DOMAIN", "sub.fakess123.nu", []],
    ["URL", "fakess123.nu", ["URL fakess123.nu"]],
    ["URL", "http://fakess123.nu/", ["URL fakess123.nu"]],
    ["URL", "fakess123.nu/x", []],
    ["IP", "147.78.103.91", ["URL 147.78.103.91/"]],
    ["URL", "http://147.78.103.91", ["URL 147.78.103.91/"]],
    ["URL", "http://147.78.103.91/x.php", []],
    ["IP", "2001:db8::9", ["URL [2001:db8::9]"]],
    ["DOMAIN", "a.cdn.example", ["URL *.cdn.example/*"]],
    ["DOMAIN", "cdn.example", []],
    ["URL", "http://a.evil.example/x?y=1", ["DOMAIN evil.example"]],
    ["URL", "evil.example", ["DOMAIN evil.example"]],
    ["URL", "http://198.51.100.20/x", ["IP 198.51.100.0/24"]],
    ["URL", "http://[2001:db8:1::5]/x", ["IP 2001:db8:1::/48"]],
    ["IP", "evil.example", []],
    ["DOMAIN", "198.51.100.20", []],
  ] as const)("%s lookup of %p", (type: LookupType, value, expected) => {
    expect(found(index.lookup(type, value, NOW))).toEqual([...expected]);
  });
});

describe("IndicatorIndex allow-lists", () => {
  function allowIndex() {
    const index = new IndicatorIndex();
    const bad = index.addFeed(feedInfo("bad"));
    const worse = index.addFeed(feedInfo("worse"));
    const allow = index.addFeed(feedInfo("allow", { allowList: true }));
    index.add(bad, { kind: "DOMAIN", value: "dyn.example", fields: [] });
    index.add(bad, { kind: "DOMAIN", value: "host.dyn.example", fields: [] });
    index.add(worse, { kind: "DOMAIN", value: "host.dyn.example", fields: [] });
    index.add(bad, { kind: "IP", value: "8.8.8.8", fields: [] });
    index.add(bad, { kind: "MD5", value: MD5, fields: [] });
    index.add(allow, { kind: "DOMAIN", value: "host.dyn.example", fields: [] });
    index.add(allow, { kind: "IP", value: "8.8.8.0/24", fields: [] });
    index.add(allow, { kind: "DOMAIN", value: "clean.example", fields: [] });
    return index;
  }
  const index = allowIndex();

  test.each([
    ["DOMAIN", "host.dyn.example", { records: [], suppressed: 3 }],
    ["DOMAIN", "a.host.dyn.example", { records: [], suppressed: 3 }],
    ["URL", "http://host.dyn.example/x", { records: [], suppressed: 3 }],
    ["IP", "8.8.8.8", { records: [], suppressed: 1 }],
    ["DOMAIN", "clean.example", { records: [], suppressed: 0 }],
  ] as const)("a %s lookup of %p that meets the allow-list returns no records", (type, value, expected) => {
    expect(index.lookup(type, value, NOW)).toEqual(expected);
  });

  test("other values still match", () => {
    expect([found(index.lookup("DOMAIN", "other.dyn.example", NOW)), found(index.lookup("HASH", MD5, NOW))]).toEqual([
      ["DOMAIN dyn.example"],
      [`MD5 ${MD5}`],
    ]);
  });
});

describe("IndicatorIndex lifetime, categories, fields and counts", () => {
  test.each([
    [NOW + 59 * 60_000, 1],
    [NOW + 60 * 60_000, 0],
  ])("an indicator with a 60-minute lifetime matches at %p: %p records", (now, count) => {
    const index = new IndicatorIndex();
    const feed = index.addFeed(feedInfo("short", { indicatorLifetimeMinutes: 60 }));
    index.add(feed, { kind: "DOMAIN", value: "evil.example", fields: [] });
    expect(index.lookup("DOMAIN", "evil.example", now).records.length).toBe(count);
  });

  test("an expired allow-list no longer suppresses", () => {
    const index = new IndicatorIndex();
    const bad = index.addFeed(feedInfo("bad"));
    const allow = index.addFeed(feedInfo("allow", { allowList: true, indicatorLifetimeMinutes: 1 }));
    index.add(bad, { kind: "IP", value: "192.0.2.1", fields: [] });
    index.add(allow, { kind: "IP", value: "192.0.2.1", fields: [] });
    expect([index.lookup("IP", "192.0.2.1", NOW).suppressed, found(index.lookup("IP", "192.0.2.1", NOW + 60_000))]).toEqual([
      1,
      ["IP 192.0.2.1"],
    ]);
  });

  test("a record carries its feed, category (entry's, else the feed's) and fields", () => {
    const index = new IndicatorIndex();
    const info = feedInfo("kl");
    const feed = index.addFeed(info);
    const fields: [string, string][] = [["threat", "Trojan.Example"], ["popularity", "4"]];
    index.add(feed, { kind: "SHA256", value: SHA256, fields, category: "KL_Malicious_Hash_SHA256" });
    index.add(feed, { kind: "DOMAIN", value: "evil.example", fields: [] });
    fields[0] = ["threat", "changed by the loader"];
    expect([index.lookup("HASH", SHA256, NOW).records, index.lookup("DOMAIN", "evil.example", NOW).records]).toEqual([
      [{
        feed: info,
        kind: "SHA256",
        category: "KL_Malicious_Hash_SHA256",
        indicator: SHA256,
        fields: [["threat", "Trojan.Example"], ["popularity", "4"]],
      }],
      [{ feed: info, kind: "DOMAIN", category: "kl_category", indicator: "evil.example", fields: [] }],
    ]);
  });

  test("equal entries are merged; different contexts of one key each match", () => {
    const index = new IndicatorIndex();
    const a = index.addFeed(feedInfo("maltrail"));
    const b = index.addFeed(feedInfo("ipsum"));
    // Three ports of one Maltrail ip_port trail, dropped by the loader: one record.
    for (let i = 0; i < 3; i++) index.add(a, { kind: "IP", value: "192.0.2.1", fields: [["family", "x"]] });
    index.add(a, { kind: "IP", value: "192.0.2.1", fields: [["family", "y"]] });
    index.add(b, { kind: "IP", value: "192.0.2.1", fields: [["count", "3"]] });
    expect([
      index.lookup("IP", "192.0.2.1", NOW).records.map((r) => `${r.feed.name} ${r.fields[0]?.[1]}`).sort(),
      [...index.counts()],
      index.size,
    ]).toEqual([["ipsum 3", "maltrail x", "maltrail y"], [["maltrail", 2], ["ipsum", 1]], 3]);
  });

  test("counts() sums feeds of the same name and reports empty feeds", () => {
    const index = new IndicatorIndex();
    const a = index.addFeed(feedInfo("one"));
    const b = index.addFeed(feedInfo("one"));
    index.addFeed(feedInfo("empty"));
    index.add(a, { kind: "DOMAIN", value: "a.example", fields: [] });
    index.add(b, { kind: "DOMAIN", value: "b.example", fields: [] });
    index.add(b, { kind: "DOMAIN", value: "bad domain", fields: [] });
    expect([...index.counts()]).toEqual([["one", 2], ["empty", 0]]);
  });

  test("misses return one shared empty result (nothing allocated)", () => {
    const index = indexOf([["DOMAIN", "evil.example"]]);
    const first = index.lookup("DOMAIN", "good.example", NOW);
    expect([first === index.lookup("IP", "192.0.2.1", NOW), first]).toEqual([true, { records: [], suppressed: 0 }]);
  });

  test("add() with an unknown feed id throws", () => {
    expect(() => new IndicatorIndex().add(3, { kind: "DOMAIN", value: "a.example", fields: [] })).toThrow(
      "Unknown feed id: 3, expected 0 to -1",
    );
  });

  test("keeps finding entries after compact() and further adds", () => {
    const index = indexOf([["DOMAIN", "a.example"], ["URL", "b.example/x/*"], ["MD5", MD5]]);
    index.compact();
    index.add(0, { kind: "DOMAIN", value: "c.example", fields: [] });
    expect([
      found(index.lookup("DOMAIN", "x.a.example", NOW)),
      found(index.lookup("URL", "b.example/x/y", NOW)),
      found(index.lookup("HASH", MD5, NOW)),
      found(index.lookup("DOMAIN", "c.example", NOW)),
    ]).toEqual([["DOMAIN a.example"], ["URL b.example/x/*"], [`MD5 ${MD5}`], ["DOMAIN c.example"]]);
  });
});

describe("IndicatorIndex presence filters (built by compact())", () => {
  test("every indexed value is still found and absent ones miss, before and after compact() and later adds", () => {
    const values: [string, string][] = [];
    for (let i = 0; i < 3000; i++) {
      values.push(["IP", `10.${i >> 8}.${i & 255}.7`], ["DOMAIN", `host${i}.example`], ["URL", `u${i}.example/p/${i}`]);
    }
    const index = indexOf(values.map(([k, v]) => [k as IndicatorKind, v] as const));
    const hits = (): number => values.filter(([k, v]) => index.lookup(k as "IP" | "DOMAIN" | "URL", v, NOW).records.length > 0).length;
    const absent = (): number =>
      // Absent addresses in /16 blocks with and without listed ones (the per-/16 bitmap, then the filter).
      Array.from({ length: 3000 }, (_, i) => [index.lookup("IP", `10.200.${i & 255}.${i >> 8}`, NOW), index.lookup("IP", `10.${i >> 8}.${i & 255}.8`, NOW), index.lookup("DOMAIN", `other${i}.example`, NOW)]).flat().filter((r) => r.records.length > 0).length;
    const before = [hits(), absent()];
    index.compact();
    index.add(0, { kind: "IP", value: "192.0.2.77", fields: [] });
    index.add(0, { kind: "DOMAIN", value: "late.example", fields: [] });
    expect([before, [hits(), absent()], found(index.lookup("IP", "192.0.2.77", NOW)), found(index.lookup("DOMAIN", "www.late.example", NOW))]).toEqual([
      [9000, 0],
      [9000, 0],
      ["IP 192.0.2.77"],
      ["DOMAIN late.example"],
    ]);
  });
});

describe("IndicatorIndex repeated hits (result cache)", () => {
  test("a repeated hit still sees entries added to its key later", () => {
    const index = indexOf([["DOMAIN", "evil.example"]]);
    const before = [1, 2, 3].map(() => found(index.lookup("DOMAIN", "evil.example", NOW)));
    const other = index.addFeed(feedInfo("other"));
    index.add(other, { kind: "DOMAIN", value: "evil.example", fields: [] });
    index.add(other, { kind: "DOMAIN", value: "example", fields: [] });
    expect([before, found(index.lookup("DOMAIN", "evil.example", NOW))]).toEqual([
      [["DOMAIN evil.example"], ["DOMAIN evil.example"], ["DOMAIN evil.example"]],
      ["DOMAIN evil.example", "DOMAIN evil.example", "DOMAIN example"],
    ]);
  });

  test("a repeated hit expires with its feed", () => {
    const index = new IndicatorIndex();
    const feed = index.addFeed(feedInfo("short", { indicatorLifetimeMinutes: 60 }));
    index.add(feed, { kind: "IP", value: "192.0.2.1", fields: [] });
    const counts = [NOW, NOW, NOW, NOW + 61 * 60_000].map((now) => index.lookup("IP", "192.0.2.1", now).records.length);
    expect(counts).toEqual([1, 1, 1, 0]);
  });

  test("a result the caller keeps is not changed by later lookups", () => {
    const index = indexOf([["IP", "192.0.2.1"], ["IP", "192.0.2.0/24"], ["IP", "198.51.100.7"], ["MD5", MD5]]);
    const kept = [1, 2, 3].map(() => index.lookup("IP", "192.0.2.1", NOW));
    for (let i = 0; i < 3; i++) {
      index.lookup("IP", "198.51.100.7", NOW);
      index.lookup("IP", "192.0.2.9", NOW);
      index.lookup("HASH", MD5.toLowerCase(), NOW);
    }
    expect(kept.map(found)).toEqual([1, 2, 3].map(() => ["IP 192.0.2.0/24", "IP 192.0.2.1"]));
  });
});

describe("IndicatorIndex at scale", () => {
  test("finds each of 20,000 domains, URLs and addresses and none of their neighbours", () => {
    const index = new IndicatorIndex();
    const feed = index.addFeed(feedInfo("bulk"));
    for (let i = 0; i < 20_000; i++) {
      index.add(feed, { kind: "DOMAIN", value: `host${i}.example`, fields: [["i", String(i % 7)]] });
      index.add(feed, { kind: "URL", value: `site${i}.example/p/*`, fields: [] });
      index.add(feed, { kind: "IP", value: `10.${i >> 8}.${i & 255}.1`, fields: [] });
    }
    let hits = 0;
    let misses = 0;
    for (let i = 0; i < 20_000; i++) {
      hits += index.lookup("DOMAIN", `a.host${i}.example`, NOW).records.length;
      hits += index.lookup("URL", `http://site${i}.example/p/q`, NOW).records.length;
      hits += index.lookup("IP", `10.${i >> 8}.${i & 255}.1`, NOW).records.length;
      misses += index.lookup("DOMAIN", `host${i}.example.org`, NOW).records.length;
      misses += index.lookup("URL", `http://site${i}.example/q`, NOW).records.length;
      misses += index.lookup("IP", `10.${i >> 8}.${i & 255}.2`, NOW).records.length;
    }
    expect([hits, misses, index.size]).toEqual([60_000, 0, 60_000]);
  });
});
