/**
 * Opens a scan's report where its user can write it. `--output FILE` is taken as named. Otherwise
 * the report goes to `OutputDir`, which is the binary's folder unless configured (CyberTrace's
 * rule, spec log-scanner.md §3.1); when that folder cannot be written - the binary in
 * /usr/local/bin run by a user - it goes to the working directory instead, with a notice, rather
 * than failing the scan. When neither can be written, the error names both and the two ways to
 * choose a place.
 */
import { resolve } from "node:path";
import { describeFsError } from "../io/describe_fs_error.ts";
import { type ScanReportFormat, reportPaths } from "./report_files.ts";
import { ReportWriteError, ReportWriter } from "./report_writer.ts";

/** Error codes that mean "this folder is not ours to write", as opposed to a full or broken disk. */
const NOT_WRITABLE = new Set(["EACCES", "EPERM", "EROFS"]);

/** How to choose a place, named in every "cannot create" error. */
const CHOOSE = "name a writable file with --output FILE, or a folder with OutputDir in log_scanner.conf";

export interface OpenReportOptions {
  /** Resolved OutputDir. */
  readonly outputDir: string;
  /** The working directory: the fallback. */
  readonly cwd: string;
  /** Resolved --output FILE, if given. */
  readonly output: string | undefined;
  readonly format: ScanReportFormat;
  readonly startedAt: Date;
  readonly parseFields: (text: string) => Readonly<Record<string, string>>;
  /** Creates the files (`ReportWriter.open`; tests pass one that refuses some folders). */
  readonly open?: typeof ReportWriter.open;
}

/**
 * The report writer, and a one-line notice when the report went to the working directory.
 *
 * @throws {ReportWriteError} when no place could be written; its message says where it tried, why
 *   it failed, and how to choose another place.
 * @example
 * ```ts
 * const { writer, notice } = await openReport({ outputDir: "/usr/local/bin", cwd: "/home/ana", output: undefined, format: "text", startedAt: new Date(), parseFields });
 * if (notice) console.error(`ioclens: notice: ${notice}`);
 * ```
 */
export async function openReport(options: OpenReportOptions): Promise<{ writer: ReportWriter; notice?: string }> {
  const open = options.open ?? ReportWriter.open;
  const { format, startedAt, parseFields } = options;
  if (options.output !== undefined) {
    try {
      return { writer: await open(reportPaths(options.outputDir, options.output, format, startedAt), format, parseFields) };
    } catch (error) {
      if (!(error instanceof ReportWriteError)) throw error;
      throw new ReportWriteError(`${error.message}; name a writable file with --output FILE`, error.cause);
    }
  }
  const inFolder = (dir: string) => open(reportPaths(dir, undefined, format, startedAt), format, parseFields, { unique: true });
  let refused: ReportWriteError;
  try {
    return { writer: await inFolder(options.outputDir) };
  } catch (error) {
    if (!(error instanceof ReportWriteError)) throw error;
    refused = error;
  }
  const why = describeFsError(refused.cause);
  if (!NOT_WRITABLE.has(refused.code ?? "") || resolve(options.cwd) === resolve(options.outputDir)) {
    throw new ReportWriteError(`cannot create a report in OutputDir ${options.outputDir}: ${why}; ${CHOOSE}`, refused.cause);
  }
  try {
    const writer = await inFolder(options.cwd);
    return { writer, notice: `cannot write in OutputDir ${options.outputDir} (${why}): the report goes to the working directory ${options.cwd}` };
  } catch (error) {
    if (!(error instanceof ReportWriteError)) throw error;
    throw new ReportWriteError(
      `cannot create a report in OutputDir ${options.outputDir} (${why}) nor in the working directory ${options.cwd} (${describeFsError(error.cause)}); ${CHOOSE}`,
      error.cause,
    );
  }
}
