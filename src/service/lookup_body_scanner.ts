/**
 * Finds the items of a REST lookup body (`[{"object": "…"}, …]`, spec cybertrace-service.md
 * §7.4) while it arrives, without parsing them: it counts them against the per-request limit
 * and cuts the body into slices of whole items, so the status endpoint can refuse a body with
 * too many objects before looking any up, and then parse and look up one slice at a time with
 * the event loop free in between. JSON.parse of a 64 MiB body of 2.7 M objects took 2.7 s in
 * one block (PING unanswered for as long).
 *
 * It works on bytes: every byte JSON gives structure to (`[ ] { } , "` and `\`) is ASCII, and
 * UTF-8 never uses an ASCII byte inside a multi-byte character. What is inside an item is left
 * to JSON.parse of its slice.
 */

/** Why a body is refused: 400 for malformed, 413 for more objects than allowed. */
export interface LookupBodyProblem {
  readonly status: 400 | 413;
  readonly error: string;
}

export interface LookupBodyScannerOptions {
  /** More items than this is a 413. */
  readonly maxObjects: number;
  /** A slice ends after this many items… */
  readonly sliceObjects: number;
  /** …or once it holds this many bytes, whichever comes first. */
  readonly sliceBytes: number;
}

const enum State {
  BeforeArray,
  ArrayStart,
  Item,
  AfterArray,
}

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d;
const OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d;
const COMMA = 0x2c, QUOTE = 0x22, BACKSLASH = 0x5c;
const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Push the body's bytes as they come, then call `end()`. Each call returns the first problem
 * found (and every later call returns the same), or undefined. `slices` are byte ranges of the
 * whole body (the pushed chunks joined); each holds whole items separated by commas, so
 * `JSON.parse("[" + text + "]")` of one gives its items.
 *
 * @example
 * ```ts
 * const scanner = new LookupBodyScanner({ maxObjects: 1000, sliceObjects: 2, sliceBytes: 1 << 20 });
 * scanner.push(new TextEncoder().encode('[{"object":"a"},{"object":"b"},{"object":"c"}]'));
 * scanner.end(); // undefined
 * scanner.slices; // [[1, 30], [31, 45]]
 * ```
 */
export class LookupBodyScanner {
  readonly #options: LookupBodyScannerOptions;
  readonly slices: [start: number, end: number][] = [];
  #objects = 0;
  #state = State.BeforeArray;
  /** Offset of the next byte pushed, in the whole body. */
  #offset = 0;
  #sliceStart = -1;
  #sliceObjects = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #itemHasContent = false;
  #problem: LookupBodyProblem | undefined;

  constructor(options: LookupBodyScannerOptions) {
    this.#options = options;
  }

  /** Items seen so far. */
  get objects(): number {
    return this.#objects;
  }

  push(chunk: Uint8Array): LookupBodyProblem | undefined {
    if (this.#problem) return this.#problem;
    const base = this.#offset;
    this.#offset += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      const at = base + i;
      switch (this.#state) {
        case State.BeforeArray:
          if (at < 3 && byte === BOM[at]) continue;
          if (isSpace(byte)) continue;
          if (byte !== OPEN_BRACKET) return this.#malformed(`expected a JSON array, found ${describe(byte)} at byte ${at}`);
          this.#state = State.ArrayStart;
          continue;
        case State.ArrayStart:
          if (isSpace(byte)) continue;
          if (byte === CLOSE_BRACKET) return this.#malformed(EMPTY);
          this.#state = State.Item;
          this.#startItem(at);
          break;
        case State.AfterArray:
          if (isSpace(byte)) continue;
          return this.#malformed(`unexpected ${describe(byte)} at byte ${at} after the closing "]"`);
      }
      // State.Item
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#inString = false;
        continue;
      }
      if (byte === QUOTE) {
        this.#inString = true;
        this.#itemHasContent = true;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        this.#depth++;
        this.#itemHasContent = true;
      } else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && this.#depth > 0) {
        this.#depth--;
      } else if (this.#depth === 0 && (byte === COMMA || byte === CLOSE_BRACKET)) {
        const problem = this.#endItem(at, byte === CLOSE_BRACKET);
        if (problem) return problem;
      } else if (!isSpace(byte)) {
        this.#itemHasContent = true;
      }
    }
    return undefined;
  }

  end(): LookupBodyProblem | undefined {
    if (this.#problem) return this.#problem;
    if (this.#state === State.AfterArray) return undefined;
    return this.#malformed(this.#state === State.BeforeArray ? EMPTY : `the body ends before the closing "]" (after ${this.#objects} objects)`);
  }

  #startItem(at: number): void {
    if (this.#sliceStart < 0) this.#sliceStart = at;
    this.#itemHasContent = false;
  }

  /** An item ended at `at` (a comma, or the array's closing bracket). */
  #endItem(at: number, last: boolean): LookupBodyProblem | undefined {
    if (!this.#itemHasContent) return this.#malformed(`item ${this.#objects} is empty, expected {"object": "<value>"}`);
    this.#objects++;
    if (this.#objects > this.#options.maxObjects) {
      return (this.#problem = {
        status: 413,
        error: `Too many objects in one lookup: more than ${this.#options.maxObjects}, expected at most ${this.#options.maxObjects} (StatusEndpoint > MaxLookupObjects); split the request`,
      });
    }
    this.#sliceObjects++;
    if (last || this.#sliceObjects >= this.#options.sliceObjects || at - this.#sliceStart >= this.#options.sliceBytes) {
      this.slices.push([this.#sliceStart, at]);
      this.#sliceStart = -1;
      this.#sliceObjects = 0;
    }
    if (last) this.#state = State.AfterArray;
    else this.#startItem(at + 1);
    return undefined;
  }

  #malformed(detail: string): LookupBodyProblem {
    return (this.#problem = { status: 400, error: `Malformed lookup body: ${detail}` });
  }
}

const EMPTY = 'expected a non-empty array of {"object": "<value>"}';

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

function describe(byte: number): string {
  return byte >= 0x21 && byte < 0x7f ? `"${String.fromCharCode(byte)}"` : `byte 0x${byte.toString(16).padStart(2, "0")}`;
}
