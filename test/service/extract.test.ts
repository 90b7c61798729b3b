import { describe, expect, test } from "bun:test";
import type { InputSettings, RegexRule, SourceProfile } from "../../src/config/types.ts";
import { chooseSource, compileSources, extract } from "../../src/service/extract.ts";

function rule(name: string, pattern: string, more: Partial<RegexRule> = {}): RegexRule {
  return { name, pattern, type: "URL", extract: "first", useForRetroscan: false, line: 1, ...more };
}

function source(id: string, regexes: RegexRule[], more: Partial<SourceProfile> = {}): SourceProfile {
  return { id, ips: [], hostnames: [], replace: [], ignore: [], regexes, ...more };
}

function input(...sources: SourceProfile[]): InputSettings {
  return { connectionString: "127.0.0.1:0", sources };
}

/** Runs one regex over one event; returns the typed values and the slot's first value. */
function valuesOf(r: RegexRule, event: string): { values: string[]; first: string | undefined } {
  const x = extract(compileSources(input(source("default", [r]))), event, undefined);
  return { values: x.values.map((v) => v.value), first: x.firstValues[0] };
}

describe("extract()", () => {
  const docEvent = "url_1=http://domain test_event url_2=/page/mypage test";
  const docRegex = String.raw`url_1=(.*?)\stest_event\surl_2=(.*?)\stest`;

  test.each([
    ["#1#2", "http://domain/page/mypage"],
    ["#2#1", "/page/mypagehttp://domain"],
    ["#2_/_#1", "/page/mypage_/_http://domain"],
    ["#1#2#3", "http://domain/page/mypage#3"],
    [String.raw`\##1`, "#http://domain"],
    ["", "http://domain/page/mypage"],
  ])("concatenate=%p builds the documented value", (concatenate, expected) => {
    expect(valuesOf(rule("RE", docRegex, { concatenate: concatenate || undefined }), docEvent).values).toEqual([expected]);
  });

  test.each([
    ["one group gives the group", "url=(\\S+)", ["http://a.example/"]],
    ["zero groups give the whole match", "http://\\S+", ["http://a.example/"]],
    ["an unset optional group joins as empty", "url=(\\S+)(\\?x)?", ["http://a.example/"]],
  ])("%s", (_name, pattern, expected) => {
    expect(valuesOf(rule("RE", pattern), "url=http://a.example/ x").values).toEqual(expected);
  });

  test("extract=all yields every non-overlapping match in order; first only the first", () => {
    const event = "ip=192.0.2.1 ip=192.0.2.2 ip=192.0.2.3";
    expect(valuesOf(rule("RE_IP", "ip=(\\S+)", { type: "IP", extract: "all" }), event)).toEqual({
      values: ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
      first: "192.0.2.1",
    });
    expect(valuesOf(rule("RE_IP", "ip=(\\S+)", { type: "IP" }), event).values).toEqual(["192.0.2.1"]);
  });

  test("extract=all survives a regex that matches the empty string", () => {
    expect(valuesOf(rule("RE", "a*", { extract: "all" }), "baab").values).toEqual(["aa"]);
  });

  test("CONTEXT values fill placeholders but are never looked up", () => {
    expect(valuesOf(rule("RE_USER", "user=(\\S+)", { type: "CONTEXT", extract: "all" }), "user=bob user=eve")).toEqual({
      values: [],
      first: "bob",
    });
  });

  test("a Boost escape that u mode rejects still works", () => {
    expect(valuesOf(rule("RE", String.raw`url\=(\S+)`), "url=http://a.example/").values).toEqual(["http://a.example/"]);
  });

  test("normalizing rules: every Replace in order with \\1 backreferences, then Ignore", () => {
    const profile = source("default", [rule("RE_URL", "url=(\\S+)")], {
      replace: [
        { input: String.raw`\\=`, output: "=", line: 3 },
        { input: String.raw`^<(\d+)>`, output: String.raw`NEW_EVENT:\1 `, line: 4 },
      ],
      ignore: [{ input: "healthcheck", line: 5 }],
    });
    const sources = compileSources(input(profile));
    const x = extract(sources, String.raw`<34>url\=http://a.example/ dst\=12.32.124.44`, undefined);
    expect({ event: x.event, values: x.values, ignored: x.ignored }).toEqual({
      event: "NEW_EVENT:34 url=http://a.example/ dst=12.32.124.44",
      values: [{ slot: 0, type: "URL", value: "http://a.example/" }],
      ignored: false,
    });
    const ignored = extract(sources, "healthcheck url=http://a.example/", undefined);
    expect({ ignored: ignored.ignored, values: ignored.values }).toEqual({ ignored: true, values: [] });
  });

  test("astralFree skips the surrogate test only when no Replace rule could have added one", () => {
    // `(.)Y` takes a whole astral character with `u`, half of one without: the result tells which ran.
    const grab = rule("RE_C", "(.)Y", { type: "CONTEXT" });
    const plain = compileSources(input(source("default", [grab])));
    const replacing = compileSources(input(source("default", [grab], { replace: [{ input: "X", output: "😀", line: 1 }] })));
    expect([
      extract(plain, "aY", undefined, true).firstValues[0],
      extract(plain, "😀Y", undefined, false).firstValues[0],
      extract(replacing, "XY", undefined, true).firstValues[0],
    ]).toEqual(["a", "😀", "😀"]);
  });

  test("an Ignore rule sees the event after every Replace", () => {
    const profile = source("default", [], {
      replace: [{ input: "noise", output: "drop-me", line: 1 }],
      ignore: [{ input: "drop-me", line: 2 }],
    });
    expect(extract(compileSources(input(profile)), "noise", undefined).ignored).toBe(true);
  });

  test("source regexes run first; a same-named default regex runs only when the specific one found nothing", () => {
    const sources = compileSources(
      input(
        source("default", [rule("RE_URL", "(http://\\S+)"), rule("RE_MD5", "md5=(\\w+)", { type: "MD5" })]),
        source("proxy", [rule("RE_URL", "request=(\\S+)")], { ips: ["192.0.2.10"] }),
      ),
    );
    const values = (event: string) => extract(sources, event, "192.0.2.10").values.map((v) => `${v.type}:${v.value}`);
    expect(values("request=a.example/x http://b.example/ md5=AB")).toEqual(["URL:a.example/x", "MD5:AB"]);
    expect(values("http://b.example/ md5=AB")).toEqual(["URL:http://b.example/", "MD5:AB"]);
  });
});

describe("chooseSource()", () => {
  const sources = compileSources(
    input(
      source("default", []),
      source("by-ip", [], { ips: ["192.0.2.10", "2001:db8::1"] }),
      source("by-host", [], { hostnames: ["Sample-Hostname"] }),
    ),
  );

  test.each([
    ["the peer IP", "x", "192.0.2.10", "by-ip"],
    ["an IPv4-mapped IPv6 peer", "x", "::ffff:192.0.2.10", "by-ip"],
    ["an IPv6 peer", "x", "2001:db8::1", "by-ip"],
    ["the peer IP before the host name", "Feb  2 11:57:59 sample-hostname alert: x", "192.0.2.10", "by-ip"],
    ["a BSD syslog host name, any case", "Feb  2 11:57:59 sample-hostname alert: x", "198.51.100.1", "by-host"],
    ["a BSD syslog host name with PRI and zero-padded day", "<13>Feb 02 11:57:59 SAMPLE-HOSTNAME x", undefined, "by-host"],
    ["an RFC 5424 host name", "<34>1 2024-05-19T08:32:00.003Z sample-hostname app - - x", undefined, "by-host"],
    ["an RFC 3339 stamp then host", "2024-05-19T08:32:00+02:00 sample-hostname app: x", undefined, "by-host"],
    ["default for an unknown host", "Feb  2 11:57:59 other alert: x", undefined, "default"],
    ["default for a line without header", "sample-hostname x", undefined, "default"],
  ])("picks the profile by %s", (_name, event, peer, expected) => {
    expect(chooseSource(sources, event, peer).id).toBe(expected);
  });
});

describe("compileSources()", () => {
  test("names the file, line, source and rule of a regex that does not compile", () => {
    const bad = input(source("default", [rule("RE_BAD", "(unclosed", { line: 12 })]));
    expect(() => compileSources(bad, "kl_feed_service.conf")).toThrow(
      /^kl_feed_service\.conf:12: Source "default" > RE_BAD is not a valid regular expression: /,
    );
  });

  test("names the line of a Replace rule that does not compile", () => {
    const bad = input(source("default", [], { replace: [{ input: "a[", output: "", line: 7 }] }));
    expect(() => compileSources(bad, "x.conf")).toThrow(/^x\.conf:7: Source "default" > Replace input is not a valid regular expression: /);
  });

  test("refuses input settings without a default Source", () => {
    expect(() => compileSources(input(source("proxy", [])))).toThrow(
      '<config>: Input settings have no default Source: found ids "proxy", expected one with id "default"',
    );
  });

  test("gives each regex name one slot across all sources", () => {
    const sources = compileSources(
      input(source("default", [rule("RE_URL", "u"), rule("RE_IP", "i")]), source("p", [rule("RE_URL", "x"), rule("RE_USER", "y")])),
    );
    expect(sources.slotNames).toEqual(["RE_URL", "RE_IP", "RE_USER"]);
  });
});
