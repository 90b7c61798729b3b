/**
 * Writes a scan's results as they complete: the text report holds each detection exactly as
 * the service sent it, then the three summary lines; the ndjson sidecar holds one record per
 * detection (file, line, the line sent, the detection text, its parsed fields) and a final
 * summary record (shape: src/report/sidecar.ts).
 */
import { type FileHandle, mkdir, open, unlink } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { ReportFile } from "./_report_file.ts";
import { numberedPaths, type ScanReportFormat, type ReportPaths } from "./report_files.ts";
import { describeFsError } from "../io/describe_fs_error.ts";
import { formatSummaryLines } from "../report/summary_lines.ts";
import type { SidecarDetection, SidecarSummary } from "../report/sidecar.ts";

/** Thrown when a report file cannot be created or written; the scan exits 5. */
export class ReportWriteError extends Error {
  override readonly name = "ReportWriteError";
  /** The node:fs error code behind it (`EACCES`, `ENOSPC`, …), when there is one. */
  readonly code: string | undefined;

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.code = (cause as { code?: string } | undefined)?.code;
  }
}

/** Pending text reaches the files at least this often (it goes at once in 128 KiB pieces). */
const FLUSH_MS = 500;

export class ReportWriter {
  readonly #format: ScanReportFormat;
  readonly #paths: ReportPaths;
  readonly #parseFields: (text: string) => Readonly<Record<string, string>>;
  #report: ReportFile | undefined;
  #sidecar: ReportFile | undefined;
  /** Keeps the files current while a long scan runs (`tail -f` shows detections within half a second). */
  #flushTimer: ReturnType<typeof setInterval> | undefined;
  #first = true;

  private constructor(paths: ReportPaths, format: ScanReportFormat, parseFields: (text: string) => Readonly<Record<string, string>>) {
    this.#paths = paths;
    this.#format = format;
    this.#parseFields = parseFields;
  }

  /**
   * Creates the report file(s); throws ReportWriteError naming the path when it cannot. With
   * `unique` (a generated name) no file is ever overwritten: both files are created exclusively,
   * and when either name is taken the pair moves on to `-2`, `-3`, … (`numberedPaths`). Without
   * it (--output FILE, named by the user) the files are replaced.
   */
  static async open(paths: ReportPaths, format: ScanReportFormat, parseFields: (text: string) => Readonly<Record<string, string>>, options: { unique?: boolean } = {}): Promise<ReportWriter> {
    let files: OpenPair | undefined;
    try {
      await mkdir(dirname(paths.report), { recursive: true });
      for (let n = 1; files === undefined; n++) {
        if (n > MAX_NUMBER) throw new Error(`every name from ${basename(paths.report)} to ${basename(numberedPaths(paths, MAX_NUMBER).report)} is taken`);
        files = await openPair(n === 1 ? paths : numberedPaths(paths, n), options.unique ? "wx" : "w");
      }
    } catch (error) {
      throw new ReportWriteError(`cannot create report ${paths.report}: ${describeFsError(error)}`, error);
    }
    const writer = new ReportWriter(files.paths, format, parseFields);
    writer.#report = new ReportFile(files.report);
    if (files.sidecar) writer.#sidecar = new ReportFile(files.sidecar);
    if (format === "json") writer.#report.write('{"detections":[');
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
        this.#report!.writeLine(text);
        this.#sidecar!.writeLine(json);
      } else if (this.#format === "ndjson") {
        this.#report!.writeLine(json);
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
    const [reportError, sidecarError] = await Promise.all([this.#report!.close(), this.#sidecar?.close()]);
    const error = reportError ?? sidecarError;
    if (error) throw new ReportWriteError(`cannot write report ${this.#paths.report}: ${describeFsError(error)}`, error);
  }
}

/** Numbered names tried before giving up (two scans a second for a whole day would not reach it). */
const MAX_NUMBER = 100_000;

/** The files of a report that could be created. */
interface OpenPair {
  readonly paths: ReportPaths;
  readonly report: FileHandle;
  readonly sidecar?: FileHandle;
}

/**
 * Opens the report and its sidecar; undefined when `flags` is "wx" and either name is taken (the
 * report created here is then removed again, so the next pair can be tried).
 */
async function openPair(paths: ReportPaths, flags: "w" | "wx"): Promise<OpenPair | undefined> {
  const report = await open(paths.report, flags).catch(unlessTaken);
  if (report === undefined) return undefined;
  if (paths.sidecar === undefined) return { paths, report };
  let sidecar: FileHandle | undefined;
  try {
    sidecar = await open(paths.sidecar, flags).catch(unlessTaken);
  } finally {
    if (sidecar === undefined) {
      await report.close();
      await unlink(paths.report);
    }
  }
  return sidecar === undefined ? undefined : { paths, report, sidecar };
}

/** undefined for "the file exists" (EEXIST); any other error is thrown on. */
function unlessTaken(error: unknown): undefined {
  if ((error as { code?: string }).code === "EEXIST") return undefined;
  throw error;
}
