/**
 * Command-line parsing: the one module wrapping `node:util` parseArgs (it plays the role of
 * @std/cli, which lives only on JSR). Option specs carry their own help text, so `--help` is
 * generated from the same table that parses (src/cli/help.ts) and cannot drift from it.
 */
import { parseArgs as nodeParseArgs } from "node:util";
import { usageError } from "./cli_error.ts";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  /** What the option does, for `--help`; a `\n` continues on the next help line. */
  readonly description: string;
  /** The value's name in `--help` (`FILE`, `PATH`); string options only. */
  readonly value?: string;
  /** The `--help` heading this option is listed under; options without one come first. */
  readonly group?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed value of one option, typed from its spec. */
type OptionValue<S extends OptionSpec> = S["type"] extends "string"
  ? S["multiple"] extends true ? string[] : string
  : S["multiple"] extends true ? boolean[] : boolean;

/** Parsed values, each typed from its spec; absent options are undefined. */
export type ParsedValues<T extends OptionSpecs> = { -readonly [K in keyof T]?: OptionValue<T[K]> };

export interface ParsedArgs<T extends OptionSpecs> {
  readonly values: ParsedValues<T>;
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
 * const { values } = parseArgs(["-u", "a", "-u", "b"], { url: { type: "string", short: "u", multiple: true, description: "a URL" } });
 * // values.url → ["a", "b"]
 * ```
 */
export function parseArgs<T extends OptionSpecs>(argv: readonly string[], options: T, allowPositionals = false): ParsedArgs<T> {
  const nodeOptions: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(options)) {
    nodeOptions[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = nodeParseArgs({ args: argv.map(normalizeDash), options: nodeOptions, allowPositionals, strict: true });
    return { values: values as ParsedValues<T>, positionals };
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
