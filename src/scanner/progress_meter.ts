/**
 * Counts a scan's progress (files, lines, bytes read, detections) and renders the one-line
 * progress bar shown on stderr when it is a terminal.
 */

export interface ProgressTotals {
  readonly files: number;
  /** Bytes of all input files as stored (compressed files count their compressed size). */
  readonly bytes: number;
  readonly now: () => number;
}

export class ProgressMeter {
  readonly #totals: ProgressTotals;
  readonly #started: number;
  #files = 0;
  #lines = 0;
  #bytes = 0;
  #detections = 0;

  constructor(totals: ProgressTotals) {
    this.#totals = totals;
    this.#started = totals.now();
  }

  /** Passes `source` through, counting the bytes read from it. */
  countBytes(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const meter = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const chunk of source) {
          meter.#bytes += chunk.length;
          yield chunk;
        }
      },
    };
  }

  fileDone(): void {
    this.#files++;
  }

  lineDone(detections: number): void {
    this.#lines++;
    this.#detections += detections;
  }

  /** `files 2/3  lines 120,000  41.2/96.0 MiB  35,000 lines/s  ETA 00:02  detections 14` */
  render(): string {
    const seconds = Math.max(0.001, (this.#totals.now() - this.#started) / 1000);
    const rate = Math.round(this.#lines / seconds);
    const mib = (n: number) => (n / 1048576).toFixed(1);
    let eta = "--:--";
    if (this.#totals.bytes > 0 && this.#bytes > 0) {
      const left = ((this.#totals.bytes - this.#bytes) / this.#bytes) * seconds;
      const s = Math.max(0, Math.round(left));
      eta = `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
    }
    return `files ${this.#files}/${this.#totals.files}  lines ${this.#lines.toLocaleString("en-US")}  ${mib(this.#bytes)}/${mib(this.#totals.bytes)} MiB  ${rate.toLocaleString("en-US")} lines/s  ETA ${eta}  detections ${this.#detections}`;
  }
}
