/**
 * One line of an input file as a scan item: where it came from, and its text or, for a whole
 * line of valid UTF-8, its bytes (a view of what was read), the text decoded only when asked.
 */
import type { SplitLine } from "../io/split_lines.ts";
import type { ScanItem } from "./run_scan.ts";

/**
 * A `ScanItem` over a line from `readLines`: the connection writes its bytes as they were read,
 * and only the lines with detections (the report names them) are ever decoded.
 *
 * @example
 * ```ts
 * for await (const lines of readLines(stream, "access.log", { binary: false })) {
 *   for (const line of lines) queue.add(new ScanLine("access.log", line));
 * }
 * ```
 */
export class ScanLine implements ScanItem {
  readonly source: string;
  readonly #split: SplitLine;

  constructor(source: string, split: SplitLine) {
    this.source = source;
    this.#split = split;
  }

  get line(): number {
    return this.#split.lineNo;
  }

  get text(): string {
    return this.#split.text;
  }

  get bytes(): Uint8Array | undefined {
    return this.#split.bytes;
  }

  get chunk(): Uint8Array | undefined {
    return this.#split.chunk;
  }

  get start(): number | undefined {
    return this.#split.start;
  }

  get end(): number | undefined {
    return this.#split.end;
  }
}
