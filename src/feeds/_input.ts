/**
 * Turns a FeedInput into text: gunzips when the bytes start with the gzip magic `1f 8b`,
 * decodes UTF-8 (dropping a BOM) and splits lines, one chunk at a time, within the feed's
 * {@link FeedLimits}: no more than that is read, decompressed or held for one line.
 */
import { Buffer } from "node:buffer";
import { formatByteSize } from "../io/byte_size.ts";
import { DEFAULT_FEED_LIMITS, FEED_LIMIT_ATTRIBUTES, type FeedLimits } from "./feed_config.ts";
import { decompressed } from "../io/decompressed.ts";
import { DecompressionError } from "../io/decompression_error.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput } from "./feed_reader.ts";

/** The feed's text in the chunks it arrives in. */
export async function* textChunks(input: FeedInput, limits: FeedLimits = DEFAULT_FEED_LIMITS): AsyncGenerator<string> {
  if (typeof input === "string") {
    // Embedded feeds and tests: already in memory, but held to the same bound as a file.
    if (input.length > limits.maxDecompressedBytes || Buffer.byteLength(input) > limits.maxDecompressedBytes) throw overLimit("decompressed size", "maxDecompressedBytes", limits, 0);
    yield input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    return;
  }
  // fatal: false turns invalid UTF-8 into U+FFFD, so one bad byte costs one value, not the feed
  const decoder = new TextDecoder("utf-8");
  const bytes = capped(decompressed(capped(input, "file size", "maxFileBytes", limits)), "decompressed size", "maxDecompressedBytes", limits);
  try {
    for await (const chunk of bytes) {
      const text = decoder.decode(chunk, { stream: true });
      if (text !== "") yield text;
    }
  } catch (error) {
    if (error instanceof DecompressionError) throw new FeedError(`Cannot gunzip the feed: ${error.reason}`);
    throw error;
  }
  const tail = decoder.decode();
  if (tail !== "") yield tail;
}

/**
 * The feed's whole text; for formats (MISP, STIX) that are parsed in one go, so bounded only by
 * `maxDecompressedBytes`.
 */
export async function readText(input: FeedInput, limits: FeedLimits = DEFAULT_FEED_LIMITS): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of textChunks(input, limits)) parts.push(chunk);
  return parts.join("");
}

/**
 * The feed's whole text parsed as JSON; a syntax error becomes FeedError("<what>: <reason>"),
 * while size and gzip errors keep their own message.
 *
 * @example
 * ```ts
 * const bundle = await readJson(input, config.limits, "Invalid STIX bundle");
 * ```
 */
export async function readJson(input: FeedInput, limits: FeedLimits | undefined, what: string): Promise<unknown> {
  const text = await readText(input, limits);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FeedError(`${what}: ${(error as Error).message}`);
  }
}

/**
 * The feed's lines without their LF or CRLF, a decoded chunk's worth at a time, so a reader
 * loops over each batch without an async step per line. A final line without LF counts. A line
 * longer than `maxRecordLength` fails the feed (with FeedError) after the lines before it.
 */
export async function* lineBatches(input: FeedInput, limits: FeedLimits = DEFAULT_FEED_LIMITS): AsyncGenerator<string[]> {
  const max = limits.maxRecordLength;
  let carry = "";
  /** Lines yielded so far: the next line's number is `done + lines.length + 1`. */
  let done = 0;
  for await (const text of textChunks(input, limits)) {
    const lines: string[] = [];
    let start = 0;
    let nl = text.indexOf("\n");
    if (carry !== "") {
      // Joined apart from the chunk: `carry + text` would copy the whole chunk to find one line.
      if (nl < 0) {
        if (carry.length + text.length > max) throw tooLong(done + 1, max);
        carry += text;
        continue;
      }
      if (carry.length + nl > max) throw tooLong(done + 1, max);
      lines.push(withoutCr(carry + text.slice(0, nl)));
      carry = "";
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    for (; nl >= 0; nl = text.indexOf("\n", start)) {
      if (nl - start > max) {
        if (lines.length > 0) yield lines;
        throw tooLong(done + lines.length + 1, max);
      }
      lines.push(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    if (text.length - start > max) {
      if (lines.length > 0) yield lines;
      throw tooLong(done + lines.length + 1, max);
    }
    carry = start === 0 ? text : text.slice(start);
    done += lines.length;
    if (lines.length > 0) yield lines;
  }
  if (carry !== "") yield [withoutCr(carry)];
}

function withoutCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/** Passes `chunks` on until they add up to more than the limit, then throws instead. */
async function* capped(chunks: AsyncIterable<Uint8Array>, what: string, limit: "maxFileBytes" | "maxDecompressedBytes", limits: FeedLimits): AsyncGenerator<Uint8Array> {
  const max = limits[limit];
  let total = 0;
  for await (const chunk of chunks) {
    // The chunk that crosses the limit is not passed on: a line cut at the limit would be read
    // as a whole (wrong) indicator.
    if (total + chunk.length > max) throw overLimit(what, limit, limits, total);
    total += chunk.length;
    yield chunk;
  }
}

/** `decompressed size exceeds max_decompressed_size 1 GiB: stopped at byte 1073610752` (the bytes read). */
function overLimit(what: string, limit: "maxFileBytes" | "maxDecompressedBytes", limits: FeedLimits, at: number): FeedError {
  return new FeedError(`${what} exceeds ${FEED_LIMIT_ATTRIBUTES[limit]} ${formatByteSize(limits[limit])}: stopped at byte ${at}`);
}

function tooLong(line: number, max: number): FeedError {
  return new FeedError(`line ${line} is longer than ${FEED_LIMIT_ATTRIBUTES.maxRecordLength} ${max} characters`);
}
