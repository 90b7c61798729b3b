/** `ioclens serve`: the lookup service. */
import type { CliIo } from "./cli_io.ts";
import { CliError } from "./cli_error.ts";
import { EXIT } from "./exit_codes.ts";

export async function serveCommand(_argv: string[], _io: CliIo): Promise<number> {
  throw new CliError("serve is not built yet", EXIT.notImplemented);
}
