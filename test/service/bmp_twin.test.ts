import { describe, expect, test } from "bun:test";
import type { RegexRule } from "../../src/config/types.ts";
import { bmpTwin } from "../../src/service/_bmp_twin.ts";
import { compileSources, extract } from "../../src/service/extract.ts";

describe("bmpTwin()", () => {
  test("drops the u flag from an ordinary pattern", () => {
    expect(bmpTwin(/(?<![\w.])(\d+\.\d+)/gu).flags).toBe("g");
  });

  test.each([
    ["a property escape", /\p{L}+/gu],
    ["a code point escape", /\u{1F600}/gu],
    ["an astral literal", new RegExp("[a-😀]+", "gu")],
    ["an escaped surrogate pair", /[a-\uD83D\uDE00]+/gu],
    ["the i flag", /[a-z]+/giu],
  ])("keeps the u regex for %s", (_, re) => {
    expect(bmpTwin(re)).toBe(re);
  });
});

describe("extract() with u-less twins", () => {
  const rule = (pattern: string): RegexRule => ({ name: "RE_X", pattern, type: "URL", extract: "all", useForRetroscan: false, line: 1 });
  const valuesOf = (pattern: string, event: string) =>
    extract(compileSources({ connectionString: "127.0.0.1:0", sources: [{ id: "default", ips: [], hostnames: [], replace: [], ignore: [], regexes: [rule(pattern)] }] }), event, undefined).values.map((v) => v.value);

  test.each([
    ["an astral character matched by '.'", "a.b", "x a😀b y", ["a😀b"]],
    ["a BMP character matched by '.'", "a.b", "x aéb y", ["aéb"]],
    ["two astral characters for '.{2}'", "<.{2}>", "<😀😀> <ab>", ["<😀😀>", "<ab>"]],
  ])("matches %s as the u regex does", (_, pattern, event, expected) => {
    expect(valuesOf(pattern, event)).toEqual(expected);
  });
});
