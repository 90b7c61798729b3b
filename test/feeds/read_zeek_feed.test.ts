import { describe, expect, test } from "bun:test";
import { readZeekFeed } from "../../src/feeds/read_zeek_feed.ts";
import { feedConfig, fixture, run } from "../_support/feed_reading.ts";

const config = feedConfig({ filename: "intel.dat", format: "zeek" });

describe("readZeekFeed()", () => {
  test("reads supported intel types with the meta columns as fields", async () => {
    const { entries, skips } = await run(readZeekFeed, fixture("intel.dat"), config);
    const meta = (desc: string, url = ""): [string, string][] => [["meta.source", "lab"], ["meta.desc", desc], ["meta.url", url]];
    expect(entries).toEqual([
      { kind: "IP", value: "192.0.2.50", fields: meta("scanner"), category: undefined },
      { kind: "IP", value: "198.51.100.0/24", fields: meta("bad network"), category: undefined },
      { kind: "DOMAIN", value: "bad.example", fields: meta("c2", "https://ref.example/c2"), category: undefined },
      { kind: "URL", value: "phish.example/login.php", fields: meta("phishing page"), category: undefined },
      { kind: "MD5", value: "5D41402ABC4B2A76B9719D911017C592", fields: meta("dropper"), category: undefined },
    ]);
    expect(skips).toEqual([
      { where: "line 9", reason: 'unsupported indicator type: "Intel::EMAIL"' },
      { where: "line 10", reason: "wrong column count: got 3, expected 5" },
    ]);
  });

  test.each([
    ["192.0.2.1\tIntel::ADDR\n", "Invalid Zeek intel file: data at line 1 before a #fields header"],
    ["#fields\tvalue\tkind\n", 'Invalid Zeek intel header at line 1: got "value kind", expected indicator and indicator_type columns'],
  ])("fails without a usable #fields header: %j", async (text, message) => {
    expect((await run(readZeekFeed, text, config)).error).toBe(message);
  });
});
