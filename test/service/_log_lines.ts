import { expect } from "bun:test";
import { extract, type CompiledRegexRule, type CompiledSource, type CompiledSources } from "../../src/service/extract.ts";

/** Deterministic generator of varied log lines (proxy, web, firewall, DNS, syslog, key=value, CEF, junk, Unicode). */
export function corpus(n: number, seed = 7): string[] {
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

/** Short strings dense in what the finders look at: anchors, runs of digits, hex and label characters, lookbehind characters. */
export function fuzzStrings(n: number, seed = 11): string[] {
  let s = seed;
  const r = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const pieces = ["1", "25", "255", "256", "0", "01", "192", "a", "F", "ff", "beef", "g", "Z", "_", "-", ".", ".", ":", "::", ":", "/", "//", "://", "=", "url=", "URL=", "Url=", "http", "https", "ftp", "hTTp", "@", "\\", " ", "\t", "|", ";", ",", "&", "?", "\"", "'", "com", "example", "x-y", "ж", "😀", "\u00e9", ")", "]", "!", "html", "exe"];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let t = "";
    for (let m = Math.floor(r() * 14); m >= 0; m--) t += pieces[Math.floor(r() * pieces.length)]!;
    out.push(t);
  }
  return out;
}

/** Colon-joined hex groups around the eight-group IPv6 form, with `::`, dots, long groups and word characters mixed in. */
export function colonChains(n: number, seed = 5): string[] {
  let s = seed;
  const r = (k: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor((s / 2 ** 32) * k);
  };
  const groups = ["1", "ab", "fff", "beef", "12345", "g1", "", "0", "10.0.0.1"];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const parts = Array.from({ length: 5 + r(6) }, () => groups[r(groups.length)]!);
    out.push(["", " ", "x", ":", "a:", "08:00:00 "][r(6)]! + parts.join(":") + ["", " ", ":", "x", ".5", "::"][r(6)]!);
  }
  return out;
}

/** The same compiled sources with each rule changed by `edit` (e.g. a speed-up removed). */
export function editRules(c: CompiledSources, edit: (r: CompiledRegexRule) => CompiledRegexRule): CompiledSources {
  const each = (src: CompiledSource): CompiledSource => ({ ...src, rules: src.rules.map(edit) });
  return { ...c, fallback: each(c.fallback), byIp: new Map([...c.byIp].map(([k, v]) => [k, each(v)] as const)), byHost: new Map([...c.byHost].map(([k, v]) => [k, each(v)] as const)) };
}

/** Extracts each line with both sources; fails on the first line where values or first values differ. Returns the values extracted. */
export function expectSameExtraction(fast: CompiledSources, slow: CompiledSources, lines: readonly string[]): number {
  let values = 0;
  for (const line of lines) {
    const a = extract(fast, line, undefined);
    const b = extract(slow, line, undefined);
    values += b.values.length;
    if (JSON.stringify([a.values, a.firstValues]) !== JSON.stringify([b.values, b.firstValues])) {
      expect({ line, values: a.values, first: a.firstValues }).toEqual({ line, values: b.values, first: b.firstValues });
    }
  }
  return values;
}
