import { EXIT } from "./exit_codes.ts";

/**
 * An error meant for the person at the terminal: its message is printed as one line and
 * `code` becomes the process exit code. Thrown by any command; turned into an exit by `main`.
 */
export class CliError extends Error {
  readonly code: number;
  /** When true, `main` says where the command's help is after the message. */
  readonly showUsage: boolean;

  constructor(message: string, code: number = EXIT.usage, showUsage = false) {
    super(message);
    this.name = "CliError";
    this.code = code;
    this.showUsage = showUsage;
  }
}

/** A usage error: one line, then one pointing at `--help`, exit 2. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage, true);
}
