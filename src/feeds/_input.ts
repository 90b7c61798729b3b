/**
 * Turns a FeedInput into text: gunzips when the bytes start with the gzip magic `1f 8b`,
 * decodes UTF-8 (dropping a BOM) and splits lines, one chunk at a time.
 */
import { decompressed } from "../io/decompressed.ts";
import { DecompressionError } from "../io/decompression_error.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput } from "./feed_reader.ts";

/** The feed's text in the chunks it arrives in. */
export async function* textChunks(input: FeedInput): AsyncGenerator<string> {
  if (typeof input === "string") {
    yield input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    return;
  }
  // fatal: false turns invalid UTF-8 into U+FFFD, so one bad byte costs one value, not the feed
  const decoder = new TextDecoder("utf-8");
  try {
    for await (const bytes of decompressed(input)) {
      const text = decoder.decode(bytes, { stream: true });
      if (text !== "") yield text;
    }
  } catch (error) {
    if (error instanceof DecompressionError) throw new FeedError(`Cannot gunzip the feed: ${error.reason}`);
    throw error;
  }
  const tail = decoder.decode();
  if (tail !== "") yield tail;
}

/** The feed's whole text; for formats (MISP, STIX) that are parsed in one go. */
export async function readText(input: FeedInput): Promise<string> {
  if (typeof input === "string") return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const parts: string[] = [];
  for await (const chunk of textChunks(input)) parts.push(chunk);
  return parts.join("");
}

/**
 * The feed's lines without their LF or CRLF, a decoded chunk's worth at a time, so a reader
 * loops over each batch without an async step per line. A final line without LF counts.
 */
export async function* lineBatches(input: FeedInput): AsyncGenerator<string[]> {
  let carry = "";
  for await (const text of textChunks(input)) {
    const lines: string[] = [];
    let start = 0;
    let nl = text.indexOf("\n");
    if (carry !== "") {
      // Joined apart from the chunk: `carry + text` would copy the whole chunk to find one line.
      if (nl < 0) {
        carry += text;
        continue;
      }
      lines.push(withoutCr(carry + text.slice(0, nl)));
      carry = "";
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    for (; nl >= 0; nl = text.indexOf("\n", start)) {
      lines.push(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    carry = start === 0 ? text : text.slice(start);
    if (lines.length > 0) yield lines;
  }
  if (carry !== "") yield [withoutCr(carry)];
}

function withoutCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}
