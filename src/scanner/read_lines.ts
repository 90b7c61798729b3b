/**
 * Reads an input's lines: decompresses gzip (by magic bytes) and brotli (`.br`), replaces
 * invalid UTF-8 with U+FFFD, drops a trailing CR, and refuses files with NUL bytes in their
 * first 8 KiB (binary) unless asked not to.
 */
import { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";

/** Thrown when an input looks binary; the scanner names the file and skips it. */
export class BinaryInputError extends Error {
  override readonly name = "BinaryInputError";
}

const SNIFF_BYTES = 8192;

/** Wraps `source` in the decompressor its first bytes (or name) call for. */
async function* decompressed(source: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  // A pipe may deliver a first chunk of one byte: gather two before looking for the gzip magic.
  let head = new Uint8Array(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    const joined = new Uint8Array(head.length + next.value.length);
    joined.set(head, 0);
    joined.set(next.value, head.length);
    head = joined;
  }
  if (head.length === 0) return;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => iterator,
  };
  async function* whole(): AsyncGenerator<Uint8Array> {
    yield head;
    yield* rest;
  }
  let decoder: NodeJS.ReadWriteStream | undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) decoder = createGunzip();
  else if (name.endsWith(".br")) decoder = createBrotliDecompress();
  else if (name.endsWith(".zz") || name.endsWith(".deflate")) decoder = createInflate();
  if (!decoder) {
    yield* whole();
    return;
  }
  const output = Readable.from(whole()).pipe(decoder) as unknown as AsyncIterable<Uint8Array>;
  for await (const chunk of output) yield chunk;
}

export interface ReadLinesOptions {
  /** Send files with NUL bytes anyway. */
  readonly binary: boolean;
}

/**
 * Yields each line of `source` (without its line end); the last line may lack one.
 *
 * @example
 * ```ts
 * for await (const line of readLines(createReadStream("access.log.gz"), "access.log.gz", { binary: false })) {}
 * ```
 */
export async function* readLines(source: AsyncIterable<Uint8Array>, name: string, options: ReadLinesOptions): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  let carry = "";
  let sniffed = 0;
  for await (const chunk of decompressed(source, name)) {
    if (!options.binary && sniffed < SNIFF_BYTES) {
      const limit = Math.min(chunk.length, SNIFF_BYTES - sniffed);
      for (let i = 0; i < limit; i++) {
        if (chunk[i] === 0) throw new BinaryInputError(`${name}: binary file (NUL byte at offset ${sniffed + i}), skipped; use --binary to send it anyway`);
      }
      sniffed += limit;
    }
    const text = carry + decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline = text.indexOf("\n");
    while (newline >= 0) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      yield text.slice(start, end);
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    carry = text.slice(start);
  }
  const tail = carry + decoder.decode();
  if (tail.length > 0) yield tail.endsWith("\r") ? tail.slice(0, -1) : tail;
}
