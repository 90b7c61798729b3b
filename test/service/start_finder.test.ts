import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { compileSources } from "../../src/service/extract.ts";
import { DEFAULT_RE_DOMAIN, DEFAULT_RE_IP, DEFAULT_RE_MD5, DEFAULT_RE_SHA1, DEFAULT_RE_SHA256, DEFAULT_RE_URL, knownPrefilter, startFinder, useAnchorScan } from "../../src/service/_start_finder.ts";
import { colonChains, corpus, editRules, expectSameExtraction, fuzzStrings } from "./_log_lines.ts";

const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
const KNOWN = { RE_URL: DEFAULT_RE_URL, RE_DOMAIN: DEFAULT_RE_DOMAIN, RE_IP: DEFAULT_RE_IP, RE_MD5: DEFAULT_RE_MD5, RE_SHA1: DEFAULT_RE_SHA1, RE_SHA256: DEFAULT_RE_SHA256 };

const texts = [...corpus(4000, 3), ...fuzzStrings(30_000), ...colonChains(10_000), ...hexEdges()];

/** Hex runs of 31–33, 39–41 and 63–65 digits between what the hash regexes' lookarounds test, and a hash beside a URL and a host. */
function hexEdges(): string[] {
  const around = ["", " ", ".", "-", "_", "x", "g", ":", "/", "=", ".x", ". ", "..", ".-", "😀", "é", "\u00a0"];
  const out: string[] = [];
  for (const len of [31, 32, 33, 39, 40, 41, 63, 64, 65]) {
    const run = "0123456789abcdefABCDEF".repeat(3).slice(0, len);
    for (const b of around) for (const a of around) out.push(`${b}${run}${a}`, `md5=${b}${run}${a} ${run}`);
  }
  out.push(`${"a".repeat(32)} http://x.test/${"b".repeat(40)} ${"c".repeat(64)}.exe`, `${"0".repeat(32)}.${"1".repeat(40)}`);
  return out;
}

// Each finder answers ASCII events from the WebAssembly pass and others from JavaScript scans;
// the JavaScript alone serves runtimes without WebAssembly SIMD: both ways are checked.
for (const pass of ["with the WebAssembly pass", "with the JavaScript scans only"]) describe(`startFinder() ${pass}`, () => {
  beforeAll(() => {
    useAnchorScan(pass.startsWith("with the WebAssembly"));
  });
  afterAll(() => {
    useAnchorScan(true);
  });

  test("knows the embedded default URL, domain, IP and hash regexes exactly as the default config writes them", () => {
    const defaults = Object.fromEntries(config.input.sources[0]!.regexes.map((r) => [r.name, r.pattern]));
    expect(Object.fromEntries(Object.keys(KNOWN).map((k) => [k, defaults[k]]))).toEqual(KNOWN);
    expect(Object.values(KNOWN).map((p) => startFinder(p) !== undefined)).toEqual([true, true, true, true, true, true]);
    expect(startFinder(DEFAULT_RE_IP + "|x")).toBeUndefined();
  });

  test.each(Object.entries(KNOWN))("never misses a position where %s can start a match", (_name, pattern) => {
    const find = startFinder(pattern)!;
    const out = new Int32Array(1024);
    let starts = 0;
    for (const flags of ["uy", "y"]) {
      const sticky = new RegExp(pattern, flags);
      for (const text of texts) {
        const n = find(text, out);
        expect(n).toBeGreaterThanOrEqual(0);
        const candidates = new Set(out.subarray(0, n));
        for (let i = 0; i <= text.length; i++) {
          sticky.lastIndex = i;
          // With `u`, a start inside a surrogate pair steps back to the pair: that start is checked on its own.
          if (sticky.exec(text)?.index !== i) continue;
          starts++;
          if (!candidates.has(i)) expect({ pattern: _name, text, start: i }).toEqual({ pattern: _name, text, start: -1 });
        }
      }
    }
    expect(starts).toBeGreaterThan(_name.startsWith("RE_SHA") || _name === "RE_MD5" ? 300 : 2_000);
  });

  test.each(Object.entries(KNOWN))("lists %s's candidates in ascending order without repeats", (_name, pattern) => {
    const find = startFinder(pattern)!;
    const out = new Int32Array(1024);
    let unordered = 0;
    for (const text of texts) {
      const n = find(text, out);
      for (let k = 1; k < n; k++) if (out[k - 1]! >= out[k]!) unordered++;
    }
    expect(unordered).toBe(0);
  });

  test("answers -1 when the candidates do not fit, so extraction runs the regex the ordinary way", () => {
    const text = "a.b ".repeat(40);
    expect(startFinder(DEFAULT_RE_DOMAIN)!(text, new Int32Array(8))).toBe(-1);
    expect(startFinder(DEFAULT_RE_DOMAIN)!(text, new Int32Array(64))).toBe(40);
  });
});

describe("extract() with start finders", () => {
  test("extracts exactly what whole-event regex scans extract, on varied lines, fuzz and a line with more anchors than fit", () => {
    const fast = compileSources(config.input);
    const slow = editRules(fast, (r) => ({ ...r, starts: undefined }));
    expect(fast.fallback.rules.filter((r) => r.starts !== undefined).map((r) => r.name)).toEqual(["RE_URL", "RE_DOMAIN", "RE_IP", "RE_MD5", "RE_SHA1", "RE_SHA256"]);
    const many = Array.from({ length: 1500 }, (_, i) => `h${i}.example.com/x 10.0.${i % 256}.1`).join(" ");
    const values = expectSameExtraction(fast, slow, [...texts, many]);
    expect(values).toBeGreaterThan(10_000);
  });

  test("keeps first-match rules (extract not all) exact", () => {
    const input = { ...config.input, sources: config.input.sources.map((s) => ({ ...s, regexes: s.regexes.map((r) => ({ ...r, extract: "first" as const })) })) };
    const fast = compileSources(input);
    const slow = editRules(fast, (r) => ({ ...r, starts: undefined }));
    expectSameExtraction(fast, slow, texts.slice(0, 8000));
    expect(fast.fallback.rules.every((r) => !r.all)).toBe(true);
  });
});

describe("knownPrefilter()", () => {
  test("gives the default hash regexes one shared test that passes every event they match in", () => {
    const defaults = Object.fromEntries(config.input.sources[0]!.regexes.map((r) => [r.name, r.pattern]));
    expect([defaults.RE_MD5, defaults.RE_SHA1, defaults.RE_SHA256]).toEqual([DEFAULT_RE_MD5, DEFAULT_RE_SHA1, DEFAULT_RE_SHA256]);
    const pre = knownPrefilter(DEFAULT_RE_MD5)!;
    expect([knownPrefilter(DEFAULT_RE_SHA1), knownPrefilter(DEFAULT_RE_SHA256), knownPrefilter(DEFAULT_RE_IP)]).toEqual([pre, pre, undefined]);
    const hashLines = [...texts, `md5=${"a".repeat(32)}`, `sha1 ${"B7".repeat(20)}`, `x ${"0f".repeat(32)} y`, `${"a".repeat(31)}`];
    let matched = 0;
    for (const pattern of [DEFAULT_RE_MD5, DEFAULT_RE_SHA1, DEFAULT_RE_SHA256]) {
      const re = new RegExp(pattern, "u");
      for (const line of hashLines) {
        if (!re.test(line)) continue;
        matched++;
        expect({ line, passes: pre.test(line) }).toEqual({ line, passes: true });
      }
    }
    expect(matched).toBeGreaterThan(300);
    expect(pre.test("a".repeat(31))).toBe(false);
  });
});
