/**
 * Reads the Log Scanner's `log_scanner.conf` (spec log-scanner.md §3) into a validated
 * {@link ScannerConfig}.
 */
import { resolve } from "node:path";
import { endpointProblem } from "../io/endpoint.ts";
import { Reader, readXml, type XmlElement } from "./_reader.ts";
import type { ScannerConfig } from "./types.ts";

/** Options for {@link parseScannerConfig}. */
export interface ParseScannerConfigOptions {
  /** Folder of the scanner program: a relative `OutputDir` is resolved against it (spec §3.1). */
  readonly binaryDir: string;
  /** Unknown elements are errors instead of warnings (`--strict`). */
  readonly strict?: boolean;
}

/**
 * The configuration used when `log_scanner.conf` is absent; missing elements take these values.
 * `outputDir` is relative here and becomes `binaryDir` after resolution.
 */
export const SCANNER_DEFAULTS = {
  verbose: 0,
  threadsCount: 8,
  outputDir: ".",
  pattern: "ip=%IP% md5=%MD5% sha1=%SHA1% sha256=%SHA256% url=%URL%",
  connections: ["127.0.0.1:9999"] as readonly string[],
  connectionTimeoutSeconds: 15,
} as const;

/**
 * Parses a scanner config. The root is `<Settings>`, or any root holding a `<Settings>` child.
 * A missing element takes its default; unknown elements produce warnings (errors when `strict`).
 *
 * @param source the file name used in messages and in `config.source`.
 * @throws {ConfigError} on malformed XML or a value of the wrong type or range.
 * @example
 * ```ts
 * const { config } = parseScannerConfig(
 *   "<Settings><ThreadsCount>4</ThreadsCount><OutputDir>../reports</OutputDir></Settings>",
 *   "log_scanner.conf",
 *   { binaryDir: "/opt/ioclens/bin" },
 * );
 * config.threadsCount; // 4
 * config.outputDir; // "/opt/ioclens/reports"
 * ```
 */
export function parseScannerConfig(
  text: string,
  source: string,
  opts: ParseScannerConfigOptions,
): { config: ScannerConfig; warnings: string[] } {
  const reader: Reader = new Reader(source, opts.strict);
  const root = readXml(text, source);
  let settings: XmlElement = root;
  let path = root.name;
  if (root.name !== "Settings") {
    const inner = root.children.find((child) => child.name === "Settings");
    if (inner === undefined) reader.fail(root.line, root.name, "is not a scanner config: expected a <Settings> root or a <Settings> child, found none");
    for (const child of root.children) {
      if (child !== inner) reader.unknown(child.line, "element", root.name, child.name, ["Settings"]);
    }
    settings = inner;
    path = `${root.name} > Settings`;
  }

  let { verbose, threadsCount, outputDir, pattern, connections, connectionTimeoutSeconds }: {
    verbose: number;
    threadsCount: number;
    outputDir: string;
    pattern: string;
    connections: readonly string[];
    connectionTimeoutSeconds: number;
  } = SCANNER_DEFAULTS;
  reader.children(settings, path, {
    Verbose: (el, p) => (verbose = readVerbose(reader.value(el, p))),
    ThreadsCount: (el, p) => (threadsCount = reader.int(el, p, 1, 64)),
    OutputDir: (el, p) => {
      outputDir = reader.value(el, p);
      if (outputDir === "") reader.fail(el.line, p, "must name a directory: found an empty element");
    },
    Pattern: (el, p) => {
      pattern = reader.text(el, p);
      if (pattern.trim() === "") reader.fail(el.line, p, "must be a request template such as url=%URL%: found an empty element");
    },
    Connection: (el, p) => {
      const problem = connectionsProblem((connections = splitConnections(reader.value(el, p))));
      if (problem !== undefined) reader.fail(el.line, p, problem);
    },
    ConnectionTimeout: (el, p) => (connectionTimeoutSeconds = reader.int(el, p, 0, 86_400)),
  });

  return {
    config: {
      source,
      verbose,
      threadsCount,
      outputDir: resolve(opts.binaryDir, outputDir),
      pattern,
      connections,
      connectionTimeoutSeconds,
    },
    warnings: reader.warnings,
  };
}

/**
 * Ours: `Connection` may list several addresses of the service (replicas), separated by commas;
 * the scan spreads its connections over them (docs/scale-out.md).
 *
 * @example
 * ```ts
 * splitConnections("10.0.0.1:9999, 10.0.0.2:9999"); // ["10.0.0.1:9999", "10.0.0.2:9999"]
 * ```
 */
export function splitConnections(value: string): string[] {
  return value.split(",").map((a) => a.trim());
}

/** What is wrong with a list of scanner addresses, in a config error's words; undefined when nothing is. */
export function connectionsProblem(addresses: readonly string[]): string | undefined {
  for (const [i, address] of addresses.entries()) {
    const expected = endpointProblem(address, "listen");
    const which = addresses.length > 1 ? ` (address ${i + 1} of ${addresses.length})` : "";
    if (address === "") return `must be an address, or addresses separated by commas: found an empty one${which}`;
    if (expected !== undefined) return `must be ${expected}, got "${address}"${which}`;
  }
  return undefined;
}

/** Spec §3.2: `False`/`0` (or empty) is terse, a number is a level, anything else is detailed. */
function readVerbose(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === "" || lower === "false") return 0;
  if (/^\d{1,9}$/.test(lower)) return Number(lower);
  return 1;
}
