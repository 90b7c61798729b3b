import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { anchorScanModuleText } from "../../scripts/anchor_scan_wasm.ts";
import { DEFAULT_RE_DOMAIN, DEFAULT_RE_IP, DEFAULT_RE_MD5, DEFAULT_RE_SHA1, DEFAULT_RE_SHA256, DEFAULT_RE_URL, startFinder, useAnchorScan } from "../../src/service/_start_finder.ts";
import { colonChains, corpus, fuzzStrings } from "./_log_lines.ts";

const FINDERS = Object.entries({ RE_URL: DEFAULT_RE_URL, RE_DOMAIN: DEFAULT_RE_DOMAIN, RE_IP: DEFAULT_RE_IP, RE_MD5: DEFAULT_RE_MD5, RE_SHA1: DEFAULT_RE_SHA1, RE_SHA256: DEFAULT_RE_SHA256 }).map(
  ([name, pattern]) => [name, startFinder(pattern)!] as const,
);

/** ASCII strings dense in what the pass looks at: dots, colons, `=`, `/`, hex runs, and what may stand before them. */
function asciiFuzz(n: number, seed = 3): string[] {
  let s = seed;
  const r = (k: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor((s / 2 ** 32) * k);
  };
  const pieces = ["1", "25", "192", "0", "a", "F", "beef", "g", "Z", "_", "-", ".", ":", "::", "/", "//", "://", "=", "url=", "URL=", "uRl=", "http", "@", "\\", " ", "\t", "\"", "com", "x-y", "0123456789abcdef", "ABCDEF0123456789", "a".repeat(20), "7".repeat(15), "\0", "\x7f"];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let t = "";
    for (let m = r(40); m >= 0; m--) t += pieces[r(pieces.length)]!;
    out.push(t);
  }
  return out;
}

/** Hex runs of every length from 30 to 66 between neighbours the hash regexes test, and label runs around 16, 32, 48 and 64. */
function edges(): string[] {
  const out: string[] = [];
  const around = ["", " ", ".", "-", "_", "x", "g", ":", "=", ".x", ". ", "..", ".-"];
  for (let len = 30; len <= 66; len++) {
    const run = "0123456789abcdefABCDEF".repeat(4).slice(0, len);
    for (const b of around) for (const a of around) out.push(`${b}${run}${a}`);
  }
  for (let len = 1; len <= 70; len++) {
    for (const b of ["", " ", "@", "/", ":", "\\", ".", "x"]) out.push(`${b}${"a1-".repeat(30).slice(0, len)}.com`, `${b}${"7".repeat(len)}.1.2.3`, `${b}${"9".repeat(Math.min(len, 4))}.${"b".repeat(len)}.org`);
  }
  // More anchors than the lists hold: the pass and the scans must both answer -1.
  out.push("a.b ".repeat(1100), "1.2.3.4 ".repeat(1100), ":".repeat(1100), "url=x ".repeat(1100), `${"a".repeat(32)} `.repeat(300));
  return out;
}

const texts = [...corpus(3000, 9), ...fuzzStrings(20_000, 13), ...asciiFuzz(20_000), ...colonChains(5000, 2), ...edges()];

function answers(text: string): string {
  const out = new Int32Array(1024);
  return FINDERS.map(([name, find]) => {
    const n = find(text, out);
    return `${name}:${n}:${n > 0 ? out.subarray(0, n).join(",") : ""}`;
  }).join(" ");
}

afterAll(() => {
  useAnchorScan(true);
});

describe("the start finders' WebAssembly pass", () => {
  test("is the assembly of src/service/anchor_scan.wat as committed (run `bun scripts/anchor_scan_wasm.ts` after editing it)", async () => {
    expect(readFileSync(join(import.meta.dir, "../../src/service/_anchor_scan_wasm.ts"), "utf8")).toBe(await anchorScanModuleText());
  });

  test("runs on this runtime, so the finder tests exercise it", () => {
    expect(useAnchorScan(true)).toBe(true);
  });

  test("gives every finder the same candidates as the JavaScript scans, on ASCII and other text", () => {
    useAnchorScan(false);
    const expected = texts.map(answers);
    useAnchorScan(true);
    let differ = 0;
    let ascii = 0;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      if (/^[\x00-\x7f]*$/.test(text)) ascii++;
      const got = answers(text);
      if (got !== expected[i] && differ++ < 5) expect({ text, got }).toEqual({ text, got: expected[i]! });
    }
    expect(differ).toBe(0);
    expect(ascii).toBeGreaterThan(30_000);
    expect(expected.filter((a) => a.includes(":-1:")).length).toBeGreaterThanOrEqual(5);
  });

  test("answers a text again after another one, and a text too long for it through the JavaScript scans", () => {
    const long = `${"x".repeat(131_040)} 10.0.0.1 evil.example/a`;
    const short = "GET http://a.example/x from 192.0.2.7 md5=" + "ab".repeat(16);
    useAnchorScan(false);
    const expected = [answers(short), answers(long), answers(short)];
    useAnchorScan(true);
    expect([answers(short), answers(long), answers(short)]).toEqual(expected);
    expect(expected[1]).toContain("RE_IP:1:131041");
  });
});
