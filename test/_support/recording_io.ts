/** A CliIo that records what a command prints, for asserting exact text. */
import type { CliIo } from "../../src/cli/cli_io.ts";

export interface RecordingIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
  readonly abort: () => void;
}

export function recordingIo(options: { cwd?: string; stdin?: string; env?: Record<string, string> } = {}): RecordingIo {
  let out = "";
  let err = "";
  const controller = new AbortController();
  const input = new TextEncoder().encode(options.stdin ?? "");
  return {
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    stdin: (async function* () {
      if (input.length > 0) yield input;
    })(),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signal: controller.signal,
    out: () => out,
    err: () => err,
    abort: () => controller.abort(),
  };
}
