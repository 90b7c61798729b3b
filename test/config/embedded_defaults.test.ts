import { describe, expect, test } from "bun:test";
import { compilePattern } from "../../src/config/compile_pattern.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_FEEDS } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";

const { config, warnings } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
const regexes = config.input.sources[0]?.regexes ?? [];

/** What each default regex extracts from `line` (every match, first capture group). */
function extract(line: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const rule of regexes) {
    const values = [...line.matchAll(compilePattern(rule.pattern, "g"))].map((m) => m[1] ?? m[0]);
    if (values.length > 0) found[rule.name] = values;
  }
  return found;
}

/** indicator -> category, over every record of every feed the default config loads. */
function indicatorCategories(): Map<string, string> {
  const map = new Map<string, string>();
  for (const feed of config.feeds.feeds) {
    const records = JSON.parse(EMBEDDED_FEEDS.get(feed.filename) ?? "null") as Record<string, unknown>[];
    for (const record of records) {
      for (const field of feed.fields) map.set(String(record[field.name]), field.category);
    }
  }
  return map;
}

describe("DEFAULT_SERVICE_CONFIG_TEXT", () => {
  test("parses without warnings into a loopback, ReplyBack-friendly config on embedded feeds", () => {
    expect(warnings).toEqual([]);
    expect({
      listen: config.input.connectionString,
      target: config.output.connectionString,
      finished: config.output.finishedEventFormat,
      record: config.output.recordFieldContextFormat,
      alert: config.output.alertFormat,
      bases: config.service.basesDir,
      status: config.status,
      update: config.feeds.updateFrequencyMinutes,
      regexes: regexes.map((r) => [r.name, r.type, r.extract]),
    }).toEqual({
      listen: "127.0.0.1:9999",
      target: "127.0.0.1:9998",
      finished: { enabled: true, value: "%Date%%RecordContext%" },
      record: " %ParamName%=%ParamValue%",
      alert: "%Date% alert=%Alert%%RecordContext%",
      bases: "<embedded>",
      status: { enabled: true, listen: "127.0.0.1:9997" },
      update: 0,
      regexes: [
        ["RE_URL", "URL", "all"],
        ["RE_DOMAIN", "DOMAIN", "all"],
        ["RE_IP", "IP", "all"],
        ["RE_MD5", "MD5", "all"],
        ["RE_SHA1", "SHA1", "all"],
        ["RE_SHA256", "SHA256", "all"],
      ],
    });
  });

  test("compiles every default regex with the u flag", () => {
    expect(regexes.map((r) => compilePattern(r.pattern).flags)).toEqual(regexes.map(() => "u"));
  });

  test.each<[string, string, Record<string, string[]>]>([
    [
      "a Log Scanner request line",
      "ip=192.0.2.0 md5=C912705B4BBB14EC7E78FA8B370532C9 sha1= sha256= url=http://fakess123.nu",
      { RE_URL: ["http://fakess123.nu"], RE_IP: ["192.0.2.0"], RE_MD5: ["C912705B4BBB14EC7E78FA8B370532C9"] },
    ],
    ["a scheme-less -u value", "ip= md5= sha1= sha256= url=fakess123ap.nu", { RE_URL: ["fakess123ap.nu"] }],
    [
      "-s values of each length",
      "ip= md5= sha1=86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8 sha256=CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB url=",
      { RE_SHA1: ["86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8"], RE_SHA256: ["CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB"] },
    ],
    ["an IPv6 -i value", "ip=2001:db8::1 md5= sha1= sha256= url=", { RE_IP: ["2001:db8::1"] }],
    [
      "a web server access log",
      '203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET /download/setup.exe HTTP/1.1" 200 2326 "http://a7396d61caffe18a4cffbb3b428c9b60.com/landing" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.6099.109"',
      { RE_URL: ["http://a7396d61caffe18a4cffbb3b428c9b60.com/landing"], RE_IP: ["203.0.113.9"] },
    ],
    [
      "a Squid proxy log",
      "1700000000.123     45 10.1.2.3 TCP_MISS/200 1234 GET http://fakess123.nu/index.php? - HIER_DIRECT/93.184.216.34 text/html",
      { RE_URL: ["http://fakess123.nu/index.php"], RE_IP: ["10.1.2.3", "93.184.216.34"] },
    ],
    [
      "a proxy CONNECT to a bare host",
      "1700000000.456     12 10.1.2.3 TCP_TUNNEL/200 5678 CONNECT evil.example.org:443 - HIER_DIRECT/198.51.100.7 -",
      { RE_DOMAIN: ["evil.example.org"], RE_IP: ["10.1.2.3", "198.51.100.7"] },
    ],
    [
      "an iptables firewall log",
      "Feb  2 11:57:59 fw01 kernel: DROP IN=eth0 OUT= SRC=192.0.2.4 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=51234 DPT=22",
      { RE_IP: ["192.0.2.4", "10.0.0.5"] },
    ],
    ["an sshd syslog line", "Feb  2 11:57:59 host sshd[1234]: Failed password for root from 192.0.2.1 port 22 ssh2", { RE_IP: ["192.0.2.1"] }],
    [
      "a Cisco ASA line with IP/port pairs",
      "%ASA-6-302013: Built outbound TCP connection 1 for outside:203.0.113.5/443 (203.0.113.5/443) to inside:10.1.1.1/5000",
      { RE_IP: ["203.0.113.5", "203.0.113.5", "10.1.1.1"] },
    ],
    [
      "a DNS log with a trailing-dot name and IPv6",
      "dns query: fakess123bn.nu. type A from fe80::1%eth0",
      { RE_DOMAIN: ["fakess123bn.nu"], RE_IP: ["fe80::1"] },
    ],
    [
      "a scheme-less URL and a URL ending a sentence",
      "blocked www.fakess123r.nu/path/x.js?a=1, see https://b046f5b25458638f6705d53539c79f62.com.",
      { RE_URL: ["www.fakess123r.nu/path/x.js?a=1", "https://b046f5b25458638f6705d53539c79f62.com"] },
    ],
    [
      "a KUMA-style request",
      "Category=x|url=http://bad.example/path|ip=198.51.100.7|hash=44D88612FEA8A8F36DE82E1278ABB02F|",
      { RE_URL: ["http://bad.example/path"], RE_IP: ["198.51.100.7"], RE_MD5: ["44D88612FEA8A8F36DE82E1278ABB02F"] },
    ],
    [
      "a hash in a file path but not one used as a host label",
      "wrote /tmp/C912705B4BBB14EC7E78FA8B370532C9 after http://5a015004f9fc05290d87e86d69c4b237.com/",
      { RE_URL: ["http://5a015004f9fc05290d87e86d69c4b237.com/"], RE_MD5: ["C912705B4BBB14EC7E78FA8B370532C9"] },
    ],
    ["nothing in times, MACs, C++ names, versions and bad octets", "12:34:56 00:1a:2b:3c:4d:5e std::string v1.2.3.4.5 10.0.0.256 a@mail.example.com setup.exe", {}],
  ])("extracts the indicators of %s", (_name, line, expected) => {
    expect(extract(line)).toEqual(expected);
  });
});

describe("EMBEDDED_FEEDS", () => {
  test("holds exactly the feeds the default config names, each a JSON array whose records carry the mapped field", () => {
    expect([...EMBEDDED_FEEDS.keys()].sort()).toEqual(config.feeds.feeds.map((f) => f.filename).sort());
    for (const feed of config.feeds.feeds) {
      const records = JSON.parse(EMBEDDED_FEEDS.get(feed.filename) ?? "null") as Record<string, unknown>[];
      expect([feed.filename, feed.format, feed.indicatorLifetimeMinutes, records.length > 0]).toEqual([feed.filename, "kaspersky", 0, true]);
      for (const field of feed.fields) expect(records.filter((r) => typeof r[field.name] !== "string")).toEqual([]);
    }
  });

  test.each([
    ["fakess123.nu", "KL_Malicious_URL"],
    ["fakess123ap.nu", "KL_Phishing_URL"],
    ["a7396d61caffe18a4cffbb3b428c9b60.com", "KL_BotnetCnC_URL"],
    ["fakess123bn.nu", "KL_BotnetCnC_URL"],
    ["5a015004f9fc05290d87e86d69c4b237.com", "KL_BotnetCnC_URL"],
    ["fakess123r.nu", "KL_Ransomware_URL"],
    ["e593461621ee0f9134c632d00bf108fd.com/.i", "KL_IoT_URL"],
    ["b046f5b25458638f6705d53539c79f62.com", "KL_APT_URL"],
    ["192.0.2.0", "KL_IP_Reputation"],
    ["192.0.2.1", "KL_IP_Reputation"],
    ["192.0.2.4", "KL_APT_IP"],
    ["C912705B4BBB14EC7E78FA8B370532C9", "KL_Malicious_Hash_MD5"],
    ["776735A8CA96DB15B422879DA599F474", "KL_Malicious_Hash_MD5"],
    ["60300A92E1D0A55C7FDD360EE40A9DC1", "KL_Mobile_Malicious_Hash_MD5"],
    ["001F6251169E6916C455495050A3FB8D", "KL_Mobile_BotnetCnC_Hash_MD5"],
    ["7A2E65A0F70EE0615EC0CA34240CF082", "KL_APT_Hash_MD5"],
    ["7A8F30B40C6564EFF95E678F7C43346C", "KL_ICS_Hash_MD5"],
    ["D8C1F5B4AD32296649FF46027177C594", "KL_Vulnerability_Hash_MD5"],
  ])("carries the Kaspersky test record %s as %s", (indicator, category) => {
    expect(indicatorCategories().get(indicator)).toBe(category);
  });
});
