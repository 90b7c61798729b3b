/** The real process's streams, environment and stop signal, as a CliIo. */
import type { CliIo } from "./cli_io.ts";

export interface ProcessIo extends CliIo {
  /** Resolves when everything written to stdout/stderr has been handed to the OS. */
  flush(): Promise<void>;
}

export function processIo(): ProcessIo {
  const controller = new AbortController();
  const stop = () => {
    // A second Ctrl-C while we drain means "now".
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  let pending = 0;
  let drained: (() => void) | undefined;
  const write = (stream: NodeJS.WriteStream) => (text: string) => {
    pending++;
    stream.write(text, () => {
      pending--;
      if (pending === 0 && drained) drained();
    });
  };
  return {
    stdout: write(process.stdout),
    stderr: write(process.stderr),
    stdin: process.stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
    flush: () =>
      pending === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            drained = resolve;
          }),
  };
}
