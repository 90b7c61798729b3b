/**
 * One file of a scan's report: text encoded straight into one reused buffer, written out with
 * writeSync when it fills and whenever the report writer flushes.
 *
 * Why not a node:fs WriteStream behind `Output` (io/output.ts) as before: in Bun the stream, the
 * joined 64 KiB string and its fresh UTF-8 copy cost ≈ 8 µs of CPU per detection of a text
 * report and its sidecar, a third of it system time (page faults on new memory); encoding into
 * this buffer and writing it costs ≈ 1 µs (docs/performance.md, "report mode, round 2"). A report
 * on a local disk takes a 128 KiB write in tens of µs, so writing synchronously does not hold up
 * the socket reads.
 */
import { Buffer } from "node:buffer";
import { writeSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/** Bytes collected before a write. */
const BUFFER_BYTES = 128 * 1024;

/**
 * A report file being written. The first write or close failure is kept: nothing is written
 * after it, and `close` resolves with it.
 *
 * @example
 * ```ts
 * const file = new ReportFile(await open("report.txt", "w"));
 * file.writeLine("a detection");
 * const error = await file.close(); // undefined: every write succeeded
 * ```
 */
export class ReportFile {
  readonly #handle: FileHandle;
  readonly #buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  #used = 0;
  #error: Error | undefined;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** Queues `text` (whole: a caller never splits a surrogate pair across two calls). */
  write(text: string): void {
    if (this.#error !== undefined) return;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 for 2).
    const most = text.length * 3;
    if (this.#used + most > BUFFER_BYTES) {
      this.flush();
      if (most > BUFFER_BYTES) return this.#writeAll(Buffer.from(text, "utf8"));
    }
    this.#used += this.#buffer.write(text, this.#used, "utf8");
  }

  /** Queues `text` and a line feed, without the joined string `text + "\n"` would be. */
  writeLine(text: string): void {
    this.write(text);
    if (this.#error !== undefined) return;
    if (this.#used === BUFFER_BYTES) this.flush();
    this.#buffer[this.#used++] = 10;
  }

  /** Writes what is queued. */
  flush(): void {
    if (this.#used === 0) return;
    const bytes = this.#buffer.subarray(0, this.#used);
    this.#used = 0;
    this.#writeAll(bytes);
  }

  /** Flushes and closes the file; resolves with `error` (undefined when every write succeeded). */
  async close(): Promise<Error | undefined> {
    this.flush();
    try {
      await this.#handle.close();
    } catch (error) {
      this.#error ??= error as Error;
    }
    return this.#error;
  }

  #writeAll(bytes: Uint8Array): void {
    if (this.#error !== undefined) return;
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(this.#handle.fd, bytes, at, bytes.length - at);
    } catch (error) {
      this.#error = error as Error;
    }
  }
}
