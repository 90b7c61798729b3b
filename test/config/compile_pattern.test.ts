import { describe, expect, test } from "bun:test";
import { compilePattern } from "../../src/config/compile_pattern.ts";

describe("compilePattern()", () => {
  test.each([
    ["uses the u flag when the pattern allows it", "url=(\\S+)", "gu"],
    ["falls back for Boost identity escapes such as \\=", "request\\=(.*?)(?:\\s|$)", "g"],
  ])("%s", (_name, pattern, flags) => {
    expect(compilePattern(pattern, "g").flags).toBe(flags);
  });

  test("throws a SyntaxError when the pattern compiles in neither mode", () => {
    expect(() => compilePattern("(unclosed")).toThrow(SyntaxError);
  });
});
