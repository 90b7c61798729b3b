import { describe, expect, test } from "bun:test";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import type { SplitLine } from "../../src/io/split_lines.ts";
import { readLines, BinaryInputError, MAX_LINE_BYTES } from "../../src/scanner/read_lines.ts";

const enc = new TextEncoder();

async function* chunks(...parts: (Uint8Array | string)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? enc.encode(part) : part;
}

/** `bytes` in chunks of `size`, as views (no copy), like a file stream delivers them. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/**
 * The lines as plain data. A whole line of valid UTF-8 comes with its bytes and decodes its text
 * from them when read: checked here to be the text's UTF-8, then left out of the comparison.
 */
async function collect(source: AsyncIterable<Uint8Array>, name = "x.log", binary = false): Promise<SplitLine[]> {
  const lines: SplitLine[] = [];
  for await (const batch of readLines(source, name, { binary })) {
    for (const { text, lineNo, problem, cut, bytes } of batch) {
      if (bytes !== undefined) expect(bytes).toEqual(enc.encode(text));
      lines.push({ text, lineNo, ...(problem === undefined ? {} : { problem }), ...(cut === undefined ? {} : { cut }) });
    }
  }
  return lines;
}

async function texts(source: AsyncIterable<Uint8Array>, name = "x.log", binary = false): Promise<string[]> {
  return (await collect(source, name, binary)).map((l) => l.text);
}

describe("readLines()", () => {
  test("gunzips even when the pipe delivers the first byte alone", async () => {
    const gz = gzipSync("one\r\ntwo\nthree");
    expect(await texts(chunks(gz.subarray(0, 1), gz.subarray(1, 5), gz.subarray(5)), "-")).toEqual(["one", "two", "three"]);
  });

  test.each([
    ["brotli", "x.log.br", brotliCompressSync],
    ["deflate", "x.log.zz", deflateSync],
    ["deflate", "x.log.deflate", deflateSync],
  ])("decompresses %s by the name %s", async (_format, name, compress) => {
    expect(await texts(chunks(compress(enc.encode("one\ntwo\n"))), name)).toEqual(["one", "two"]);
  });

  test("splits lines across chunk boundaries, drops CR before LF and numbers them", async () => {
    expect(await collect(chunks("a\r", "\nb", "c\n\nd"))).toEqual([
      { text: "a", lineNo: 1 },
      { text: "bc", lineNo: 2 },
      { text: "", lineNo: 3 },
      { text: "d", lineNo: 4 },
    ]);
  });

  test("replaces invalid UTF-8 with U+FFFD", async () => {
    expect(await texts(chunks(new Uint8Array([0x61, 0xff, 0x62, 0x0a])))).toEqual(["a\uFFFDb"]);
  });

  test("refuses a file with a NUL byte in its first 8 KiB unless binary input is allowed", async () => {
    const bytes = new Uint8Array([0x61, 0x00, 0x0a]);
    await expect(collect(chunks(bytes))).rejects.toBeInstanceOf(BinaryInputError);
    expect(await texts(chunks(bytes), "x.log", true)).toEqual(["a\u0000"]);
  });

  test("sniffs for NUL bytes after decompressing, across chunks, and only in the first 8 KiB", async () => {
    const late = new Uint8Array(8200).fill(0x61);
    late[8192] = 0;
    expect(await collect(chunks(gzipSync(late)))).toEqual([{ text: `${"a".repeat(8192)}\u0000${"a".repeat(7)}`, lineNo: 1 }]);
    const early = new Uint8Array(8200).fill(0x61);
    early[8191] = 0;
    await expect(collect(chunked(early, 1000))).rejects.toThrow("x.log: binary file (NUL byte at offset 8191)");
  });

  test("an empty input yields nothing", async () => {
    expect(await collect(chunks())).toEqual([]);
  });

  test("cuts a 50 MiB line without a newline into 50 pieces of at most 1 MiB in order", async () => {
    const pattern = enc.encode("0123456789abcdefghijklmnopqrstuvwxyz");
    const input = new Uint8Array(50 * MAX_LINE_BYTES);
    for (let at = 0; at < input.length; at += pattern.length) input.set(pattern.subarray(0, input.length - at), at);
    const lines = await collect(chunked(input, 64 << 10));
    expect(lines.length).toBe(50);
    expect(Math.max(...lines.map((l) => l.text.length))).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(lines.map((l) => [l.lineNo, l.cut])).toEqual(Array.from({ length: 50 }, (_, i) => [1, { piece: i + 1, last: i === 49 }]));
    expect(lines.map((l) => l.text).join("") === new TextDecoder().decode(input)).toBe(true);
  });

  test.each(["é", "€", "😀"])("does not break %s where it straddles the 1 MiB cut", async (char) => {
    const before = "a".repeat(MAX_LINE_BYTES - 1);
    const line = `${before}${char}${"b".repeat(10)}`;
    const lines = await collect(chunks(`first\n${line}\nlast\n`));
    expect(lines.map((l) => [l.lineNo, l.text.length, l.text.includes("\uFFFD")])).toEqual([
      [1, 5, false],
      [2, before.length, false],
      [2, char.length + 10, false],
      [3, 4, false],
    ]);
    expect(lines[1]!.text + lines[2]!.text).toBe(line);
    expect(enc.encode(lines[1]!.text).length).toBeLessThanOrEqual(MAX_LINE_BYTES);
  });
});
