/**
 * `ioclens report`: parses and checks the command line, then runs src/report/. Same rules as
 * scan and serve: shared option parsing (en-dash options included), errors as `ioclens: …`,
 * the one exit table.
 */
import type { CliIo } from "./cli_io.ts";
import { CliError, usageError } from "./cli_error.ts";
import { EXIT } from "./exit_codes.ts";
import { formatHelp } from "./help.ts";
import { parseArgs, type OptionSpecs } from "./parse_args.ts";
import { parseSyslogTarget } from "../report/connect_syslog.ts";
import { lineFormatter, REPORT_FORMATS, type ReportFormat } from "../report/create_writer.ts";
import { GROUP_FORMATS, GROUP_KEYS, type GroupKey } from "../report/group_records.ts";
import { parseFilter, parseTimeBound } from "../report/record_filter.ts";
import { runReport, type ReportSettings } from "../report/run_report.ts";
import { SendError } from "../report/syslog_sender.ts";
import { escapeControl } from "../io/escape_control.ts";

const OUTPUT = "Output";
const OPERATIONS = "Operations";
const FORWARDING = "Forwarding";
const OTHER = "Other";

export const REPORT_OPTIONS = {
  format: {
    type: "string", short: "f", value: "FMT", group: OUTPUT,
    description: "table | json | ndjson | csv | cef | leef | leef2 | syslog |\nmarkdown | html   (default: table on a terminal, else ndjson)",
  },
  "leef-delimiter": { type: "string", value: "C", group: OUTPUT, description: "LEEF 2.0 attribute delimiter: one character or xHH (default: ^)" },
  hostname: { type: "string", value: "NAME", group: OUTPUT, description: "HOSTNAME field of syslog output (default: this machine's name)" },
  "include-raw": { type: "boolean", group: OUTPUT, description: "also emit lines that were not understood (json, ndjson)" },
  filter: {
    type: "string", multiple: true, value: "F", group: OPERATIONS,
    description: "keep matching records; F is category=, type=, feed=, file= (whole\nvalue, * wildcard, any case), indicator= (substring) or\nretroscan=true|false (RetroScan detections); a bare value means\nindicator=. Repeat: same field ORs, fields AND.",
  },
  since: { type: "string", value: "TIME", group: OPERATIONS, description: "keep records at or after TIME (2024-04-15 or 2024-04-15T10:00:00Z;\nno zone means UTC)" },
  until: { type: "string", value: "TIME", group: OPERATIONS, description: "keep records before TIME (a bare date means up to its end)" },
  dedupe: { type: "boolean", group: OPERATIONS, description: "keep the first record of each category + indicator" },
  "group-by": { type: "string", value: "KEY", group: OPERATIONS, description: "count records per category | indicator | type | file | feed" },
  top: { type: "string", value: "N", group: OPERATIONS, description: "with --group-by: only the N largest groups" },
  summary: { type: "boolean", group: OPERATIONS, description: "print only the three summary lines, recomputed from the records" },
  send: {
    type: "string", value: "URL", group: FORWARDING,
    description: "replay records to tcp://host:port or udp://host:port as syslog\nlines (format syslog by default; cef, leef, leef2, json, ndjson\nget an RFC 5424 header)",
  },
  retries: { type: "string", value: "N", group: FORWARDING, description: "attempts after a failed line (default 3)" },
  "retry-delay": { type: "string", value: "SEC", group: FORWARDING, description: "wait between attempts (default 1)" },
  "no-sidecar": { type: "boolean", group: OTHER, description: "read .txt reports even when a .ndjson sidecar is beside them" },
  quiet: { type: "boolean", short: "q", group: OTHER, description: "do not name each bad line on stderr" },
  help: { type: "boolean", short: "h", group: OTHER, description: "show this help" },
} as const satisfies OptionSpecs;

export const REPORT_HELP = formatHelp({
  usage: "report [options] [FILE|FOLDER|-]...",
  intro: `Reformat, filter, count and forward saved scan results: Log Scanner text reports in any
EventFormat dialect (key=value, LEEF 1.0/2.0, CEF, KUMA), the scanner's .ndjson sidecar
(read instead of a .txt report when it sits beside it), serve's file output, or stdin.
A folder contributes its *.txt, *.log, *.ndjson, *.jsonl and *.json files.`,
  options: REPORT_OPTIONS,
  sections: [
    {
      title: "Examples",
      text: `ioclens report out/log_scanner_report20240415_100211.txt
ioclens report --format html out/ > incident-42.html
ioclens report --filter category=KL_Malicious_URL --filter type=ip --since 2024-04-01 out/
ioclens report --group-by indicator --top 10 out/
ioclens report --summary --filter 'category=KL_*_Hash_*' report.txt
ioclens report --format cef --send tcp://arcsight.example:514 out/
tail -n 1000 detections.log | ioclens report --format csv > detections.csv`,
    },
  ],
  exitCodes:
    "0 done (bad lines are counted, not fatal), 2 usage, 4 --send target unreachable after the retries, 5 nothing could be read, " +
    "6 --summary of a truncated report or of an interrupted scan (the counts cover only part of it).",
});

/** Runs `ioclens report`; returns the exit code (README "Exit codes"). */
export async function reportCommand(argv: string[], io: CliIo): Promise<number> {
  const settings = reportSettings(argv, io.stdoutIsTTY);
  const world = io.report ?? {};
  try {
    const outcome = await runReport(settings, {
      ...world,
      stdout: terminalSafe(io, settings.format),
      stdin: io.stdin,
      // Notes name report files and quote their lines' problems: neither may forge a line or drive the terminal.
      note: (message) => io.stderr(`ioclens: ${escapeControl(message)}\n`),
    });
    if (outcome.readNothing) return EXIT.io;
    // The summary claims a scan's totals: from a truncated or partial report it must not pass for them.
    return settings.summary && outcome.incomplete ? EXIT.partial : EXIT.ok;
  } catch (error) {
    if (error instanceof SendError) throw new CliError(error.message, EXIT.unreachable);
    throw error;
  }
}

/**
 * Standard output as given, or on a terminal with control characters escaped (LF, CR LF and TAB
 * kept): csv, cef, leef, syslog, markdown and html carry indicators and context verbatim, and an
 * ESC or BEL from a hostile log must not reach the terminal. JSON keeps its own escapes valid.
 * Written to a file or a pipe, the output stays byte for byte what the format says.
 */
function terminalSafe(io: CliIo, format: ReportFormat): (s: string) => void | Promise<void> {
  if (!io.stdoutIsTTY) return io.stdout;
  const json = format === "json" || format === "ndjson";
  return (s) => io.stdout(escapeControl(s, { lines: true, json }));
}

/** The command line as settings; every problem is a usage error. */
function reportSettings(argv: string[], isTTY: boolean): ReportSettings {
  const { values, positionals } = parseArgs(argv, REPORT_OPTIONS, true);
  const send = values.send === undefined ? undefined : checked(() => parseSyslogTarget(values.send!));
  const format = (values.format ?? (send ? "syslog" : isTTY ? "table" : "ndjson")) as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw usageError(`--format must be one of ${REPORT_FORMATS.join(", ")}: got "${values.format}"`);
  const groupBy = values["group-by"] as GroupKey | undefined;
  if (groupBy !== undefined && !GROUP_KEYS.includes(groupBy)) throw usageError(`--group-by must be one of ${GROUP_KEYS.join(", ")}: got "${groupBy}"`);
  const top = values.top === undefined ? undefined : intOption("--top", values.top, 1, Number.MAX_SAFE_INTEGER);
  if (top !== undefined && groupBy === undefined) throw usageError("--top needs --group-by: say what to rank, e.g. --group-by indicator --top 10");
  if (groupBy !== undefined && !(GROUP_FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--group-by cannot be shown as ${format}: use ${GROUP_FORMATS.join(", ")}`);
  }
  if (values.summary && groupBy !== undefined) throw usageError("--summary and --group-by exclude each other: pick one");
  if (send !== undefined) {
    if (lineFormatter(format, { hostname: "", now: 0, leefDelimiter: "^" }) === undefined) {
      throw usageError(`--send cannot carry format ${format}: use syslog, cef, leef, leef2, json or ndjson`);
    }
    if (groupBy !== undefined || values.summary) throw usageError("--send replays records: it cannot be combined with --group-by or --summary");
  }
  const since = values.since === undefined ? undefined : checked(() => parseTimeBound("--since", values.since!));
  const until = values.until === undefined ? undefined : checked(() => parseTimeBound("--until", values.until!));
  const filters = (values.filter ?? []).map((f) => checked(() => parseFilter(f)));
  const leefDelimiter = delimiterOption(values["leef-delimiter"] ?? "^");
  const inputs = positionals.length > 0 ? positionals : isTTY ? [] : ["-"];
  if (inputs.length === 0) throw usageError("no input: name report files or folders, or pipe a report into stdin with -");
  return {
    inputs, format, filters, since, until, dedupe: values.dedupe === true, groupBy, top, summary: values.summary === true, send,
    retries: values.retries === undefined ? 3 : intOption("--retries", values.retries, 0, 100),
    retryDelayMs: values["retry-delay"] === undefined ? 1000 : secondsOption("--retry-delay", values["retry-delay"]),
    sidecar: values["no-sidecar"] !== true, includeRaw: values["include-raw"] === true, quiet: values.quiet === true,
    leefDelimiter, ...(values.hostname === undefined ? {} : { hostname: values.hostname }),
  };
}

/** Runs a report/ parser, turning the TypeError it throws for bad text into a usage error. */
function checked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TypeError) throw usageError(error.message);
    throw error;
  }
}

function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw usageError(`${name} must be an integer from ${min} to ${max}: got "${text}"`);
  return n;
}

function secondsOption(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 3600) throw usageError(`${name} must be seconds from 0 to 3600: got "${text}"`);
  return Math.round(n * 1000);
}

function delimiterOption(text: string): string {
  if (/^0?x[0-9a-fA-F]{1,4}$/.test(text)) return String.fromCharCode(parseInt(text.replace(/^0?x/, ""), 16));
  if ([...text].length === 1 && text !== "|" && text !== "=" && text !== "\n" && text !== "\r") return text;
  throw usageError(`--leef-delimiter must be one character other than | and = or a hex code like x09: got "${text}"`);
}
