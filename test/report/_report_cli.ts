/** Runs `ioclens report` in memory through the CLI's `main` and collects what it printed. */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import type { ReportWorld } from "../../src/report/run_report.ts";

export const FIXTURES = join(import.meta.dir, "../fixtures/report");
/** Fixed clock: 2024-06-01, so year-less stamps land in 2024. */
export const NOW = Date.parse("2024-06-01T00:00:00Z");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Bytes or text given as stdin. */
export async function* stdinOf(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === "string" ? new TextEncoder().encode(p) : p;
}

/** The real stat without modification times, so year-less stamps are dated by `NOW` as the tests expect. */
export async function statWithoutTime(p: string) {
  const st = await stat(p);
  return { isFile: () => st.isFile(), isDirectory: () => st.isDirectory() };
}

/** What a test may set: stdin, whether stdout is a terminal, and stand-ins for the world. */
export interface RunOptions extends ReportWorld {
  readonly stdin?: AsyncIterable<Uint8Array>;
  readonly isTTY?: boolean;
}

/** `ioclens report ARGV` with a fixed clock and host name, as `main` runs it. */
export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const { stdin, isTTY, ...world } = options;
  const code = await main(["report", ...argv], {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    stdin: stdin ?? stdinOf(),
    stdoutIsTTY: isTTY ?? false,
    stderrIsTTY: false,
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
    report: { now: () => NOW, hostname: "relay01", stat: statWithoutTime, ...world },
  });
  return { code, stdout, stderr };
}
