/**
 * Turns a FeedInput into text: gunzips when the bytes start with the gzip magic `1f 8b`,
 * decodes UTF-8 (dropping a BOM) and splits lines, one chunk at a time.
 */
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { FeedError } from "./feed_error.ts";
import type { FeedInput } from "./feed_reader.ts";

const GZIP_ID1 = 0x1f;
const GZIP_ID2 = 0x8b;

/** The feed's text in the chunks it arrives in. */
export async function* textChunks(input: FeedInput): AsyncGenerator<string> {
  if (typeof input === "string") {
    yield input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    return;
  }
  // fatal: false turns invalid UTF-8 into U+FFFD, so one bad byte costs one value, not the feed
  const decoder = new TextDecoder("utf-8");
  for await (const bytes of maybeGunzip(input)) {
    const text = decoder.decode(bytes, { stream: true });
    if (text !== "") yield text;
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

/** The feed's lines without their LF or CRLF; a final line without LF counts. */
export async function* readLines(input: FeedInput): AsyncGenerator<string> {
  let carry = "";
  for await (const chunk of textChunks(input)) {
    const text = carry === "" ? chunk : carry + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    carry = start === 0 ? text : text.slice(start);
  }
  if (carry !== "") yield carry.charCodeAt(carry.length - 1) === 13 ? carry.slice(0, -1) : carry;
}

async function* maybeGunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  // a first chunk of one byte is possible on a slow pipe: gather two before deciding
  let head: Uint8Array = new Uint8Array(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    head = head.length === 0 ? next.value : concat(head, next.value);
  }
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  };
  if (head[0] !== GZIP_ID1 || head[1] !== GZIP_ID2) {
    yield* rest();
    return;
  }
  const gunzip = createGunzip();
  // pipeline destroys gunzip with the source's or zlib's error, which the loop below rethrows
  pipeline(Readable.from(rest()), gunzip, () => {});
  try {
    for await (const out of gunzip) yield out as Uint8Array;
  } catch (error) {
    throw new FeedError(`Cannot gunzip the feed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
