/**
 * Reads the service and scanner config files from disk (or falls back to the built-in ones).
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./config_error.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_BASES } from "./embedded_defaults.ts";
import { parseScannerConfig } from "./parse_scanner_config.ts";
import { parseServiceConfig } from "./parse_service_config.ts";
import type { ScannerConfig, ServiceConfig } from "./types.ts";

/** How config files are read; tests pass a fake. */
export interface ConfigIo {
  /** Resolves to the file's UTF-8 text; rejects with `code: "ENOENT"` when it does not exist. */
  readonly readFile: (path: string) => Promise<string>;
}

const nodeIo: ConfigIo = { readFile: (path) => readFile(path, "utf8") };

/** How strictly a config file is read. */
export interface LoadOptions {
  /** Unknown elements and attributes are errors (exit 3) instead of warnings: `--strict`. */
  readonly strict?: boolean;
}

/**
 * Loads the service config from `path`, or the embedded default config when `path` is
 * undefined. Relative directories in the file are resolved against the file's folder.
 *
 * @throws {ConfigError} when the file cannot be read (`FILE: cannot read config file: …`) or is invalid.
 * @example
 * ```ts
 * const { config, warnings } = await loadServiceConfig(undefined);
 * config.source; // "<embedded>"
 * config.service.basesDir; // "<embedded>"
 * ```
 */
export async function loadServiceConfig(
  path: string | undefined,
  io: ConfigIo = nodeIo,
  options: LoadOptions = {},
): Promise<{ config: ServiceConfig; warnings: string[] }> {
  if (path === undefined) return parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_BASES, options);
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (e) {
    throw new ConfigError(path, undefined, `cannot read config file: ${describe(e)}`, { cause: e });
  }
  return parseServiceConfig(text, path, { ...options, baseDir: dirname(resolve(path)) });
}

/**
 * Loads the scanner config from `path`. As in Kaspersky's scanner, a missing file is not an
 * error: the built-in defaults are used and a warning says so — unless `required` (the user
 * named the file with `-c`). `undefined` means "no file": the defaults, without a warning.
 *
 * @param binaryDir folder of the scanner program; a relative `OutputDir` is resolved against it.
 * @param required a missing file is a ConfigError instead of a fallback to defaults.
 * @throws {ConfigError} when the file is required but missing, cannot be read, or is invalid.
 * @example
 * ```ts
 * const { config } = await loadScannerConfig("log_scanner.conf", "/opt/ioclens/bin");
 * config.connections; // ["127.0.0.1:9999"] unless the file says otherwise
 * ```
 */
export async function loadScannerConfig(
  path: string | undefined,
  binaryDir: string,
  required = false,
  io: ConfigIo = nodeIo,
  options: LoadOptions = {},
): Promise<{ config: ScannerConfig; warnings: string[] }> {
  const defaults = (source: string, warnings: string[]) => ({
    ...parseScannerConfig("<Settings/>", source, { binaryDir }),
    warnings,
  });
  if (path === undefined) return defaults("<defaults>", []);
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (e) {
    if (!required && (e as { code?: unknown }).code === "ENOENT") {
      return defaults(path, [`${path}: config file not found, using the built-in defaults`]);
    }
    throw new ConfigError(path, undefined, `cannot read config file: ${describe(e)}`, { cause: e });
  }
  return parseScannerConfig(text, path, { ...options, binaryDir });
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code} ${message}` : message;
}
