import type { ReportWorld } from "../report/run_report.ts";

/**
 * What a command may touch of the outside world. Tests pass strings collectors; the entry
 * file passes the real process streams.
 */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: AsyncIterable<Uint8Array>;
  /** Whether stdout / stderr are terminals (tables, progress bars). */
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Fires when the user asks the process to stop (SIGINT/SIGTERM). */
  readonly signal: AbortSignal;
  /** Stand-ins for the files, clock and sockets `ioclens report` uses (tests); absent: the real ones. */
  readonly report?: ReportWorld;
}
