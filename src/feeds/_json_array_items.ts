/**
 * Splits a top-level JSON array into the source text of its elements without parsing the whole
 * document, so a Kaspersky feed of a million records is never held twice and a truncated file
 * still yields every record before the cut. Each element is then parsed on its own.
 */
import { FEED_LIMIT_ATTRIBUTES } from "./feed_config.ts";
import { FeedError } from "./feed_error.ts";

/** One element's source text and the line it starts on (1-based). */
export interface JsonItem {
  readonly text: string;
  readonly line: number;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const LF = 10;

const enum State {
  BeforeArray,
  BeforeItem,
  InItem,
  AfterItem,
  AfterArray,
}

/**
 * Yields the elements of the JSON array in `chunks`, those that end in one chunk together.
 * Throws FeedError naming the line when the text is not an array, an element is not followed
 * by `,` or `]`, an element is longer than `maxLength` characters (it is never held longer),
 * or the input ends early; the elements before the fault are yielded first. Element syntax is
 * left to JSON.parse; only brackets and strings are tracked here.
 */
export async function* jsonArrayItems(chunks: AsyncIterable<string>, maxLength = Number.POSITIVE_INFINITY): AsyncGenerator<JsonItem[]> {
  let state = State.BeforeArray;
  /** Elements finished so far, for the number of the one too long. */
  let count = 0;
  /** Characters of the current element held in `parts`. */
  let held = 0;
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let itemLine = 0;
  for await (const chunk of chunks) {
    let start = 0; // where the current item begins in this chunk
    const n = chunk.length;
    const items: JsonItem[] = [];
    let fault: FeedError | undefined;
    try {
      for (let i = 0; i < n; i++) {
        const c = chunk.charCodeAt(i);
        if (c === LF) line++;
        if (state === State.InItem) {
          if (inString) {
            if (escaped) escaped = false;
            else if (c === BACKSLASH) escaped = true;
            else if (c === QUOTE) {
              inString = false;
              if (depth === 0) {
                items.push(finish(chunk, start, i + 1));
                state = State.AfterItem;
              }
            }
            continue;
          }
          if (c === QUOTE) inString = true;
          else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
          else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
            if (depth === 0) {
              // a bare scalar ended by the array's `]`
              items.push(finish(chunk, start, i));
              state = State.AfterArray;
            } else if (--depth === 0) {
              items.push(finish(chunk, start, i + 1));
              state = State.AfterItem;
            }
          } else if (depth === 0 && (c === COMMA || isSpace(c))) {
            items.push(finish(chunk, start, i));
            state = c === COMMA ? State.BeforeItem : State.AfterItem;
          }
          continue;
        }
        if (isSpace(c)) continue;
        switch (state) {
          case State.BeforeArray:
            if (c !== OPEN_BRACKET) throw syntax(`expected "[" at line ${line}, found ${show(c)}`);
            state = State.BeforeItem;
            break;
          case State.BeforeItem:
            if (c === CLOSE_BRACKET) {
              state = State.AfterArray;
              break;
            }
            if (c === COMMA) throw syntax(`expected an element at line ${line}, found ","`);
            state = State.InItem;
            start = i;
            itemLine = line;
            parts = [];
            held = 0;
            if (c === QUOTE) inString = true;
            else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth = 1;
            break;
          case State.AfterItem:
            if (c === COMMA) state = State.BeforeItem;
            else if (c === CLOSE_BRACKET) state = State.AfterArray;
            else throw syntax(`expected "," or "]" at line ${line}, found ${show(c)}`);
            break;
          case State.AfterArray:
            throw syntax(`unexpected text after the array at line ${line}, found ${show(c)}`);
        }
      }
    } catch (error) {
      fault = error as FeedError;
    }
    if (items.length > 0) yield items;
    if (fault !== undefined) throw fault;
    if (state === State.InItem) {
      held += n - start;
      if (held > maxLength) throw tooLong();
      parts.push(chunk.slice(start));
    }
  }
  if (state === State.BeforeArray) throw syntax("expected a JSON array, found no data");
  if (state === State.InItem) throw syntax(`input ends inside the element that starts at line ${itemLine}, expected "]"`);
  if (state !== State.AfterArray) throw syntax(`input ends at line ${line} before the array's "]"`);

  function finish(chunk: string, from: number, to: number): JsonItem {
    if (held + to - from > maxLength) throw tooLong();
    const tail = chunk.slice(from, to);
    const text = parts.length === 0 ? tail : parts.join("") + tail;
    parts = [];
    depth = 0;
    count++;
    return { text, line: itemLine };
  }

  function tooLong(): FeedError {
    return new FeedError(`record ${count + 1}, which starts at line ${itemLine}, is longer than ${FEED_LIMIT_ATTRIBUTES.maxRecordLength} ${maxLength} characters`);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function show(c: number): string {
  return JSON.stringify(String.fromCharCode(c));
}

function syntax(detail: string): FeedError {
  return new FeedError(`Invalid JSON feed: ${detail}`);
}
