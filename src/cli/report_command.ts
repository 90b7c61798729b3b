/** `ioclens report`: reformats, filters and summarises saved results (src/report/). */
import type { CliIo } from "./cli_io.ts";
import { REPORT_HELP, runReport } from "../report/run_report.ts";

export const REPORT_USAGE = (): string => REPORT_HELP;

export function reportCommand(argv: string[], io: CliIo): Promise<number> {
  return runReport(argv, { stdout: io.stdout, stderr: io.stderr, stdin: io.stdin, isTTY: io.stdoutIsTTY });
}
