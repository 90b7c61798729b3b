/** `ioclens scan`: the log scanner. */
import type { CliIo } from "./cli_io.ts";
import { CliError } from "./cli_error.ts";
import { EXIT } from "./exit_codes.ts";

export async function scanCommand(_argv: string[], _io: CliIo): Promise<number> {
  throw new CliError("scan is not built yet", EXIT.notImplemented);
}
