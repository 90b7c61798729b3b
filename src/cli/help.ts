/**
 * `--help` texts, generated from each command's option specs so a new option cannot be left out
 * (`scan --window` once was). Every example here is a command that works as written.
 */
import type { OptionSpecs } from "./parse_args.ts";

/** What a command's help says besides its options. */
export interface CommandHelp {
  /** After `Usage: ioclens `: `scan [options]`. */
  readonly usage: string;
  /** Paragraphs between the usage line and the options. */
  readonly intro: string;
  readonly options: OptionSpecs;
  /** Titled blocks after the options (`Examples`, `Signals`), in order; printed indented. */
  readonly sections: readonly { readonly title: string; readonly text: string }[];
  /** One line: the exit codes this command uses (README "Exit codes" has the table). */
  readonly exitCodes: string;
}

/** Renders a command's `--help`: usage, intro, options by group, sections, exit codes. */
export function formatHelp(help: CommandHelp): string {
  const flags = Object.entries(help.options).map(([name, spec]) => `  ${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : ""}`);
  // Descriptions line up two spaces after the longest option.
  const column = Math.max(...flags.map((f) => f.length)) + 2;
  const groups = new Map<string, string[]>();
  Object.values(help.options).forEach((spec, i) => {
    // Description lines over 100 characters (a list of names) wrap under their column.
    const [first, ...more] = spec.description.split("\n").flatMap((line) => wrap(line, 100 - column).split("\n"));
    const lines = [flags[i]!.padEnd(column) + first, ...more.map((line) => " ".repeat(column) + line)];
    const group = spec.group ?? "Options";
    groups.set(group, [...(groups.get(group) ?? []), ...lines]);
  });
  const blocks = [`Usage: ioclens ${help.usage}`, help.intro.trimEnd()];
  for (const [title, lines] of groups) blocks.push(`${title}:\n${lines.join("\n")}`);
  for (const section of help.sections) blocks.push(`${section.title}:\n${indent(section.text.trimEnd())}`);
  blocks.push(wrap(`Exit codes: ${help.exitCodes}`));
  return blocks.join("\n\n") + "\n";
}

function indent(text: string): string {
  return text.split("\n").map((line) => (line === "" ? line : `  ${line}`)).join("\n");
}

/** Breaks `text` into lines of at most `width` characters at spaces. */
function wrap(text: string, width = 92): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line].join("\n");
}

/** The line after a usage error, in place of the whole help that scrolled the error away. */
export function helpHint(command: string | undefined): string {
  return `Run 'ioclens${command === undefined ? "" : ` ${command}`} --help' for usage.\n`;
}

export const MAIN_HELP = `ioclens — threat-intelligence lookup service and log scanner (CyberTrace-compatible)

Usage:
  ioclens <command> [options]

Commands:
  serve    run the lookup service (CyberTrace wire protocol on TCP, under a watchdog)
  scan     send log files or single indicators to the service and write a report
  report   reformat, filter and summarise saved scan results

Options:
  -h, --help       show this help (or: ioclens <command> --help)
  -v, --version    print the version

Examples:
  ioclens serve                              # embedded defaults and demo feeds, 127.0.0.1:9999
  ioclens serve -c kl_feed_service.conf
  ioclens scan -r -p /var/log/squid/access.log
  ioclens scan -r -u 'http://fakess123.nu' -i 192.0.2.0
  ioclens report --format csv log_scanner_report20261128_101500.txt

Exit codes: 0 ok, 1 detections (scan --fail-on-detect), 2 usage, 3 config, 4 service
unreachable, 5 I/O error, 6 partial scan, 130 interrupted.
`;
