import { describe, expect, test } from "bun:test";
import { readMispAttributesFeed } from "../../src/feeds/read_misp_attributes_feed.ts";
import { feedConfig, fixture, run, values } from "../_support/feed_reading.ts";

const config = feedConfig({ format: "misp-feed", filename: "event.json" });

describe("readMispAttributesFeed()", () => {
  test("an event file: its attributes and its objects' attributes, to_ids only, each skip counted with its reason", async () => {
    const { entries, skips } = await run(readMispAttributesFeed, fixture("misp-feed/5f0c2a6e-1c3b-4b1e-9d3a-6a1e0c2b7d01.json"), config);
    expect(values(entries)).toEqual([
      ["IP", "192.0.2.55"],
      ["DOMAIN", "loader.bad.example"],
      ["URL", "http://loader.bad.example/gate.php"],
      ["IP", "198.51.100.8"],
      ["SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ]);
    expect(skips).toEqual([
      { where: "attribute 4", reason: "not marked to_ids" },
      { where: "attribute 6", reason: "not marked to_ids" },
    ]);
  });

  test("a restSearch answer with MISP's string flags; domain|ip gives two entries; a deleted or malformed attribute is skipped", async () => {
    const answer = {
      response: {
        Attribute: [
          { type: "domain|ip", value: "c2.bad.example|192.0.2.9", to_ids: "1", uuid: "u1", Event: { info: "E", uuid: "e1" } },
          { type: "ip-src", value: "192.0.2.10", to_ids: "1", deleted: "1" },
          { type: "ip-dst|port", value: "192.0.2.11", to_ids: 1 },
          { type: "email-src", value: "a@bad.example", to_ids: true },
        ],
      },
    };
    const { entries, skips } = await run(readMispAttributesFeed, JSON.stringify(answer), config);
    expect(values(entries)).toEqual([
      ["DOMAIN", "c2.bad.example"],
      ["IP", "192.0.2.9"],
    ]);
    expect(entries[0]!.fields).toEqual([["type", "domain|ip"], ["event_info", "E"], ["event_uuid", "e1"], ["uuid", "u1"]]);
    expect(skips.map((s) => [s.where, s.reason.split(":")[0]])).toEqual([
      ["attribute 2", "deleted attribute"],
      ["attribute 3", '"192.0.2.11" is not 2 values joined by "|" as type ip-dst|port needs'],
      ["attribute 4", "unsupported attribute type"],
    ]);
  });

  test("a document of another shape fails the feed with the shapes it expected", async () => {
    expect((await run(readMispAttributesFeed, '{"list": []}', config)).error).toBe('Invalid MISP document: expected {"response": {"Attribute": [...]}}, {"Event": {...}} or {"Attribute": [...]}');
    expect((await run(readMispAttributesFeed, "[1,", config)).error).toMatch(/^Invalid MISP document: /);
  });
});
