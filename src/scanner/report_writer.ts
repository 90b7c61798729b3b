/**
 * Writes a scan's results as they complete: the text report holds each detection exactly as
 * the service sent it, then the three summary lines; the ndjson sidecar holds one record per
 * detection (file, line, the line sent, the detection text, its parsed fields) and a final
 * summary record (shape: src/report/sidecar.ts).
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { ReportFormat, ReportPaths } from "./report_files.ts";
import { formatSummaryLines } from "../report/summary_lines.ts";
import type { SidecarDetection, SidecarSummary } from "../report/sidecar.ts";

/** Thrown when a report file cannot be created or written; the scan exits 5. */
export class ReportWriteError extends Error {
  override readonly name = "ReportWriteError";
}

/** Pending text is handed to the file once it reaches this many characters, or every {@link FLUSH_MS}. */
const FLUSH_CHARS = 64 * 1024;
const FLUSH_MS = 500;

/**
 * Joins small writes. One stream write per detection line cost about 20 µs in Bun's `node:fs`
 * streams: with `-r`, writing the report was a fifth of the scanner's CPU (docs/performance.md).
 */
class BatchedFile {
  readonly stream: WriteStream;
  #pending = "";

  constructor(stream: WriteStream) {
    this.stream = stream;
  }

  write(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= FLUSH_CHARS) this.flush();
  }

  flush(): void {
    if (this.#pending === "") return;
    this.stream.write(this.#pending);
    this.#pending = "";
  }
}

export class ReportWriter {
  readonly #format: ReportFormat;
  readonly #paths: ReportPaths;
  readonly #parseFields: (text: string) => Readonly<Record<string, string>>;
  #report: BatchedFile | undefined;
  #sidecar: BatchedFile | undefined;
  /** Keeps the files current while a long scan runs (`tail -f` shows detections within half a second). */
  #flushTimer: ReturnType<typeof setInterval> | undefined;
  #first = true;
  #error: Error | undefined;

  private constructor(paths: ReportPaths, format: ReportFormat, parseFields: (text: string) => Readonly<Record<string, string>>) {
    this.#paths = paths;
    this.#format = format;
    this.#parseFields = parseFields;
  }

  /** Creates the report file(s); throws ReportWriteError naming the path when it cannot. */
  static async open(paths: ReportPaths, format: ReportFormat, parseFields: (text: string) => Readonly<Record<string, string>>): Promise<ReportWriter> {
    const writer = new ReportWriter(paths, format, parseFields);
    try {
      await mkdir(dirname(paths.report), { recursive: true });
      const report = await openStream(paths.report);
      report.on("error", (error) => (writer.#error ??= error));
      writer.#report = new BatchedFile(report);
      if (paths.sidecar) {
        const sidecar = await openStream(paths.sidecar);
        sidecar.on("error", (error) => (writer.#error ??= error));
        writer.#sidecar = new BatchedFile(sidecar);
      }
    } catch (error) {
      throw new ReportWriteError(`cannot create report ${paths.report}: ${(error as Error).message}`);
    }
    if (format === "json") writer.#report!.write('{"detections":[');
    writer.#flushTimer = setInterval(() => {
      writer.#report?.flush();
      writer.#sidecar?.flush();
    }, FLUSH_MS);
    writer.#flushTimer.unref?.();
    return writer;
  }

  get paths(): ReportPaths {
    return this.#paths;
  }

  /** Records the detections of one line. */
  addDetections(file: string, line: number, sent: string, detections: readonly string[]): void {
    for (const text of detections) {
      const record: SidecarDetection = { type: "detection", file, line, sent, text, fields: this.#parseFields(text) };
      const json = JSON.stringify(record);
      if (this.#format === "text") {
        this.#report!.write(text + "\n");
        this.#sidecar!.write(json + "\n");
      } else if (this.#format === "ndjson") {
        this.#report!.write(json + "\n");
      } else {
        this.#report!.write((this.#first ? "" : ",") + "\n" + json);
      }
      this.#first = false;
    }
  }

  /** Appends the summary and closes the files; throws ReportWriteError on a write failure. */
  async finish(summary: Omit<SidecarSummary, "type">): Promise<void> {
    const record: SidecarSummary = { type: "summary", ...summary };
    if (this.#format === "text") {
      this.#report!.write(formatSummaryLines(summary) + "\n");
      this.#sidecar!.write(JSON.stringify(record) + "\n");
    } else if (this.#format === "ndjson") {
      this.#report!.write(JSON.stringify(record) + "\n");
    } else {
      this.#report!.write(`\n],"summary":${JSON.stringify(record)}}\n`);
    }
    clearInterval(this.#flushTimer);
    this.#report!.flush();
    this.#sidecar?.flush();
    await Promise.all([closeStream(this.#report?.stream), closeStream(this.#sidecar?.stream)]);
    if (this.#error) throw new ReportWriteError(`cannot write report ${this.#paths.report}: ${this.#error.message}`);
  }
}

function openStream(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(path, { flags: "w" });
    stream.once("open", () => {
      stream.off("error", reject);
      resolve(stream);
    });
    stream.once("error", reject);
  });
}

function closeStream(stream: WriteStream | undefined): Promise<void> {
  if (!stream || stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.end(() => resolve()));
}
