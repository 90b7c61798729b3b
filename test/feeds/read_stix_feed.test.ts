import { describe, expect, test } from "bun:test";
import { readStixFeed } from "../../src/feeds/read_stix_feed.ts";
import { feedConfig, fixture, run, values } from "../_support/feed_reading.ts";

const config = feedConfig({ format: "stix", fields: [{ name: "pattern", type: "AUTO", category: "STIX_Lab" }] });

describe("readStixFeed()", () => {
  test("yields every comparison of OR-joined equality patterns", async () => {
    const { entries, wheres } = await run(readStixFeed, fixture("bundle.json"), config);
    expect(values(entries)).toEqual([
      ["URL", "http://c2.bad.example/gate.php"],
      ["IP", "192.0.2.66"],
      ["IP", "2001:db8::66"],
      ["SHA256", "CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB"],
      ["MD5", "0cc175b9c0f1b6a831c399e269772661"],
      ["DOMAIN", "o'brien.bad.example"],
    ]);
    expect(wheres).toEqual(["object 2", "object 3", "object 3", "object 4", "object 4", "object 5"]);
  });

  test("carries the indicator's descriptive properties as fields", async () => {
    const { entries } = await run(readStixFeed, fixture("bundle.json"), config);
    expect(entries[0]).toEqual({
      kind: "URL",
      value: "http://c2.bad.example/gate.php",
      category: "STIX_Lab",
      fields: [
        ["id", "indicator--a1"],
        ["name", "C2 URL"],
        ["description", "Example C2"],
        ["indicator_types", "malicious-activity"],
        ["labels", "c2, example"],
        ["valid_from", "2025-01-01T00:00:00Z"],
        ["valid_until", "2026-01-01T00:00:00Z"],
      ],
    });
  });

  test("skips patterns it cannot index, naming the object and the reason", async () => {
    const { skips } = await run(readStixFeed, fixture("bundle.json"), config);
    expect(skips).toEqual([
      { where: "object 6", reason: 'unsupported pattern: only OR-joined comparisons are supported, found "AND"' },
      { where: "object 7", reason: 'unsupported pattern type: "yara"' },
      { where: "object 8", reason: 'unsupported object path: "email-addr:value"' },
      { where: "object 9", reason: "revoked indicator" },
      { where: "object 10", reason: 'unsupported pattern: only OR-joined observations are supported, found "WITHIN"' },
      { where: "object 12", reason: 'unsupported comparison: only "=" is supported, found "LIKE"' },
    ]);
  });

  test("accepts a bare array of objects", async () => {
    const text = JSON.stringify([{ type: "indicator", pattern: "[domain-name:value = 'bad.example']" }]);
    expect(values((await run(readStixFeed, text, config)).entries)).toEqual([["DOMAIN", "bad.example"]]);
  });

  test.each([
    ['{"type": "bundle"}', "Invalid STIX bundle: expected an object with an objects array"],
    ['{"type": "bundle", "objects": [', "Invalid STIX bundle: "],
  ])("fails on a document that is not a bundle: %j", async (text, message) => {
    expect((await run(readStixFeed, text, config)).error).toStartWith(message);
  });
});
