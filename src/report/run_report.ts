/**
 * `ioclens report`: reads saved results, applies filters and operations, and writes one output
 * format or replays the records to a SIEM. Its command line is parsed by
 * src/cli/report_command.ts; this module never prints a prefix or picks an exit code.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { type ConnectSyslog, connectSyslog, type SyslogTarget } from "./connect_syslog.ts";
import { createWriter, lineFormatter, type ReportFormat, type WriterOptions } from "./create_writer.ts";
import { formatSyslog } from "./format_syslog.ts";
import { formatGroups, GROUP_FORMATS, GroupCounter, type GroupKey, ownCopy } from "./group_records.ts";
import { readReportItems, type ReportFs } from "./read_report_items.ts";
import { ReportCompleteness } from "./report_completeness.ts";
import type { ReportRecord } from "./record.ts";
import { createRecordFilter, type FilterSpec } from "./record_filter.ts";
import { formatSummaryLines, type SummaryFacts } from "./summary_lines.ts";
import { SendError, SyslogSender } from "./syslog_sender.ts";
import { Output } from "../io/output.ts";
import type { RecordWriter } from "./_writer.ts";

/** What a run of `ioclens report` does: parsed and validated by src/cli/report_command.ts. */
export interface ReportSettings {
  readonly inputs: readonly string[];
  readonly format: ReportFormat;
  readonly filters: readonly FilterSpec[];
  readonly since?: number;
  readonly until?: number;
  readonly dedupe: boolean;
  readonly groupBy?: GroupKey;
  readonly top?: number;
  readonly summary: boolean;
  readonly send?: SyslogTarget;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly sidecar: boolean;
  readonly includeRaw: boolean;
  readonly quiet: boolean;
  readonly leefDelimiter: string;
  readonly hostname?: string;
}

/** Pieces of the world a report run may be given instead of the real ones (tests pass fakes). */
export interface ReportWorld {
  readonly openFile?: ReportFs["openFile"];
  readonly stat?: ReportFs["stat"];
  readonly readDir?: ReportFs["readDir"];
  readonly connect?: ConnectSyslog;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly hostname?: string;
}

/** The world `runReport` works in; the `ReportWorld` parts default to the real thing. */
export interface ReportIo extends ReportWorld {
  /** Takes the output as the format makes it; the caller escapes control characters for a terminal. */
  readonly stdout: (s: string) => void | Promise<void>;
  /**
   * One diagnostic line (a bad input line, a count, where records were sent), without prefix or
   * newline. It names report files and quotes their lines: the caller escapes control characters.
   */
  readonly note: (message: string) => void;
  readonly stdin: AsyncIterable<Uint8Array>;
}

/** How a run ended, for the caller's exit code; a --send target lost for good throws SendError instead. */
export interface ReportOutcome {
  /** Inputs were named, and not one of them could be read. */
  readonly readNothing: boolean;
  /** An input is a scan report cut off before its summary, or of an interrupted scan (each was named). */
  readonly incomplete: boolean;
}

const MAX_NAMED_PROBLEMS = 20;

/**
 * Runs `ioclens report` with validated `settings`: reads, filters and writes or sends.
 *
 * @throws {SendError} when the --send target stays unreachable after the retries.
 * @example Usage
 * ```ts
 * const outcome = await runReport(settings, { stdout: (s) => void process.stdout.write(s), note: console.error, stdin: process.stdin });
 * ```
 */
export async function runReport(s: ReportSettings, io: ReportIo): Promise<ReportOutcome> {
  const now = (io.now ?? Date.now)();
  const fs: ReportFs = {
    openFile: io.openFile ?? ((p) => createReadStream(p)),
    stat: io.stat ?? stat,
    readDir: io.readDir ?? ((p) => readdir(p)),
  };
  const out = new Output(io.stdout);
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
  }
  // Created when the first input opens, so a run that could read nothing writes nothing (no
  // CSV header or empty HTML page before "cannot read …").
  const needsWriter = sender === undefined && !groups && !s.summary;

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
    if (named < MAX_NAMED_PROBLEMS) io.note(`${where}: ${what}`);
    named++;
  };

  try {
    for await (const batch of readReportItems(s.inputs, { fs, stdin: io.stdin, now, sidecar: s.sidecar })) for (const item of batch) {
      if (item.kind === "input") {
        if (needsWriter) writer ??= createWriter(s.format, out, writerOptions);
        opened++;
        inputs.push(item.name);
        completeness.start(item.name);
        continue;
      }
      if (item.kind === "end") {
        const wrong = completeness.end(item.terminated);
        if (wrong === undefined) continue;
        incomplete++;
        if (!s.quiet) io.note(`${item.name}: ${wrong}`);
        continue;
      }
      if (item.kind === "unreadable") {
        unreadable++;
        io.note(`cannot read ${item.name}: ${item.reason}`);
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
    if (e instanceof SendError) await sender?.close();
    throw e;
  }

  const summary: SummaryFacts = {
    objectsSent: sawObjectsSent ? objectsSent : sentLines === undefined ? kept : sentLines.size + unplaced,
    detectsReceived: kept,
    scanTimeMs,
  };
  const readNothing = opened === 0 && unreadable > 0;
  if (readNothing) {
    // Nothing to show: the notes above say why, and the exit code says it failed.
  } else if (s.summary) {
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
    io.note(`sent ${sender.sent} ${sender.sent === 1 ? "record" : "records"} to ${t.protocol}://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`);
  }
  if (named > MAX_NAMED_PROBLEMS) io.note(`… and ${named - MAX_NAMED_PROBLEMS} more bad lines`);
  if (badLines > 0) io.note(`${badLines} bad ${badLines === 1 ? "line" : "lines"} skipped or repaired`);
  if (rawLines > 0) io.note(`${rawLines} ${rawLines === 1 ? "line" : "lines"} not understood, kept as raw${s.includeRaw ? "" : " (--include-raw shows them)"}`);
  if (noTime > 0) io.note(`${noTime} ${noTime === 1 ? "record has no readable time and was" : "records have no readable time and were"} left out by --since/--until`);
  return { readNothing, incomplete: incomplete > 0 };
}
