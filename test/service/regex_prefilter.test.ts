import { describe, expect, test } from "bun:test";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { compileSources, extract, type CompiledSource, type CompiledSources } from "../../src/service/extract.ts";
import { regexPrefilter } from "../../src/service/_regex_prefilter.ts";

/** Deterministic generator of varied log lines (proxy, web, firewall, DNS, syslog, key=value, CEF, junk, Unicode). */
function corpus(n: number, seed = 7): string[] {
  let s = seed;
  const r = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const int = (k: number): number => Math.floor(r() * k);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const ip = (): string => `${int(256)}.${int(256)}.${int(256)}.${int(300)}`;
  const ip6 = (): string => pick(["2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1", "2001:0db8:0000:0000:0000:ff00:0042:8329", "1::", "::ffff:10.0.0.1"]);
  const host = (): string => pick(["example.com", "a.b.example.org", "x-y.test", "bad.example.net", "cdn1.static.co.uk", "münchen.de", "xn--mnchen-3ya.de", "localhost", "file.exe", "index.html", "UPPER.EXAMPLE.COM"]);
  const path = (): string => pick(["/", "/a/b.php?x=1&y=2", "/index.html", "/img/x.png", "/q?url=http://evil.test/", "/dl/setup.exe", "/path(1)/", "/😀/x"]);
  const junkChars = "abcXYZ0129 .:/-_=@?&#%\\\"'|;,<>`()[]{}!+*\tébж😀\u00a0";
  const junk = (): string => {
    let t = "";
    for (let k = int(80); k > 0; k--) t += pick([...junkChars]);
    return t;
  };
  const date = (): string => `Nov ${10 + int(18)} 0${int(10)}:${10 + int(50)}:${10 + int(50)}`;
  const makers: (() => string)[] = [
    () => `${1700000000 + int(1e6)}.${int(1000)} ${int(900)} ${ip()} TCP_MISS/200 ${int(90000)} GET http://${host()}${path()} alice HIER_DIRECT/${ip()} text/html`,
    () => `${int(2) ? ip() : ip6()} - - [19/May/2026:08:32:00 +0000] "GET ${path()} HTTP/1.1" 200 ${int(50000)} "https://${host()}/" "Mozilla/5.0"`,
    () => `${date()} fw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${ip()} DST=${ip()} PROTO=TCP SPT=${int(65536)} DPT=443`,
    () => `19-May-2026 08:32:${10 + int(50)}.${int(1000)} queries: info: client @0x7f3a2c0 ${ip()}#${int(65536)} (${host()}): query: ${host()} IN A +`,
    () => `${date()} srv1 sshd[${int(30000)}]: Failed password for root from ${int(2) ? ip() : ip6()} port ${int(65536)} ssh2`,
    () => `src=${ip()} dst=${host()}:${int(65536)} url=${pick(["", "http://", "ftp://"])}${host()}${path()} md5=${"0123456789abcdef".repeat(2)} user=bob`,
    () => `CEF:0|Vendor|Proxy|1.0|100|Blocked|5|src=${ip()} dhost=${host()} request=https://${host()}${path()} cs1=${ip6()}`,
    () => `${date()} host app: ${pick(["ok", "done", "started", "stopped"])} in ${int(999)}ms`,
    () => `user logged in without incident ${int(100)} times`,
    junk,
    () => `${pick(["Привет", "日本語", "😀 emoji", "naïve"])} ${host()} ${ip()} ${pick(["http://пример.рф/путь", "https://例え.jp/😀", "ftp://x.test"])} ${junk()}`,
    () => `URL=${host()}/x Url=http://${host()} ${host()}:8080/p ${host()}/ a.b ${ip()}.5 1.2.3 ${ip()}:80`,
  ];
  const lines: string[] = [];
  for (let k = 0; k < n; k++) lines.push(pick(makers)());
  return lines;
}

const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
const lines = corpus(20_000);

/** The same compiled sources with every prefilter removed: what extraction did before them. */
function withoutPrefilters(c: CompiledSources): CompiledSources {
  const strip = (src: CompiledSource): CompiledSource => ({ ...src, rules: src.rules.map((r) => ({ ...r, pre: undefined })) });
  const byIp = new Map([...c.byIp].map(([k, v]) => [k, strip(v)] as const));
  const byHost = new Map([...c.byHost].map(([k, v]) => [k, strip(v)] as const));
  return { ...c, byIp, byHost, fallback: strip(c.fallback) };
}

describe("regexPrefilter()", () => {
  test.each([
    [String.raw`(?<=url=)\S+|https?://\S+`, "url=|http"],
    [String.raw`a\.b`, "a.b"],
    [String.raw`(?:\d{1,3}\.){3}\d{1,3}`, "[0123456789]."],
    [String.raw`(?=.*@)[^@\s]+`, "@"],
  ])("derives a requirement for %s", (pattern, expected) => {
    const pre = regexPrefilter(new RegExp(pattern, "gu"));
    const shown = pre?.source.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    expect(shown).toBe(expected);
  });

  test.each([
    [String.raw`abc`, "i"],
    [String.raw`[^a]+`, "u"],
    [String.raw`\s+|x`, "u"],
    [String.raw`a?b*`, "u"],
    [String.raw`(a?)\1`, "u"],
    [String.raw`\p{L}\.`, "u"],
    [String.raw`a\=b`, ""],
    [String.raw`.*`, "su"],
  ])("gives none for %s with flags %s", (pattern, flags) => {
    expect(regexPrefilter(new RegExp(pattern, flags))).toBeUndefined();
  });

  test("never rejects a line on which its regex matches", () => {
    const patterns = [
      ...config.input.sources[0]!.regexes.map((r) => r.pattern),
      String.raw`(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)`,
      String.raw`(?:[a-z]+:)?//[\w.]+`,
      String.raw`(\d+)\s*ms\b`,
      String.raw`(?<![\w.])(?:x|yz|\.\.)(?=[A-Z])`,
      String.raw`[=:]{2,}|@[a-z]{2}`,
      String.raw`(?:ab|a)(?:c|)d`,
    ];
    let rejected = 0;
    for (const p of patterns) {
      const re = new RegExp(p, "u");
      const pre = regexPrefilter(re);
      if (pre === undefined) continue;
      for (const line of lines) {
        if (pre.test(line)) continue;
        rejected++;
        expect({ pattern: p, line, match: re.exec(line)?.[0] }).toEqual({ pattern: p, line, match: undefined });
      }
    }
    expect(rejected).toBeGreaterThan(10_000);
  });
});

describe("extract() with prefilters", () => {
  test("extracts exactly what the regexes alone extract from 20k varied lines with the default config", () => {
    const fast = compileSources(config.input);
    const slow = withoutPrefilters(fast);
    expect(fast.fallback.rules.filter((r) => r.pre !== undefined).map((r) => r.name)).toEqual(["RE_URL", "RE_DOMAIN"]);
    let differing = 0;
    let values = 0;
    for (const line of lines) {
      const a = extract(fast, line, undefined);
      const b = extract(slow, line, undefined);
      values += b.values.length;
      if (JSON.stringify([a.values, a.firstValues]) !== JSON.stringify([b.values, b.firstValues])) {
        differing++;
        expect({ line, values: a.values, first: a.firstValues }).toEqual({ line, values: b.values, first: b.firstValues });
      }
    }
    expect({ differing, enough: values > 20_000 }).toEqual({ differing: 0, enough: true });
  });
});
