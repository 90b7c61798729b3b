import { describe, expect, test } from "bun:test";
import { escapeControl } from "../../src/io/escape_control.ts";

describe("escapeControl()", () => {
  test.each([
    ["plain text comes back as it is", "logs/a.log", {}, "logs/a.log"],
    ["ESC and BEL as \\xHH", "a\x1b]0;t\x07", {}, "a\\x1b]0;t\\x07"],
    ["LF, CR and TAB by name", "a\nb\rc\td", {}, "a\\nb\\rc\\td"],
    ["DEL and C1 (the 8-bit CSI)", "\x7f\u009b", {}, "\\x7f\\x9b"],
    ["line and paragraph separators, bidi overrides", "a\u2028b\u202ec\u2066", {}, "a\\u2028b\\u202ec\\u2066"],
    ["lines: LF, CR LF and TAB kept, a lone CR escaped", "x,y\r\na\tb\rc\x1b\n", { lines: true }, "x,y\r\na\tb\\rc\\x1b\n"],
    ["json: \\u00XX, valid inside a JSON string", '{"a":"\u009b\u2028"}\n', { lines: true, json: true }, '{"a":"\\u009b\\u2028"}\n'],
    ["UTF-8 text that is no control stays", "räksmörgås ✓ 日本", {}, "räksmörgås ✓ 日本"],
  ] as const)("%s", (_name, text, options, expected) => {
    expect(escapeControl(text, options)).toBe(expected);
  });

  test("JSON escaped for a terminal parses to the same value", () => {
    const value = { indicator: "evil/\u009b2J\u2028\u202e" };
    expect(JSON.parse(escapeControl(JSON.stringify(value), { lines: true, json: true }))).toEqual(value);
  });
});
