import { describe, expect, test } from "bun:test";
import { redactSecrets, shownUrl, urlSecrets } from "../../src/io/redact_secrets.ts";

describe("shownUrl()", () => {
  test.each([
    ["https://bob:pw@feeds.example/x.csv", "https://feeds.example/x.csv"],
    ["https://feeds.example/x.csv?apikey=s3cret&days=1", "https://feeds.example/x.csv?apikey=***&days=1"],
    ["https://feeds.example/x?auth_token=a&Signature=b&limit=5", "https://feeds.example/x?auth_token=***&Signature=***&limit=5"],
    ["https://feeds.example/plain.txt", "https://feeds.example/plain.txt"],
    ["not a url://bob:pw@host/x", "not a url://host/x"],
  ])("%s → %s", (url, shown) => {
    expect(shownUrl(url)).toBe(shown);
  });
});

describe("urlSecrets() and redactSecrets()", () => {
  test("finds the user, password and secret query values, raw and encoded, and hides them anywhere in a text", () => {
    const url = "https://bob:p%40ss@feeds.example/x?token=a%2Fb&days=1";
    const secrets = urlSecrets(url);
    expect(secrets).toContain("p%40ss");
    expect(secrets).toContain("p@ss");
    expect(secrets).toContain("a/b");
    expect(secrets).toContain("a%2Fb");
    expect(redactSecrets(`GET ${url} failed for bob with p@ss and a/b`, secrets)).toBe("GET https://***:***@feeds.example/x?token=***&days=1 failed for *** with *** and ***");
  });

  test("hides a longer secret whole before a shorter one it contains", () => {
    expect(redactSecrets("key ABCDEF", ["ABC", "ABCDEF"])).toBe("key ***");
  });

  test("an empty secret changes nothing", () => {
    expect(redactSecrets("text", [""])).toBe("text");
  });
});
