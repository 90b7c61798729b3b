/** Temp config files for the reliability tests that run `ioclens serve` and `ioclens scan` as processes. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { freePort } from "../_support/child_processes.ts";

export interface ServiceFiles {
  readonly config: string;
  readonly port: number;
  readonly statusPort: number;
}

/**
 * Writes the embedded default config with fixed free ports for events and /status, the output
 * target on a port nobody listens on, and `edit` applied.
 */
export async function writeServiceConfig(dir: string, edit: (xml: string) => string = (x) => x): Promise<ServiceFiles> {
  const [port, statusPort, deadPort] = [await freePort(), await freePort(), await freePort()];
  const xml = edit(
    DEFAULT_SERVICE_CONFIG_TEXT.replace("<ConnectionString>127.0.0.1:9999</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`)
      .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${deadPort}</ConnectionString>`)
      .replace("<Listen>127.0.0.1:9997</Listen>", `<Listen>127.0.0.1:${statusPort}</Listen>`),
  );
  const config = join(dir, "service.conf");
  await writeFile(config, xml);
  return { config, port, statusPort };
}

/** A log_scanner.conf for the service on `port`, reports in `dir`. */
export async function writeScannerConfig(dir: string, port: number, connectionTimeoutSeconds = 20): Promise<string> {
  const path = join(dir, "log_scanner.conf");
  await writeFile(
    path,
    `<Settings><ThreadsCount>4</ThreadsCount><OutputDir>${dir}</OutputDir><Connection>127.0.0.1:${port}</Connection><ConnectionTimeout>${connectionTimeoutSeconds}</ConnectionTimeout><Verbose>1</Verbose></Settings>\n`,
  );
  return path;
}
