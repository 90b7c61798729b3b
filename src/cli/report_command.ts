/** `ioclens report`: delegates to the report module. */
import type { CliIo } from "./cli_io.ts";
import { CliError } from "./cli_error.ts";
import { EXIT } from "./exit_codes.ts";

export const REPORT_USAGE = (): string => "Usage: ioclens report [options] [FILE|DIR|-]...\n\nNot built yet.\n";

export async function reportCommand(_argv: string[], _io: CliIo): Promise<number> {
  throw new CliError("report is not built yet", EXIT.notImplemented);
}
