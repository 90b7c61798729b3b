import { describe, expect, test } from "bun:test";
import { LookupBodyScanner } from "../../src/service/lookup_body_scanner.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** Scans `body` pushed in pieces of `step` bytes; returns the problem, or the slices as text. */
function scan(body: string, options: { maxObjects?: number; sliceObjects?: number; sliceBytes?: number; step?: number } = {}) {
  const scanner = new LookupBodyScanner({ maxObjects: options.maxObjects ?? 1000, sliceObjects: options.sliceObjects ?? 1000, sliceBytes: options.sliceBytes ?? 1 << 20 });
  const bytes = encode(body);
  const step = options.step ?? bytes.length;
  let problem;
  for (let at = 0; at < bytes.length && !problem; at += step) problem = scanner.push(bytes.subarray(at, at + step));
  problem ??= scanner.end();
  if (problem) return problem;
  const decoder = new TextDecoder();
  return { objects: scanner.objects, slices: scanner.slices.map(([start, end]) => decoder.decode(bytes.subarray(start, end))) };
}

const items = (n: number) => "[" + Array.from({ length: n }, (_, i) => `{"object":"v${i}"}`).join(",") + "]";

describe("LookupBodyScanner", () => {
  test("cuts the body into slices of whole items, each JSON once wrapped in brackets", () => {
    const result = scan(items(5), { sliceObjects: 2 });
    expect(result).toEqual({ objects: 5, slices: ['{"object":"v0"},{"object":"v1"}', '{"object":"v2"},{"object":"v3"}', '{"object":"v4"}'] });
  });

  test("finds the same slices whichever way the bytes are split", () => {
    const body = ` \n[ {"object":"a,b]"} , {"object":"say \\"]\\", then , "},{"object":"ünï,cödé"},\t{"object":"\\\\"}]\r\n`;
    const whole = scan(body, { sliceObjects: 2 });
    expect(whole).toEqual({ objects: 4, slices: ['{"object":"a,b]"} , {"object":"say \\"]\\", then , "}', '{"object":"ünï,cödé"},\t{"object":"\\\\"}'] });
    for (const step of [1, 2, 3, 7]) expect(scan(body, { sliceObjects: 2, step })).toEqual(whole);
    for (const slice of (whole as { slices: string[] }).slices) expect(() => JSON.parse(`[${slice}]`)).not.toThrow();
  });

  test("ends a slice early when it reaches the byte bound", () => {
    const result = scan(items(4), { sliceObjects: 100, sliceBytes: 20 }) as { slices: string[] };
    expect(result.slices).toEqual(['{"object":"v0"},{"object":"v1"}', '{"object":"v2"},{"object":"v3"}']);
  });

  test("takes nested values and escaped slashes as part of their item", () => {
    expect(scan('[{"object":"http:\\/\\/example.com","x":[1,{"y":"]"}]}]')).toEqual({ objects: 1, slices: ['{"object":"http:\\/\\/example.com","x":[1,{"y":"]"}]}'] });
  });

  test("accepts a UTF-8 byte order mark before the array", () => {
    expect(scan('\uFEFF[{"object":"a"}]')).toEqual({ objects: 1, slices: ['{"object":"a"}'] });
  });

  test("refuses the first object over the limit with 413, naming the limit and its element", () => {
    expect(scan(items(6), { maxObjects: 5, step: 3 })).toEqual({
      status: 413,
      error: "Too many objects in one lookup: more than 5, expected at most 5 (StatusEndpoint > MaxLookupObjects); split the request",
    });
    expect(scan(items(5), { maxObjects: 5 })).toMatchObject({ objects: 5 });
  });

  test.each([
    ["an empty body", "", 'expected a non-empty array of {"object": "<value>"}'],
    ["an empty array", " [ ] ", 'expected a non-empty array of {"object": "<value>"}'],
    ["an object", '{"object":"a"}', 'expected a JSON array, found "{" at byte 0'],
    ["a trailing comma", '[{"object":"a"},]', 'item 1 is empty, expected {"object": "<value>"}'],
    ["two commas", '[{"object":"a"},,{"object":"b"}]', 'item 1 is empty, expected {"object": "<value>"}'],
    ["a cut-off body", '[{"object":"a"},{"obj', 'the body ends before the closing "]" (after 1 objects)'],
    ["text after the array", '[{"object":"a"}] x', 'unexpected "x" at byte 17 after the closing "]"'],
  ])("refuses %s with 400", (_name, body, detail) => {
    expect(scan(body)).toEqual({ status: 400, error: `Malformed lookup body: ${detail}` });
  });
});
