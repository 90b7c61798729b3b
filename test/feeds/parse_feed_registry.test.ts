import { describe, expect, test } from "bun:test";
import { parseFeedRegistry } from "../../src/feeds/parse_feed_registry.ts";
import { fixture } from "../_support/feed_reading.ts";

describe("parseFeedRegistry()", () => {
  test("maps each feed name to its indicator fields", () => {
    const registry = parseFeedRegistry(fixture("kl_feed_info.conf"), "kl_feed_info.conf");
    expect([...registry]).toEqual([
      [
        "Botnet_CnC_URL_Data_Feed",
        [
          { name: "mask", type: "URL", category: "KL_BotnetCnC_URL" },
          { name: "files/MD5", type: "MD5", category: "KL_BotnetCnC_Hash_MD5" },
        ],
      ],
      ["IP_Reputation_Data_Feed", [{ name: "ip", type: "IP", category: "KL_IP_Reputation" }]],
    ]);
  });

  test.each([
    ['{"name": "x"}', "Invalid feed registry r.conf: expected a JSON array of feeds"],
    ["[1]", "Invalid feed registry r.conf: feed 1: expected an object"],
    ['[{"fields": []}]', "Invalid feed registry r.conf: feed 1: name must be a non-empty string"],
    ['[{"name": "A"}]', "Invalid feed registry r.conf: feed 1 (A): fields must be an array"],
    ['[{"name": "A", "fields": [{"type": "URL"}]}]', "Invalid feed registry r.conf: feed 1 (A): fields[0]: name must be a non-empty string"],
    [
      '[{"name": "A", "fields": [{"name": "mask", "type": "Link"}]}]',
      'Invalid feed registry r.conf: feed 1 (A): fields[0]: type must be one of URL, DOMAIN, IP, MD5, SHA1, SHA256, HASH, AUTO, got "Link"',
    ],
  ])("rejects %s", (text, message) => {
    expect(() => parseFeedRegistry(text, "r.conf")).toThrow(message);
  });

  test("names the file when the JSON does not parse", () => {
    expect(() => parseFeedRegistry("[{", "r.conf")).toThrow(/^Invalid feed registry r\.conf: /);
  });
});
