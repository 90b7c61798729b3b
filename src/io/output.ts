/**
 * Buffers output text and hands it to the caller's sink in ~64 KiB pieces, waiting when the
 * sink returns a promise, so a large report streams without piling up in memory. Used by
 * `ioclens report` for its output, where one stream write per line cost about 20 µs each in
 * Bun's `node:fs` streams. (The scanner's report files encode into a reused buffer instead:
 * src/scanner/_report_file.ts.)
 *
 * @example
 * ```ts
 * const out = new Output((text) => process.stdout.write(text));
 * out.write("one line\n");
 * out.flush();
 * ```
 */
export class Output {
  #parts: string[] = [];
  #size = 0;
  readonly #sink: (s: string) => void | Promise<void>;

  constructor(sink: (s: string) => void | Promise<void>) {
    this.#sink = sink;
  }

  /** Queues `s`; resolves once earlier text has been accepted when the buffer was full. */
  write(s: string): void | Promise<void> {
    this.#parts.push(s);
    this.#size += s.length;
    if (this.#size >= 65_536) return this.flush();
  }

  flush(): void | Promise<void> {
    if (this.#size === 0) return;
    const text = this.#parts.join("");
    this.#parts = [];
    this.#size = 0;
    return this.#sink(text);
  }
}
