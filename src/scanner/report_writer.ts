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
import { Output } from "../io/output.ts";
import { formatSummaryLines } from "../report/summary_lines.ts";
import type { SidecarDetection, SidecarSummary } from "../report/sidecar.ts";

/** Thrown when a report file cannot be created or written; the scan exits 5. */
export class ReportWriteError extends Error {
  override readonly name = "ReportWriteError";
}

/** Pending text reaches the files at least this often (it goes at once in 64 KiB pieces). */
const FLUSH_MS = 500;

/** A report file: its stream, and the text on its way there in 64 KiB writes (see `Output`). */
interface ReportFile {
  readonly stream: WriteStream;
  readonly out: Output;
}

function reportFile(stream: WriteStream): ReportFile {
  return { stream, out: new Output((text) => void stream.write(text)) };
}

export class ReportWriter {
  readonly #format: ReportFormat;
  readonly #paths: ReportPaths;
  readonly #parseFields: (text: string) => Readonly<Record<string, string>>;
  #report: ReportFile | undefined;
  #sidecar: ReportFile | undefined;
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
      writer.#report = reportFile(report);
      if (paths.sidecar) {
        const sidecar = await openStream(paths.sidecar);
        sidecar.on("error", (error) => (writer.#error ??= error));
        writer.#sidecar = reportFile(sidecar);
      }
    } catch (error) {
      throw new ReportWriteError(`cannot create report ${paths.report}: ${(error as Error).message}`);
    }
    if (format === "json") writer.#report!.out.write('{"detections":[');
    writer.#flushTimer = setInterval(() => {
      void writer.#report?.out.flush();
      void writer.#sidecar?.out.flush();
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
        this.#report!.out.write(text + "\n");
        this.#sidecar!.out.write(json + "\n");
      } else if (this.#format === "ndjson") {
        this.#report!.out.write(json + "\n");
      } else {
        this.#report!.out.write((this.#first ? "" : ",") + "\n" + json);
      }
      this.#first = false;
    }
  }

  /** Appends the summary and closes the files; throws ReportWriteError on a write failure. */
  async finish(summary: Omit<SidecarSummary, "type">): Promise<void> {
    const record: SidecarSummary = { type: "summary", ...summary };
    if (this.#format === "text") {
      this.#report!.out.write(formatSummaryLines(summary) + "\n");
      this.#sidecar!.out.write(JSON.stringify(record) + "\n");
    } else if (this.#format === "ndjson") {
      this.#report!.out.write(JSON.stringify(record) + "\n");
    } else {
      this.#report!.out.write(`\n],"summary":${JSON.stringify(record)}}\n`);
    }
    clearInterval(this.#flushTimer);
    void this.#report!.out.flush();
    void this.#sidecar?.out.flush();
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
