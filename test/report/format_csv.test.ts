import { describe, expect, test } from "bun:test";
import { csvField } from "../../src/report/format_csv.ts";

describe("csvField()", () => {
  test.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["=HYPERLINK(\"http://evil.example\")", '"\'=HYPERLINK(""http://evil.example"")"'],
    ["+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tx", "'\tx"],
    ["http://a.example/?q=-1", "http://a.example/?q=-1"],
  ])("%p becomes %p (RFC 4180 quoting, formula starts neutralised)", (input, expected) => {
    expect(csvField(input)).toBe(expected);
  });
});
