/**
 * Splits a byte stream into decoded lines in bounded memory: a line longer than the cap is never
 * buffered whole but skipped (and reported) or cut into pieces, so memory stays within the cap
 * and a chunk, and each byte is looked at a fixed number of times. Lines come out in batches, one
 * per input chunk, because a promise per line cost more than the parsing itself (about 8 µs of
 * 19 µs per line).
 */
import { isUtf8 } from "node:buffer";
import { concatBytes } from "./concat_bytes.ts";

/** One line, 1-based, CR and a leading BOM removed. `problem` says what was wrong with it. */
export interface SplitLine {
  /** The line's text; `""` for a line skipped as too long. */
  text: string;
  lineNo: number;
  problem?: string;
  /** Only on the pieces of a line cut in `"cut"` mode: the piece's 1-based number, and whether it is the line's last. */
  cut?: { piece: number; last: boolean };
  /**
   * With `keepBytes`, on a whole line that is valid UTF-8: its bytes (without CR and BOM), a view
   * of the input; `text` is then decoded from them when first read.
   */
  bytes?: Uint8Array;
  /**
   * With `bytes`: the same bytes as `chunk[start, end)`, a range of the input read (no view made
   * per line). When `chunk[end]` is an LF, lines that follow one another in `chunk` can be sent
   * as one view of it.
   */
  chunk?: Uint8Array;
  start?: number;
  end?: number;
}

/** Options of {@link splitLines}. */
export interface SplitLinesOptions {
  /** The longest line delivered whole, in bytes, without its CR LF. */
  readonly maxLineBytes: number;
  /**
   * What becomes of a longer line: `"skip"` (default) delivers it as `text: ""` with a problem;
   * `"cut"` delivers it in pieces of at most `maxLineBytes` bytes, cut between characters, each
   * with the line's number and `cut` set.
   */
  readonly overLong?: "skip" | "cut";
  /**
   * Deliver whole lines that are valid UTF-8 as their bytes (`SplitLine.bytes`), decoding the
   * text only if it is read: the scanner sends bytes and reads the text of few lines.
   */
  readonly keepBytes?: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const NOT_UTF8 = "line is not valid UTF-8: read with replacement characters";
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Yields the lines of `chunks` in batches; the last line needs no final newline.
 *
 * @example Cut over-long lines into pieces
 * ```ts
 * async function* chunks() {
 *   yield new TextEncoder().encode("short\nlooooong\n");
 * }
 * for await (const batch of splitLines(chunks(), { maxLineBytes: 4, overLong: "cut" })) {
 *   console.log(batch.map((l) => `${l.lineNo}:${l.text}`)); // ["1:shor", "1:t", "2:looo", "2:oong"]
 * }
 * ```
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, options: SplitLinesOptions): AsyncGenerator<SplitLine[]> {
  const splitter = new Splitter(options.maxLineBytes, options.overLong === "cut", options.keepBytes === true);
  for await (const chunk of chunks) {
    const batch = splitter.push(chunk);
    if (batch.length > 0) yield batch;
  }
  const batch = splitter.end();
  if (batch.length > 0) yield batch;
}

class Splitter {
  private readonly tooLong: string;
  private batch: SplitLine[] = [];
  /** The unfinished line's bytes so far (never more than `max + 1` between chunks). */
  private carry: Uint8Array[] = [];
  private carryLen = 0;
  /** The unfinished line is over the cap and is being dropped ("skip" mode). */
  private skipping = false;
  /** Pieces of the unfinished line delivered so far ("cut" mode). */
  private pieces = 0;
  /** Lines finished so far. */
  private lineNo = 0;

  constructor(
    private readonly max: number,
    private readonly cut: boolean,
    private readonly keepBytes: boolean,
  ) {
    this.tooLong = `line is longer than ${max} bytes: skipped`;
  }

  push(chunk: Uint8Array): SplitLine[] {
    this.batch = [];
    let start = 0;
    if (this.carryLen > 0 || this.skipping) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.hold(chunk);
        return this.batch;
      }
      this.hold(chunk.subarray(0, nl));
      this.finishHeld();
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(LF);
    if (last >= start) {
      this.complete(chunk.subarray(start, last));
      start = last + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
    return this.batch;
  }

  end(): SplitLine[] {
    this.batch = [];
    if (this.skipping || this.carryLen > 0) this.finishHeld();
    return this.batch;
  }

  /** Adds bytes of the unfinished line, cutting or dropping it once it is over the cap. */
  private hold(bytes: Uint8Array): void {
    if (this.skipping) return;
    this.carry.push(bytes);
    this.carryLen += bytes.length;
    // One byte of slack: a CR may still turn out to be the line end's, not the line's.
    if (this.carryLen <= this.max + 1) return;
    if (!this.cut) {
      this.carry = [];
      this.carryLen = 0;
      this.skipping = true;
      return;
    }
    const held = concatBytes(this.carry, this.carryLen);
    let from = 0;
    // Leaves at least two bytes, so the last piece is not empty even if it ends up a lone CR.
    while (held.length - from > this.max + 1) from = this.piece(held, from, charStart(held, from + this.max, from), this.lineNo + 1, false);
    // A copy, so the chunks just joined are not kept alive by a view of their tail.
    const rest = held.slice(from);
    this.carry = [rest];
    this.carryLen = rest.length;
  }

  /** The held line got its LF (or the input ended). */
  private finishHeld(): void {
    const lineNo = ++this.lineNo;
    if (this.skipping) {
      this.skipping = false;
      this.batch.push({ text: "", lineNo, problem: this.tooLong });
      return;
    }
    const bytes = concatBytes(this.carry, this.carryLen);
    this.carry = [];
    this.carryLen = 0;
    this.line(bytes, lineNo);
  }

  /** Delivers one whole line (without LF), or the last part of a line already being cut. */
  private line(bytes: Uint8Array, lineNo: number): void {
    const body = withoutCr(bytes);
    if (body.length <= this.max && this.pieces === 0) {
      this.decodeLines(bytes, lineNo);
    } else if (!this.cut) {
      this.batch.push({ text: "", lineNo, problem: this.tooLong });
    } else {
      let from = 0;
      while (body.length - from > this.max) from = this.piece(body, from, charStart(body, from + this.max, from), lineNo, false);
      this.piece(body, from, body.length, lineNo, true);
      this.pieces = 0;
    }
  }

  /** Delivers `bytes[from, to)` as a piece of line `lineNo`; returns `to`. */
  private piece(bytes: Uint8Array, from: number, to: number, lineNo: number, last: boolean): number {
    const piece = ++this.pieces;
    const part = bytes.subarray(from, to);
    let text: string;
    let problem: string | undefined;
    try {
      text = strict.decode(part);
    } catch {
      text = lenient.decode(part);
      problem = NOT_UTF8;
    }
    if (lineNo === 1 && piece === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.batch.push(problem === undefined ? { text, lineNo, cut: { piece, last } } : { text, lineNo, problem, cut: { piece, last } });
    return to;
  }

  /** Delivers LF-separated whole lines (no final LF) numbered from `this.lineNo + 1`. */
  private complete(bytes: Uint8Array): void {
    let lineNo = this.lineNo + 1;
    // No line can be over the cap: decode them all in one go.
    if (bytes.length <= this.max) {
      this.lineNo = this.decodeLines(bytes, lineNo);
      return;
    }
    // Chunks larger than the cap: find the long lines by their bytes, decode the runs between.
    let run = 0;
    let runNo = lineNo;
    let from = 0;
    for (;;) {
      const nl = bytes.indexOf(LF, from);
      const end = nl < 0 ? bytes.length : nl;
      const line = bytes.subarray(from, end);
      if (withoutCr(line).length > this.max) {
        if (from > run) this.decodeLines(bytes.subarray(run, from - 1), runNo);
        this.line(line, lineNo);
        run = end + 1;
        runNo = lineNo + 1;
      }
      if (nl < 0) break;
      from = nl + 1;
      lineNo++;
    }
    if (run <= bytes.length) this.decodeLines(bytes.subarray(run), runNo);
    this.lineNo = lineNo;
  }

  /** Delivers LF-separated lines none of which is over the cap; returns the last one's number. */
  private decodeLines(bytes: Uint8Array, firstNo: number): number {
    if (this.keepBytes && isUtf8(bytes)) return this.byteLines(bytes, firstNo);
    let text: string;
    try {
      text = strict.decode(bytes);
    } catch {
      // Some line is not UTF-8: decode line by line to name it.
      let no = firstNo;
      let from = 0;
      for (;;) {
        const nl = bytes.indexOf(LF, from);
        const line = bytes.subarray(from, nl < 0 ? bytes.length : nl);
        try {
          this.add(strict.decode(line), no);
        } catch {
          this.add(lenient.decode(line), no, NOT_UTF8);
        }
        if (nl < 0) return no;
        no++;
        from = nl + 1;
      }
    }
    let no = firstNo;
    let from = 0;
    for (;;) {
      const nl = text.indexOf("\n", from);
      this.add(nl < 0 ? text.slice(from) : text.slice(from, nl), no);
      if (nl < 0) return no;
      no++;
      from = nl + 1;
    }
  }

  /** As `decodeLines`, for valid UTF-8: the same lines, as ranges of `bytes` (see {@link ByteLine}). */
  private byteLines(bytes: Uint8Array, firstNo: number): number {
    // The LF after the last line, when the input has it, is taken in too: then every line's
    // `chunk[end]` is its LF (see SplitLine.chunk).
    const chunk = bytes.byteOffset + bytes.length < bytes.buffer.byteLength ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length + 1) : bytes;
    let no = firstNo;
    let from = 0;
    for (;;) {
      const nl = bytes.indexOf(LF, from);
      let start = from;
      let end = nl < 0 ? bytes.length : nl;
      if (end > start && bytes[end - 1] === CR) end--;
      if (no === 1 && end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
      this.batch.push(new ByteLine(chunk, start, end, no));
      if (nl < 0) return no;
      no++;
      from = nl + 1;
    }
  }

  private add(raw: string, lineNo: number, problem?: string): void {
    let text = raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw;
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.batch.push(problem === undefined ? { text, lineNo } : { text, lineNo, problem });
  }
}

/**
 * A whole line of valid UTF-8 kept as its bytes; its text is decoded when first read, so a line
 * only passed on as bytes never becomes a string. The same text as `add` makes from the decoded
 * chunk: a UTF-8 character never spans an LF, and the CR and a first line's BOM are cut as bytes.
 */
class ByteLine implements SplitLine {
  #text: string | undefined;

  constructor(
    readonly chunk: Uint8Array,
    readonly start: number,
    readonly end: number,
    readonly lineNo: number,
  ) {}

  get bytes(): Uint8Array {
    return this.chunk.subarray(this.start, this.end);
  }

  get text(): string {
    return (this.#text ??= lenient.decode(this.bytes));
  }
}

/** Where to cut near `at` so no UTF-8 character is split: back over up to 3 continuation bytes. */
function charStart(bytes: Uint8Array, at: number, from: number): number {
  let cut = at;
  while (cut > at - 3 && cut > from + 1 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

function withoutCr(bytes: Uint8Array): Uint8Array {
  return bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.subarray(0, bytes.length - 1) : bytes;
}
