/** Runs `runReport` in memory and collects what it printed. */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { runReport, type ReportIo } from "../../src/report/run_report.ts";

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

export async function run(argv: string[], io: Partial<ReportIo> = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const code = await runReport(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stdin: stdinOf(),
    isTTY: false,
    now: () => NOW,
    hostname: "relay01",
    stat: statWithoutTime,
    ...io,
  });
  return { code, stdout, stderr };
}
