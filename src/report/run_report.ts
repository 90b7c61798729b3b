/**
 * `ioclens report`: reads saved results, applies filters and operations, and writes one output
 * format or replays the records to a SIEM. Returns the exit code; never exits the process.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { parseArgs } from "node:util";
import { type ConnectSyslog, connectSyslog, parseSyslogTarget, type SyslogTarget } from "./connect_syslog.ts";
import { createWriter, lineFormatter, REPORT_FORMATS, type ReportFormat, type WriterOptions } from "./create_writer.ts";
import { formatSyslog } from "./format_syslog.ts";
import { formatGroups, GROUP_FORMATS, GROUP_KEYS, GroupCounter, type GroupKey, ownCopy } from "./group_records.ts";
import { readReportItems, type ReportFs } from "./read_report_items.ts";
import { ReportCompleteness } from "./report_completeness.ts";
import type { ReportRecord } from "./record.ts";
import { createRecordFilter, type FilterSpec, parseFilter } from "./record_filter.ts";
import { REPORT_HELP } from "./report_help.ts";
import { formatSummaryLines, type SummaryFacts } from "./summary_lines.ts";
import { SendError, SyslogSender } from "./syslog_sender.ts";
import { escapeControl } from "../io/escape_control.ts";
import { Output } from "../io/output.ts";
import { parseTimeOption } from "./_time.ts";
import type { RecordWriter } from "./_writer.ts";

export { REPORT_HELP };

/** The world `runReport` works in; everything after `isTTY` is optional and defaults to the real thing. */
export interface ReportIo {
  stdout: (s: string) => void | Promise<void>;
  stderr: (s: string) => void;
  stdin: AsyncIterable<Uint8Array>;
  /** Whether stdout is a terminal: picks the default format and whether stdin is read without `-`. */
  isTTY: boolean;
  openFile?: ReportFs["openFile"];
  stat?: ReportFs["stat"];
  readDir?: ReportFs["readDir"];
  connect?: ConnectSyslog;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  hostname?: string;
}

/** Exit codes (the project's table: 2 usage, 4 unreachable, 5 I/O, 6 partial: --summary of a truncated or interrupted scan's report). */
const EXIT = { ok: 0, usage: 2, unreachable: 4, io: 5, partial: 6 } as const;
const MAX_NAMED_PROBLEMS = 20;

class UsageError extends TypeError {}

interface Settings {
  inputs: string[];
  format: ReportFormat;
  filters: FilterSpec[];
  since?: number;
  until?: number;
  dedupe: boolean;
  groupBy?: GroupKey;
  top?: number;
  summary: boolean;
  send?: SyslogTarget;
  retries: number;
  retryDelayMs: number;
  sidecar: boolean;
  includeRaw: boolean;
  quiet: boolean;
  leefDelimiter: string;
  hostname?: string;
}

/**
 * Runs `ioclens report` with `argv` (the words after `report`).
 *
 * @example Usage
 * ```ts
 * import { runReport } from "./run_report.ts";
 * const code = await runReport(["--format", "json", "report.txt"], {
 *   stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s),
 *   stdin: process.stdin, isTTY: Boolean(process.stdout.isTTY),
 * });
 * ```
 */
export async function runReport(argv: string[], io: ReportIo): Promise<number> {
  let settings: Settings | "help";
  try {
    settings = parseSettings(argv, io.isTTY);
  } catch (e) {
    say(io, `${usageText(e)}`);
    return EXIT.usage;
  }
  if (settings === "help") {
    await io.stdout(REPORT_HELP);
    return EXIT.ok;
  }
  return run(settings, io);
}

function parseSettings(argv: string[], isTTY: boolean): Settings | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: "string", short: "f" },
      filter: { type: "string", multiple: true },
      since: { type: "string" },
      until: { type: "string" },
      dedupe: { type: "boolean" },
      "group-by": { type: "string" },
      top: { type: "string" },
      summary: { type: "boolean" },
      send: { type: "string" },
      retries: { type: "string" },
      "retry-delay": { type: "string" },
      "no-sidecar": { type: "boolean" },
      "include-raw": { type: "boolean" },
      "leef-delimiter": { type: "string" },
      hostname: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const send = values.send === undefined ? undefined : parseSyslogTarget(values.send);
  const format = (values.format ?? (send ? "syslog" : isTTY ? "table" : "ndjson")) as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`Unknown format: got "${values.format}", expected one of ${REPORT_FORMATS.join(", ")}`);
  const groupBy = values["group-by"] as GroupKey | undefined;
  if (groupBy !== undefined && !GROUP_KEYS.includes(groupBy)) {
    throw new UsageError(`Unknown --group-by key: got "${groupBy}", expected one of ${GROUP_KEYS.join(", ")}`);
  }
  const top = values.top === undefined ? undefined : intOption("--top", values.top, 1, Number.MAX_SAFE_INTEGER);
  if (top !== undefined && groupBy === undefined) throw new UsageError("--top needs --group-by: say what to rank, e.g. --group-by indicator --top 10");
  if (groupBy !== undefined && !(GROUP_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--group-by cannot be shown as ${format}: use ${GROUP_FORMATS.join(", ")}`);
  }
  if (values.summary && groupBy !== undefined) throw new UsageError("--summary and --group-by exclude each other: pick one");
  if (send !== undefined) {
    if (lineFormatter(format, { hostname: "", now: 0, leefDelimiter: "^" }) === undefined) {
      throw new UsageError(`--send cannot carry format ${format}: use syslog, cef, leef, leef2, json or ndjson`);
    }
    if (groupBy !== undefined || values.summary) throw new UsageError("--send replays records: it cannot be combined with --group-by or --summary");
  }
  const since = timeOption("--since", values.since, false);
  const until = timeOption("--until", values.until, true);
  const filters = (values.filter ?? []).map((f) => {
    try {
      return parseFilter(f);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
  const leefDelimiter = delimiterOption(values["leef-delimiter"] ?? "^");
  const inputs = positionals.length > 0 ? positionals : isTTY ? [] : ["-"];
  if (inputs.length === 0) throw new UsageError("No input: name report files or folders, or pipe a report into stdin with -");
  return {
    inputs, format, filters, since, until, dedupe: values.dedupe === true, groupBy, top, summary: values.summary === true, send,
    retries: values.retries === undefined ? 3 : intOption("--retries", values.retries, 0, 100),
    retryDelayMs: values["retry-delay"] === undefined ? 1000 : secondsOption("--retry-delay", values["retry-delay"]),
    sidecar: values["no-sidecar"] !== true, includeRaw: values["include-raw"] === true, quiet: values.quiet === true,
    leefDelimiter, hostname: values.hostname,
  };
}

async function run(s: Settings, io: ReportIo): Promise<number> {
  const now = (io.now ?? Date.now)();
  const fs: ReportFs = {
    openFile: io.openFile ?? ((p) => createReadStream(p)),
    stat: io.stat ?? stat,
    readDir: io.readDir ?? ((p) => readdir(p)),
  };
  const out = new Output(terminalSafe(io, s.format));
  const writerOptions: WriterOptions = { hostname: s.hostname ?? io.hostname ?? osHostname(), now, leefDelimiter: s.leefDelimiter };
  const keep = createRecordFilter(s.filters, { since: s.since, until: s.until });
  const seen = s.dedupe ? new Set<string>() : undefined;
  const groups = s.groupBy ? new GroupCounter(s.groupBy) : undefined;
  const needsFacts = s.summary || s.format === "html" || s.format === "markdown";
  const sentLines = needsFacts ? new Set<string>() : undefined;
  let writer: RecordWriter | undefined;
  let sender: SyslogSender | undefined;
  let toLine: ((r: ReportRecord) => string) | undefined;
  if (s.send !== undefined) {
    sender = new SyslogSender(s.send, {
      connect: io.connect ?? connectSyslog, retries: s.retries, retryDelayMs: s.retryDelayMs,
      sleep: io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    });
    const fmt = lineFormatter(s.format, writerOptions)!;
    toLine = s.format === "syslog" ? fmt : (r) => formatSyslog(r, writerOptions, fmt(r));
  } else if (!groups && !s.summary) {
    writer = createWriter(s.format, out, writerOptions);
  }

  const byCategory = new Map<string, number>();
  const inputs: string[] = [];
  let opened = 0;
  let unreadable = 0;
  let kept = 0;
  let rawLines = 0;
  let badLines = 0;
  let named = 0;
  let noTime = 0;
  let objectsSent = 0;
  let sawObjectsSent = false;
  let scanTimeMs = 0;
  // Detections without file and line each stand for one object sent, at least.
  let unplaced = 0;
  // Scan reports cut off before their summary, or of an interrupted scan.
  const completeness = new ReportCompleteness();
  let incomplete = 0;
  const problem = (where: string, what: string) => {
    badLines++;
    if (s.quiet) return;
    if (named < MAX_NAMED_PROBLEMS) say(io, `${where}: ${what}`);
    named++;
  };

  try {
    for await (const batch of readReportItems(s.inputs, { fs, stdin: io.stdin, now, sidecar: s.sidecar })) for (const item of batch) {
      if (item.kind === "input") {
        opened++;
        inputs.push(item.name);
        completeness.start(item.name);
        continue;
      }
      if (item.kind === "end") {
        const wrong = completeness.end(item.terminated);
        if (wrong === undefined) continue;
        incomplete++;
        if (!s.quiet) say(io, `${item.name}: ${wrong}`);
        continue;
      }
      if (item.kind === "unreadable") {
        unreadable++;
        say(io, `cannot read ${item.name}: ${item.reason}`);
        continue;
      }
      const p = item.parsed;
      completeness.line(p);
      if (item.problem !== undefined) problem(item.where, item.problem);
      switch (p.kind) {
        case "detection": {
          const r = p.record;
          const verdict = keep(r);
          if (verdict !== "keep") {
            if (verdict === "no-time") noTime++;
            break;
          }
          if (seen !== undefined) {
            const key = `${r.category}\u0000${r.indicator}`;
            if (seen.has(key)) break;
            seen.add(ownCopy(key));
          }
          kept++;
          const n = byCategory.get(r.category);
          byCategory.set(n === undefined ? ownCopy(r.category) : r.category, (n ?? 0) + 1);
          if (sentLines !== undefined) {
            if (r.file !== undefined && r.line !== undefined) sentLines.add(ownCopy(`${r.file}\u0000${r.line}`));
            else unplaced++;
          }
          if (groups) groups.add(r);
          else if (sender) await sender.send(toLine!(r));
          else if (writer) await writer.write(r);
          break;
        }
        case "summary":
          if (p.fact === "objectsSent") {
            objectsSent += p.value;
            sawObjectsSent = true;
          } else if (p.fact === "scanTimeMs") scanTimeMs += p.value;
          break;
        case "sidecarSummary":
          objectsSent += p.summary.objectsSent;
          sawObjectsSent = true;
          scanTimeMs += p.summary.scanTimeMs;
          break;
        case "raw":
          rawLines++;
          if (s.includeRaw && writer?.raw) await writer.raw(item.text, item.where);
          break;
        case "bad":
          problem(item.where, p.reason);
          break;
        default:
          // Finished events, service alerts and blank lines are not results.
          break;
      }
    }
  } catch (e) {
    if (e instanceof SendError) {
      say(io, `${e.message}`);
      await sender?.close();
      return EXIT.unreachable;
    }
    throw e;
  }

  const summary: SummaryFacts = {
    objectsSent: sawObjectsSent ? objectsSent : sentLines === undefined ? kept : sentLines.size + unplaced,
    detectsReceived: kept,
    scanTimeMs,
  };
  if (s.summary) {
    out.write(formatSummaryLines(summary) + "\n");
  } else if (groups) {
    out.write(formatGroups(s.format as (typeof GROUP_FORMATS)[number], s.groupBy!, groups.sorted(s.top)));
  } else if (writer) {
    await writer.end({ summary, byCategory, rawLines, badLines, inputs });
  }
  await out.flush();
  if (sender) {
    await sender.close();
    const t = s.send!;
    say(io, `sent ${sender.sent} ${sender.sent === 1 ? "record" : "records"} to ${t.protocol}://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`);
  }
  if (named > MAX_NAMED_PROBLEMS) say(io, `… and ${named - MAX_NAMED_PROBLEMS} more bad lines`);
  if (badLines > 0) say(io, `${badLines} bad ${badLines === 1 ? "line" : "lines"} skipped or repaired`);
  if (rawLines > 0) say(io, `${rawLines} ${rawLines === 1 ? "line" : "lines"} not understood, kept as raw${s.includeRaw ? "" : " (--include-raw shows them)"}`);
  if (noTime > 0) say(io, `${noTime} ${noTime === 1 ? "record has no readable time and was" : "records have no readable time and were"} left out by --since/--until`);
  if (opened === 0 && unreadable > 0) return EXIT.io;
  // The summary claims a scan's totals: from a truncated or partial report it must not pass for them.
  return s.summary && incomplete > 0 ? EXIT.partial : EXIT.ok;
}

/**
 * One line on stderr. Control characters are escaped: messages name report files and quote
 * their lines' problems, and neither may forge a line or drive the terminal.
 */
function say(io: ReportIo, message: string): void {
  io.stderr(`report: ${escapeControl(message)}\n`);
}

/**
 * Standard output as given, or on a terminal with control characters escaped (LF, CR LF and TAB
 * kept): csv, cef, leef, syslog, markdown and html carry indicators and context verbatim, and an
 * ESC or BEL from a hostile log must not reach the terminal. JSON keeps its own escapes valid.
 * Written to a file or a pipe, the output stays byte for byte what the format says.
 */
function terminalSafe(io: ReportIo, format: ReportFormat): (s: string) => void | Promise<void> {
  if (!io.isTTY) return io.stdout;
  const json = format === "json" || format === "ndjson";
  return (s) => io.stdout(escapeControl(s, { lines: true, json }));
}

function usageText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const m = /'([^']+)'/.exec(e.message);
    return `Unknown option: got ${m ? `"${m[1]}"` : "an option"}, see ioclens report --help`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return `${e.message.split("\n")[0]!.replace(/\.$/, "")}`;
  return e.message.split("\n")[0]!.replace(/\.$/, "");
}

function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`Invalid ${name}: got "${text}", expected an integer from ${min} to ${max}`);
  return n;
}

function secondsOption(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 3600) throw new UsageError(`Invalid ${name}: got "${text}", expected seconds from 0 to 3600`);
  return Math.round(n * 1000);
}

function timeOption(name: string, text: string | undefined, isUntil: boolean): number | undefined {
  if (text === undefined) return undefined;
  const t = parseTimeOption(text);
  if (t === undefined) throw new UsageError(`Invalid ${name}: got "${text}", expected an ISO date like 2024-04-15 or 2024-04-15T10:00:00Z`);
  // A bare date in --until means "through that day".
  return isUntil && t.dateOnly ? t.ms + 86_400_000 : t.ms;
}

function delimiterOption(text: string): string {
  if (/^0?x[0-9a-fA-F]{1,4}$/.test(text)) return String.fromCharCode(parseInt(text.replace(/^0?x/, ""), 16));
  if ([...text].length === 1 && text !== "|" && text !== "=" && text !== "\n" && text !== "\r") return text;
  throw new UsageError(`Invalid --leef-delimiter: got "${text}", expected one character other than | and = or a hex code like x09`);
}
