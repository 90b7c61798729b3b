/**
 * `main(argv, io)`: dispatches to a subcommand and turns every error into an exit code —
 * the one place that knows how failures end.
 */
import { CliError, usageError } from "./cli_error.ts";
import type { CliIo } from "./cli_io.ts";
import { EXIT } from "./exit_codes.ts";
import { helpHint, MAIN_HELP } from "./help.ts";
import { VERSION } from "../version.ts";
import { serveCommand, SERVE_HELP } from "./serve_command.ts";
import { scanCommand, SCAN_HELP } from "./scan_command.ts";
import { reportCommand, REPORT_HELP } from "./report_command.ts";
import { ConfigError } from "../config/config_error.ts";
import { escapeControl } from "../io/escape_control.ts";

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; help: () => string }>> = {
  serve: { run: serveCommand, help: () => SERVE_HELP },
  scan: { run: scanCommand, help: () => SCAN_HELP },
  report: { run: reportCommand, help: () => REPORT_HELP },
};

/** Runs ioclens with `argv` (without the program name) and returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  let commandName: string | undefined;
  try {
    if (first === undefined) {
      io.stderr(MAIN_HELP);
      return EXIT.usage;
    }
    if (first === "-h" || first === "--help" || first === "help") {
      io.stdout(MAIN_HELP);
      return EXIT.ok;
    }
    if (first === "-v" || first === "--version" || first === "version") {
      io.stdout(`ioclens ${VERSION}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS[first];
    if (!command) {
      throw usageError(first.startsWith("-") ? `unknown option: ${first}` : `unknown command: ${first}`);
    }
    commandName = first;
    if (rest.includes("-h") || rest.includes("--help")) {
      io.stdout(command.help());
      return EXIT.ok;
    }
    return await command.run(rest, io);
  } catch (error) {
    return reportError(error, commandName, io);
  }
}

/** Prints `error` as one line (plus, for usage errors, where the help is) and picks the exit code. */
function reportError(error: unknown, command: string | undefined, io: CliIo): number {
  // Messages name paths and values from outside: escaped, so they cannot forge a line.
  if (error instanceof CliError) {
    io.stderr(`ioclens: ${escapeControl(error.message)}\n`);
    if (error.showUsage) io.stderr(helpHint(command));
    return error.code;
  }
  if (error instanceof ConfigError) {
    io.stderr(`ioclens: ${escapeControl(error.message)}\n`);
    return EXIT.config;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`ioclens: internal error: ${escapeControl(message)}\n`);
  if (io.env["IOCLENS_DEBUG"] && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return EXIT.io;
}
