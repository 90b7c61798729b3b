import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { readLinesFeed } from "../../src/feeds/read_lines_feed.ts";
import { chunked, feedConfig, fixture, run, values } from "../_support/feed_reading.ts";

describe("readLinesFeed()", () => {
  test("reads one indicator per line, detecting each kind, and skips comments", async () => {
    const { entries, skips, wheres } = await run(readLinesFeed, fixture("blocklist.txt"), feedConfig());
    expect(entries).toEqual([
      { kind: "IP", value: "192.0.2.10", fields: [], category: undefined },
      { kind: "IP", value: "198.51.100.0/24", fields: [["comment", "a whole documentation network"]], category: undefined },
      { kind: "IP", value: "2001:db8::1", fields: [], category: undefined },
      { kind: "IP", value: "203.0.113.5", fields: [["port", "8080"]], category: undefined },
      { kind: "DOMAIN", value: "bad.example", fields: [], category: undefined },
      { kind: "URL", value: "http://phish.example/login", fields: [], category: undefined },
      { kind: "URL", value: "*.tracker.example", fields: [], category: undefined },
      { kind: "MD5", value: "C912705B4BBB14EC7E78FA8B370532C9", fields: [], category: undefined },
    ]);
    expect(wheres).toEqual(["line 4", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", "line 11"]);
    expect(skips).toEqual([
      { where: "line 12", reason: 'not a URL, domain, IP address or hash: "not a valid indicator"' },
      { where: "line 13", reason: 'not a valid IPv4 address: "198.51.100"' },
    ]);
  });

  test.each([
    ["192.0.2.1", "IP", "192.0.2.1"],
    ["2001:DB8::/32", "IP", "2001:DB8::/32"],
    ["[2001:db8::5]:443", "IP", "2001:db8::5"],
    ["ftp://files.example/x", "URL", "ftp://files.example/x"],
    ["files.example/x", "URL", "files.example/x"],
    ["files.example:8080", "URL", "files.example:8080"],
    ["xn--e1aybc.example", "DOMAIN", "xn--e1aybc.example"],
    [".zone", "DOMAIN", ".zone"],
    ["86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8", "SHA1", "86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8"],
    ["CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB", "SHA256", "CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB"],
  ])("detects %s as %s", async (line, kind, value) => {
    expect(values((await run(readLinesFeed, `${line}\n`, feedConfig())).entries)).toEqual([[kind, value]]);
  });

  test.each([
    ["192.0.2.256", 'not a valid IPv4 address: "192.0.2.256"'],
    ["192.0.2.0/33", 'not a valid IPv4 network: "192.0.2.0/33"'],
    ["192.0.2.1:0", 'port outside 1-65535: "192.0.2.1:0"'],
    ["0123456789abcdef0123456789abcdef01", 'not an MD5, SHA1 or SHA256 hash: "0123456789abcdef0123456789abcdef01" has 34 digits'],
    ["user@bad.example", 'not a URL, domain, IP address or hash: "user@bad.example"'],
  ])("skips %s", async (line, reason) => {
    expect((await run(readLinesFeed, line, feedConfig())).skips).toEqual([{ where: "line 1", reason }]);
  });

  test("takes the type and category of the first configured field", async () => {
    const config = feedConfig({ fields: [{ name: "1", type: "DOMAIN", category: "Bad_Domains" }] });
    const { entries } = await run(readLinesFeed, "192.0.2.1\r\nbad.example", config);
    expect(entries).toEqual([
      { kind: "DOMAIN", value: "192.0.2.1", fields: [], category: "Bad_Domains" },
      { kind: "DOMAIN", value: "bad.example", fields: [], category: "Bad_Domains" },
    ]);
  });

  test("gunzips a stream even when the first chunk is one byte", async () => {
    const text = fixture("blocklist.txt");
    const plain = await run(readLinesFeed, text, feedConfig());
    expect(await run(readLinesFeed, chunked(gzipSync(text), 1), feedConfig())).toEqual(plain);
  });

  test("fails on corrupt gzip after the lines it could read", async () => {
    const zipped = gzipSync("192.0.2.1\n".repeat(2000));
    const { entries, error } = await run(readLinesFeed, chunked(zipped.subarray(0, zipped.length - 12), 64), feedConfig());
    expect(error).toStartWith("Cannot gunzip the feed: ");
    expect(entries.length).toBeLessThanOrEqual(2000);
  });

  test("drops a UTF-8 byte order mark and decodes characters split across chunks", async () => {
    const text = "\uFEFFпример.example\nbad.example\n";
    expect(values((await run(readLinesFeed, chunked(text, 1), feedConfig())).entries)).toEqual([
      ["DOMAIN", "пример.example"],
      ["DOMAIN", "bad.example"],
    ]);
  });
});
