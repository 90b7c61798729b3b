/**
 * Thrown when a config file cannot be read, is not well-formed XML, or holds a value of the
 * wrong type or range. The message is one line a person can act on:
 * `log_scanner.conf:7: Settings > ThreadsCount must be an integer from 1 to 64, got "eight"`.
 *
 * @example Catching it at the CLI boundary
 * ```ts
 * import { parseScannerConfig } from "./parse_scanner_config.ts";
 * import { ConfigError } from "./config_error.ts";
 * try {
 *   parseScannerConfig("<Settings><ThreadsCount>eight</ThreadsCount></Settings>", "log_scanner.conf", { binaryDir: "/opt/ioclens" });
 * } catch (e) {
 *   if (e instanceof ConfigError) console.error(e.message); // exit code 3
 * }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The file as the caller named it (a path, a basename, or `<embedded>`). */
  readonly file: string;
  /** 1-based line, when the problem has one. */
  readonly line: number | undefined;
  /** `Configuration > Feeds > Feed`, when the problem belongs to an element. */
  readonly elementPath: string | undefined;
  /** The message without the `FILE:LINE: ` prefix. */
  readonly detail: string;

  constructor(
    file: string,
    line: number | undefined,
    detail: string,
    options: { readonly elementPath?: string; readonly cause?: unknown } = {},
  ) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`, { cause: options.cause });
    this.file = file;
    this.line = line;
    this.elementPath = options.elementPath;
    this.detail = detail;
  }
}
