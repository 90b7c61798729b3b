import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { readMispFeed } from "../../src/feeds/read_misp_feed.ts";
import { chunked, feedConfig, fixture, run, values } from "../_support/feed_reading.ts";

const config = feedConfig({ format: "misp", allowList: true });

describe("readMispFeed()", () => {
  test("reads a cidr list as IP entries carrying the list's name and version", async () => {
    const { entries, skips } = await run(readMispFeed, fixture("documentation-networks.json"), config);
    expect(values(entries)).toEqual([
      ["IP", "192.0.2.0/24"],
      ["IP", "198.51.100.0/24"],
      ["IP", "203.0.113.0/24"],
      ["IP", "2001:DB8::/32"],
      ["IP", "203.0.113.7"],
    ]);
    expect(entries[0]!.fields).toEqual([["name", "Documentation networks"], ["version", "3"]]);
    expect(skips).toEqual([{ where: "item 6", reason: "not a string: found number" }]);
  });

  test("detects each value's kind in a string list", async () => {
    const { entries, skips } = await run(readMispFeed, fixture("benign-strings.json"), config);
    expect(values(entries)).toEqual([
      ["MD5", "d41d8cd98f00b204e9800998ecf8427e"],
      ["SHA1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
      ["DOMAIN", "good.example"],
    ]);
    expect(skips).toEqual([{ where: "item 4", reason: 'not a URL, domain, IP address or hash: "3:a+b"' }]);
  });

  test("a string list takes only the kinds its matching_attributes name: the ssdeep hash 3:: of an empty file is not an IPv6 address", async () => {
    const list = { name: "Empty hashes", type: "string", version: 3, matching_attributes: ["md5", "sha256", "ssdeep", "filename|md5"], list: ["3::", "d41d8cd98f00b204e9800998ecf8427e", "good.example"] };
    const { entries, skips } = await run(readMispFeed, JSON.stringify(list), config);
    expect(values(entries)).toEqual([["MD5", "d41d8cd98f00b204e9800998ecf8427e"]]);
    expect(skips).toEqual([
      { where: "item 1", reason: '"3::" reads as IP, which the list\'s matching_attributes do not name' },
      { where: "item 3", reason: '"good.example" reads as DOMAIN, which the list\'s matching_attributes do not name' },
    ]);
  });

  test("reads a gzip-compressed hostname list as domains", async () => {
    const input = chunked(gzipSync(fixture("benign-hostnames.json")), 16);
    expect(values((await run(readMispFeed, input, config)).entries)).toEqual([
      ["DOMAIN", "good.example"],
      ["DOMAIN", "cdn.good.example"],
    ]);
  });

  test.each([
    [fixture("regex-list.json"), 'Unsupported MISP warning list type: got "regex", expected string, cidr or hostname'],
    ['{"name": "x", "list": "192.0.2.1"}', "Invalid MISP warning list: expected an object with a list array"],
    ['{"name": "x", "list": [', "Invalid MISP warning list: "],
  ])("fails the whole list when it cannot be used: %#", async (text, message) => {
    const { entries, error } = await run(readMispFeed, text, config);
    expect(entries).toEqual([]);
    expect(error).toStartWith(message);
  });
});
