import { describe, expect, test } from "bun:test";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { decompressed } from "../../src/io/decompressed.ts";
import { DecompressionError } from "../../src/io/decompression_error.ts";

const TEXT = "192.0.2.1\tmirai\n".repeat(500);
const enc = new TextEncoder();

async function* parts(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** `bytes` with its first byte alone in the first chunk, as a slow pipe may deliver it. */
function oneByteFirst(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  return parts(bytes.subarray(0, 1), bytes.subarray(1));
}

async function text(source: AsyncIterable<Uint8Array>, name?: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of decompressed(source, name)) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

describe("decompressed()", () => {
  test.each([
    ["gzip by its magic bytes, whatever the name", gzipSync(TEXT), "feed.txt"],
    ["gzip without a name", gzipSync(TEXT), undefined],
    ["brotli by a .br name", brotliCompressSync(TEXT), "x.log.br"],
    ["deflate by a .zz name", deflateSync(TEXT), "x.log.zz"],
    ["deflate by a .deflate name", deflateSync(TEXT), "x.log.deflate"],
    ["plain bytes as they are", enc.encode(TEXT), "x.log"],
  ])("undoes %s, even when the first chunk is one byte", async (_what, bytes, name) => {
    expect(await text(oneByteFirst(bytes), name)).toBe(TEXT);
  });

  test("passes a one-byte and an empty input through", async () => {
    expect(await text(parts(enc.encode("x")))).toBe("x");
    expect(await text(parts(), "x.log.br")).toBe("");
  });

  test("throws a DecompressionError naming the format for truncated gzip, after what it could read", async () => {
    const gz = gzipSync(TEXT);
    let read = 0;
    let failure: unknown;
    try {
      for await (const chunk of decompressed(parts(gz.subarray(0, gz.length - 12)))) read += chunk.length;
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(DecompressionError);
    expect({ format: (failure as DecompressionError).format, message: (failure as Error).message }).toEqual({
      format: "gzip",
      message: "Cannot decompress gzip: unexpected end of file",
    });
    expect(read).toBeLessThanOrEqual(TEXT.length);
  });

  test("passes an error of the source through as it is", async () => {
    const broken = new Error("read failed: EIO");
    async function* source(): AsyncGenerator<Uint8Array> {
      yield gzipSync(TEXT).subarray(0, 20);
      throw broken;
    }
    await expect(text(source())).rejects.toBe(broken);
  });

  test.each([
    ["plain", enc.encode(TEXT)],
    ["gzip", gzipSync(enc.encode(TEXT.repeat(200)))],
  ])("releases the %s source when the reader stops early", async (_what, bytes) => {
    const { promise: released, resolve } = Promise.withResolvers<void>();
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let at = 0; at < bytes.length; at += 64) yield bytes.subarray(at, at + 64);
      } finally {
        resolve();
      }
    }
    for await (const _chunk of decompressed(source())) break;
    await released;
  });
});
