import { describe, expect, test } from "bun:test";
import { type SplitLine, splitLines } from "../../src/io/split_lines.ts";
import { prng } from "../_support/child_processes.ts";

const enc = new TextEncoder();
const NOT_UTF8 = "line is not valid UTF-8: read with replacement characters";
const TOO_LONG = "line is longer than 8 bytes: skipped";

/** One of each kind of line, for a cap of 8 bytes. */
const SAMPLE = concat(
  enc.encode("\uFEFFhead\r\n"), // 1: BOM dropped
  enc.encode("12345678\r\n"), // 2: exactly the cap, CR not counted
  enc.encode("\n"), // 3: empty
  enc.encode("abcdefghijklmnopqrst\n"), // 4: 20 bytes
  enc.encode("aééééé\n"), // 5: 11 bytes, the cut at 8 falls inside an é
  new Uint8Array([0x61, 0xff, 0x62, 0x0a]), // 6: not UTF-8
  enc.encode("tail"), // 7: no final LF
);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number, overLong?: "skip" | "cut"): Promise<SplitLine[]> {
  const lines: SplitLine[] = [];
  for await (const batch of splitLines(chunks, { maxLineBytes, overLong })) lines.push(...batch);
  return lines;
}

const SKIPPED: SplitLine[] = [
  { text: "head", lineNo: 1 },
  { text: "12345678", lineNo: 2 },
  { text: "", lineNo: 3 },
  { text: "", lineNo: 4, problem: TOO_LONG },
  { text: "", lineNo: 5, problem: TOO_LONG },
  { text: "a\uFFFDb", lineNo: 6, problem: NOT_UTF8 },
  { text: "tail", lineNo: 7 },
];

const CUT: SplitLine[] = [
  { text: "head", lineNo: 1 },
  { text: "12345678", lineNo: 2 },
  { text: "", lineNo: 3 },
  { text: "abcdefgh", lineNo: 4, cut: { piece: 1, last: false } },
  { text: "ijklmnop", lineNo: 4, cut: { piece: 2, last: false } },
  { text: "qrst", lineNo: 4, cut: { piece: 3, last: true } },
  { text: "aééé", lineNo: 5, cut: { piece: 1, last: false } },
  { text: "éé", lineNo: 5, cut: { piece: 2, last: true } },
  { text: "a\uFFFDb", lineNo: 6, problem: NOT_UTF8 },
  { text: "tail", lineNo: 7 },
];

// Chunks smaller than a line, around the cap, and larger than the whole input.
const SIZES = [1, 2, 3, 7, 8, 9, 10, 16, 25, 1000];

describe("splitLines()", () => {
  test.each(SIZES)("skips lines over the cap, whatever the chunk size (%i)", async (size) => {
    expect(await collect(chunked(SAMPLE, size), 8)).toEqual(SKIPPED);
  });

  test.each(SIZES)("cuts lines over the cap between characters, whatever the chunk size (%i)", async (size) => {
    expect(await collect(chunked(SAMPLE, size), 8, "cut")).toEqual(CUT);
  });

  test("yields one batch per chunk that ends a line", async () => {
    const batches: number[][] = [];
    for await (const batch of splitLines(chunked(enc.encode("a\nb\nc\nd"), 4), { maxLineBytes: 8 })) batches.push(batch.map((l) => l.lineNo));
    expect(batches).toEqual([[1, 2], [3], [4]]);
  });

  test("drops a BOM only at the start of the input", async () => {
    expect((await collect(chunked(enc.encode("\uFEFFa\n\uFEFFb\n"), 3), 8)).map((l) => l.text)).toEqual(["a", "\uFEFFb"]);
  });

  test("drops a BOM from the first piece of a cut first line", async () => {
    expect((await collect(chunked(enc.encode("\uFEFFabcdefghij"), 4), 8, "cut")).map((l) => l.text)).toEqual(["abcde", "fghij"]);
  });

  test("a line one byte over the cap ending in CR is still cut without an empty last piece", async () => {
    expect(await collect(chunked(enc.encode("abcdefghi\r\n"), 1), 8, "cut")).toEqual([
      { text: "abcdefgh", lineNo: 1, cut: { piece: 1, last: false } },
      { text: "i", lineNo: 1, cut: { piece: 2, last: true } },
    ]);
  });

  test("an input ending with LF has no empty last line, and an empty input no line", async () => {
    expect(await collect(chunked(enc.encode("a\n"), 1), 8)).toEqual([{ text: "a", lineNo: 1 }]);
    expect(await collect(chunked(new Uint8Array(0), 1), 8)).toEqual([]);
  });
});

describe("splitLines() with keepBytes", () => {
  /** Each line as plain data: its text read, its bytes decoded back (they must give the text). */
  async function plain(chunks: AsyncIterable<Uint8Array>, keepBytes: boolean): Promise<{ lines: SplitLine[]; withBytes: number }> {
    const lines: SplitLine[] = [];
    let withBytes = 0;
    for await (const batch of splitLines(chunks, { maxLineBytes: 8, overLong: "cut", keepBytes })) {
      for (const line of batch) {
        if (line.bytes !== undefined) {
          withBytes++;
          expect(line.bytes).toEqual(enc.encode(line.text));
          // The same bytes as a range of the chunk (what follows them there, the sender checks).
          expect(line.chunk!.subarray(line.start, line.end)).toEqual(line.bytes);
        }
        const { text, lineNo, problem, cut } = line;
        lines.push({ text, lineNo, ...(problem === undefined ? {} : { problem }), ...(cut === undefined ? {} : { cut }) });
      }
    }
    return { lines, withBytes };
  }

  test.each(SIZES)("gives the same lines as without it, whatever the chunk size (%i)", async (size) => {
    const kept = await plain(chunked(SAMPLE, size), true);
    expect(kept.lines).toEqual(CUT);
    expect(kept.withBytes).toBeGreaterThan(0);
    expect((await plain(chunked(SAMPLE, size), false)).withBytes).toBe(0);
  });

  // Random lines of ASCII, CRs, BOMs, multi-byte and invalid bytes, cut into random chunks.
  const pieces = ["a", "é", "\r", "\uFEFF", "日本", "\n", "\n", "\r\n", "x y", "12345"].map((t) => enc.encode(t));
  pieces.push(new Uint8Array([0xff]), new Uint8Array([0xe2, 0x82]), new Uint8Array([0xef, 0xbb, 0xbf]));
  for (let seed = 1; seed <= 100; seed++) {
    test(`seed ${seed}: the same lines as without it`, async () => {
      const random = prng(seed);
      const input = concat(...Array.from({ length: 80 }, () => random.pick(pieces)));
      const sizes = Array.from({ length: 200 }, () => 1 + random.int(40));
      async function* chunks(): AsyncGenerator<Uint8Array> {
        let at = 0;
        for (let i = 0; at < input.length; i++) {
          yield input.slice(at, at + sizes[i % sizes.length]!);
          at += sizes[i % sizes.length]!;
        }
      }
      expect((await plain(chunks(), true)).lines).toEqual((await plain(chunks(), false)).lines);
    });
  }
});
