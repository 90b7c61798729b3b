/**
 * Reads an input's lines for the scanner: decompresses gzip (by magic bytes), brotli (`.br`) and
 * deflate (`.zz`, `.deflate`), replaces invalid UTF-8 with U+FFFD, drops a trailing CR, cuts
 * over-long lines into pieces, and refuses files with NUL bytes in their first 8 KiB (binary)
 * unless asked not to.
 */
import { decompressed } from "../io/decompressed.ts";
import { type SplitLine, splitLines } from "../io/split_lines.ts";

/** Thrown when an input looks binary; the scanner names the file and skips it. */
export class BinaryInputError extends Error {
  override readonly name = "BinaryInputError";
}

/**
 * Longest line sent whole, in bytes; a longer one is sent in pieces of this size. The service
 * cuts events at 64 KiB itself (spec cybertrace-service.md §2.1), so no piece loses anything it
 * would read, and the reader holds at most this much of a line however long the line is.
 */
export const MAX_LINE_BYTES = 1 << 20;

const SNIFF_BYTES = 8192;

export interface ReadLinesOptions {
  /** Send files with NUL bytes anyway. */
  readonly binary: boolean;
  /** Longest line sent whole (default {@link MAX_LINE_BYTES}). */
  readonly maxLineBytes?: number;
}

/**
 * Yields the lines of `source` (without their line ends) in batches, one per chunk read; the last
 * line may lack a line end. A line over `maxLineBytes` comes as several pieces with the same
 * `lineNo`, each with `cut` set (see {@link SplitLine}). Whole lines of valid UTF-8 come with their
 * `bytes`, their text decoded only when read (`keepBytes`).
 *
 * @throws {BinaryInputError} when `binary` is false and the first 8 KiB hold a NUL byte
 * @throws {DecompressionError} when compressed input is corrupt
 *
 * @example Read a gzipped log
 * ```ts
 * import { createReadStream } from "node:fs";
 * for await (const lines of readLines(createReadStream("access.log.gz"), "access.log.gz", { binary: false })) {
 *   for (const line of lines) console.log(line.lineNo, line.text);
 * }
 * ```
 */
export function readLines(source: AsyncIterable<Uint8Array>, name: string, options: ReadLinesOptions): AsyncGenerator<SplitLine[]> {
  const bytes = decompressed(source, name);
  return splitLines(options.binary ? bytes : refusingBinary(bytes, name), { maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES, overLong: "cut", keepBytes: true });
}

async function* refusingBinary(chunks: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  let sniffed = 0;
  for await (const chunk of chunks) {
    if (sniffed < SNIFF_BYTES) {
      const nul = chunk.subarray(0, SNIFF_BYTES - sniffed).indexOf(0);
      if (nul >= 0) throw new BinaryInputError(`${name}: binary file (NUL byte at offset ${sniffed + nul}), skipped; use --binary to send it anyway`);
      sniffed += Math.min(chunk.length, SNIFF_BYTES - sniffed);
    }
    yield chunk;
  }
}
