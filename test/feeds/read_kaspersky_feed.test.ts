import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import type { FeedField } from "../../src/config/types.ts";
import { readKasperskyFeed } from "../../src/feeds/read_kaspersky_feed.ts";
import { chunked, feedConfig, fixture, run, values } from "../_support/feed_reading.ts";

const BOTNET: FeedField[] = [
  { name: "mask", type: "URL", category: "KL_BotnetCnC_URL" },
  { name: "files/MD5", type: "MD5", category: "KL_BotnetCnC_Hash_MD5" },
];
const config = feedConfig({ filename: "Botnet_CnC_URL_Data_Feed.json", format: "kaspersky", fields: BOTNET });

describe("readKasperskyFeed()", () => {
  test("yields the mask and each file hash of a record, the rest of the record as context", async () => {
    const { entries } = await run(readKasperskyFeed, fixture("Botnet_CnC_URL_Data_Feed.json"), config);
    const context = (without: string): [string, string][] =>
      (
        [
        ["id", "88001234"],
        ["mask", "c2.example.org/gate.php"],
        ["type", "2"],
        ["first_seen", "12.01.2025 00:10"],
        ["popularity", "3"],
        ["geo", "ru, ua"],
        ["threat", "Backdoor.Win32.Example.a"],
        ["files/MD5", "0CC175B9C0F1B6A831C399E269772661, 5D41402ABC4B2A76B9719D911017C592"],
        ["files/threat", "Trojan.Example.a, Trojan.Example.b"],
        ["whois/domain", "example.org"],
        ["whois/country", "US"],
          ["whois/NS", ""],
        ] as [string, string][]
      ).filter(([name]) => name !== without);
    expect(entries.slice(0, 3)).toEqual([
      { kind: "URL", value: "c2.example.org/gate.php", fields: context("mask"), category: "KL_BotnetCnC_URL" },
      { kind: "MD5", value: "0CC175B9C0F1B6A831C399E269772661", fields: context("files/MD5"), category: "KL_BotnetCnC_Hash_MD5" },
      { kind: "MD5", value: "5D41402ABC4B2A76B9719D911017C592", fields: context("files/MD5"), category: "KL_BotnetCnC_Hash_MD5" },
    ]);
  });

  test("skips records that are not objects or have no indicator, naming the record", async () => {
    const { entries, skips, wheres } = await run(readKasperskyFeed, fixture("Botnet_CnC_URL_Data_Feed.json"), config);
    expect(values(entries)).toEqual([
      ["URL", "c2.example.org/gate.php"],
      ["MD5", "0CC175B9C0F1B6A831C399E269772661"],
      ["MD5", "5D41402ABC4B2A76B9719D911017C592"],
      ["URL", "*.bad-cdn.example/loader/*"],
      ["URL", "http://a7396d61caffe18a4cffbb3b428c9b60.com"],
    ]);
    expect(wheres).toEqual(["record 1", "record 1", "record 1", "record 2", "record 5"]);
    expect(skips).toEqual([
      { where: "record 3", reason: "not an object: found string" },
      { where: "record 4", reason: "no indicator field: expected one of mask, files/MD5" },
    ]);
  });

  test("loads the records before a truncation, then fails naming the line", async () => {
    const { entries, error } = await run(readKasperskyFeed, fixture("Botnet_CnC_URL_Data_Feed.truncated.json"), config);
    expect(values(entries)).toEqual([
      ["URL", "c2.example.org/one.php"],
      ["URL", "c2.example.org/two.php"],
    ]);
    expect(error).toBe('Invalid JSON feed: input ends inside the element that starts at line 4, expected "]"');
  });

  test("skips a record with broken JSON and reads on", async () => {
    const text = '[{"mask":"a.example/x"},\n {"mask": "b.example/y",},\n {"mask":"c.example/z"}]';
    const { entries, skips } = await run(readKasperskyFeed, text, config);
    expect(values(entries)).toEqual([
      ["URL", "a.example/x"],
      ["URL", "c.example/z"],
    ]);
    expect(skips).toHaveLength(1);
    expect(skips[0]!.where).toBe("record 2");
    expect(skips[0]!.reason).toStartWith("invalid JSON at line 2: ");
  });

  test.each([
    ['{"mask":"a.example"}', 'Invalid JSON feed: expected "[" at line 1, found "{"'],
    ["", "Invalid JSON feed: expected a JSON array, found no data"],
    ['[{"mask":"a.example"} {"mask":"b.example"}]', 'Invalid JSON feed: expected "," or "]" at line 1, found "{"'],
    ['[{"mask":"a.example"},\n', 'Invalid JSON feed: input ends at line 2 before the array\'s "]"'],
    ['[{"mask":"a.example"}] x', 'Invalid JSON feed: unexpected text after the array at line 1, found "x"'],
  ])("rejects a document that is not one JSON array: %j", async (text, message) => {
    expect((await run(readKasperskyFeed, text, config)).error).toBe(message);
  });

  test("reads the same entries from a gzip stream in small chunks", async () => {
    const text = fixture("Botnet_CnC_URL_Data_Feed.json");
    const plain = await run(readKasperskyFeed, text, config);
    const gzipped = await run(readKasperskyFeed, chunked(gzipSync(text), 5), config);
    const split = await run(readKasperskyFeed, chunked(text, 3), config);
    expect(gzipped).toEqual(plain);
    expect(split).toEqual(plain);
  });

  test("picks hash kinds by length for HASH and AUTO fields and skips other lengths", async () => {
    const text = JSON.stringify([
      { sha: "86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8", any: "198.51.100.3" },
      { sha: "ABCDEF", any: "" },
    ]);
    const fields: FeedField[] = [
      { name: "sha", type: "HASH", category: "" },
      { name: "any", type: "AUTO", category: "" },
    ];
    const { entries, skips } = await run(readKasperskyFeed, text, feedConfig({ format: "kaspersky", fields }));
    expect(entries).toEqual([
      { kind: "SHA1", value: "86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8", fields: [["any", "198.51.100.3"]], category: undefined },
      { kind: "IP", value: "198.51.100.3", fields: [["sha", "86F7E437FAA5A7FCE15D1DDCB9EAEAEA377667B8"]], category: undefined },
    ]);
    expect(skips).toEqual([{ where: "record 2", reason: 'sha: not an MD5, SHA1 or SHA256 hash: "ABCDEF"' }]);
  });

  test("indexes each element of an array of scalars", async () => {
    const text = '[{"ips": ["192.0.2.1", "192.0.2.2"], "note": "x"}]';
    const fields: FeedField[] = [{ name: "ips", type: "IP", category: "C" }];
    const { entries } = await run(readKasperskyFeed, text, feedConfig({ format: "kaspersky", fields }));
    expect(values(entries)).toEqual([
      ["IP", "192.0.2.1"],
      ["IP", "192.0.2.2"],
    ]);
  });

  test("keeps a 1 MB context field whole", async () => {
    const big = "x".repeat(1 << 20);
    const text = JSON.stringify([{ mask: "big.example/", blob: big }, { mask: "next.example/" }]);
    const { entries } = await run(readKasperskyFeed, chunked(text, 65536), config);
    expect(entries.map((e) => e.fields.find(([n]) => n === "blob")?.[1].length)).toEqual([1 << 20, undefined]);
  });

  test("fails when no indicator field is configured", async () => {
    const { error } = await run(readKasperskyFeed, "[]", feedConfig({ filename: "Custom.json", format: "kaspersky" }));
    expect(error).toBe("No indicator fields for feed Custom.json: configure Field elements or a feed registry entry");
  });
});
