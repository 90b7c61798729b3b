/**
 * Command-line parsing: the one module wrapping `node:util` parseArgs (it plays the role of
 * @std/cli, which lives only on JSR). Turns its errors into one-line usage errors.
 */
import { parseArgs as nodeParseArgs } from "node:util";
import { usageError } from "./cli_error.ts";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
}

/** Kaspersky's help pages render `-p` as `–p` (en dash) or `−p` (minus): accept what users paste. */
function normalizeDash(arg: string): string {
  const first = arg.charCodeAt(0);
  if (first === 0x2013 || first === 0x2212 || first === 0x2014) {
    const second = arg.charCodeAt(1);
    const rest = second === 0x2013 || second === 0x2212 || second === 0x2014 ? "--" + arg.slice(2) : "-" + arg.slice(1);
    return rest;
  }
  return arg;
}

/**
 * Parses `argv` against `options`; unknown flags and missing values throw a usage error.
 *
 * @example Parse a repeatable flag
 * ```ts
 * const { values } = parseArgs(["-u", "a", "-u", "b"], { url: { type: "string", short: "u", multiple: true } });
 * // values.url → ["a", "b"]
 * ```
 */
export function parseArgs(argv: readonly string[], options: OptionSpecs, allowPositionals = false): ParsedArgs {
  try {
    const { values, positionals } = nodeParseArgs({
      args: argv.map(normalizeDash),
      options: options as Parameters<typeof nodeParseArgs>[0] extends infer T ? T extends { options?: infer O } ? O : never : never,
      allowPositionals,
      strict: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (error) {
    throw usageError(describeParseError(error));
  }
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // node's messages are multi-sentence; keep the first sentence and the flag it names.
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option: ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) return `option needs a value: ${missing[1]}`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument: ${positional[1]}`;
  return message.split(". ")[0] ?? message;
}
