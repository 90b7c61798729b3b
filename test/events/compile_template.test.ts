import { describe, expect, test } from "bun:test";
import { compileTemplate } from "../../src/events/compile_template.ts";

const known = new Map([
  ["Date", -1],
  ["RE_URL", 0],
]);

describe("compileTemplate()", () => {
  test.each([
    ["plain text", "no placeholders", { literals: ["no placeholders"], codes: [] }],
    ["placeholders at both ends", "%Date% url=%RE_URL%", { literals: ["", " url=", ""], codes: [-1, 0] }],
    ["adjacent placeholders", "%Date%%RE_URL%", { literals: ["", "", ""], codes: [-1, 0] }],
    ["a lone percent sign stays text", "100% sure %Date%", { literals: ["100% sure ", ""], codes: [-1] }],
    ["a percent pair around spaces stays text", "a % b % %Date%", { literals: ["a % b % ", ""], codes: [-1] }],
    ["a double percent stays text", "%%Date%", { literals: ["%", ""], codes: [-1] }],
    ["an unclosed placeholder stays text", "x=%Date", { literals: ["x=%Date"], codes: [] }],
  ])("%s", (_name, text, expected) => {
    expect(compileTemplate(text, known)).toEqual(expected);
  });

  test("an unknown placeholder renders empty and is reported once", () => {
    const unknown: string[] = [];
    const t = compileTemplate("%Nope% %Nope% %Date%", known, (n) => unknown.push(n));
    expect(unknown).toEqual(["Nope"]);
    expect(t.codes.length).toBe(3);
    expect(t.codes[0]).toBe(t.codes[1]!);
    expect(t.codes[0]).not.toBe(-1);
    expect(t.codes[0]! < 0).toBe(true);
  });
});
