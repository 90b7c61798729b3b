import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { readLines, BinaryInputError } from "../../src/scanner/read_lines.ts";

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

async function collect(source: AsyncIterable<Uint8Array>, name = "x.log", binary = false): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(source, name, { binary })) lines.push(line);
  return lines;
}

describe("readLines()", () => {
  test("gunzips even when the pipe delivers the first byte alone", async () => {
    const gz = gzipSync("one\r\ntwo\nthree");
    expect(await collect(chunks(gz.subarray(0, 1), gz.subarray(1, 5), gz.subarray(5)), "-")).toEqual(["one", "two", "three"]);
  });

  test("splits lines across chunk boundaries and drops CR before LF", async () => {
    const enc = new TextEncoder();
    expect(await collect(chunks(enc.encode("a\r"), enc.encode("\nb"), enc.encode("c\n")))).toEqual(["a", "bc"]);
  });

  test("replaces invalid UTF-8 with U+FFFD", async () => {
    expect(await collect(chunks(new Uint8Array([0x61, 0xff, 0x62, 0x0a])))).toEqual(["a\uFFFDb"]);
  });

  test("refuses a file with a NUL byte unless binary input is allowed", async () => {
    const bytes = new Uint8Array([0x61, 0x00, 0x0a]);
    await expect(collect(chunks(bytes))).rejects.toBeInstanceOf(BinaryInputError);
    expect(await collect(chunks(bytes), "x.log", true)).toEqual(["a\u0000"]);
  });

  test("an empty input yields nothing", async () => {
    expect(await collect(chunks())).toEqual([]);
  });
});
