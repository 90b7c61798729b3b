/**
 * `ioclens scan`: the log scanner, compatible with CyberTrace's log_scanner command line
 * (spec log-scanner.md §2) plus our additions. Builds the list of lines, runs the scan engine
 * and writes the report.
 */
import { open } from "node:fs/promises";
import { createConnection } from "node:net";
import { isAbsolute, resolve } from "node:path";
import type { CliIo } from "./cli_io.ts";
import { CliError, usageError } from "./cli_error.ts";
import { EXIT } from "./exit_codes.ts";
import { formatHelp } from "./help.ts";
import { parseArgs, type OptionSpecs } from "./parse_args.ts";
import { loadScannerConfig } from "../config/load_config.ts";
import { connectionsProblem, splitConnections } from "../config/parse_scanner_config.ts";
import { binaryDir } from "../runtime/runtime.ts";
import { parseEndpoint, formatEndpoint, EndpointError, type Endpoint } from "../io/endpoint.ts";
import { FACTS_PING, probeServiceLine, tcpProbeConnect, type ProbeConnect, type ProbeResult } from "../protocol/probe.ts";
import { nothingToFind, parsePingFacts } from "../protocol/ping_facts.ts";
import { waitForService } from "../scanner/wait_for_service.ts";
import { fillPattern, type SingleValueKind } from "./fill_pattern.ts";
import { listInputs } from "../scanner/list_inputs.ts";
import { describeFsError } from "../io/describe_fs_error.ts";
import { escapeControl } from "../io/escape_control.ts";
import { readLines, BinaryInputError, MAX_LINE_BYTES } from "../scanner/read_lines.ts";
import { ScanLine } from "../scanner/scan_line.ts";
import { runScan, type ScanItem } from "../scanner/run_scan.ts";
import { SCAN_REPORT_FORMATS, type ScanReportFormat } from "../scanner/report_files.ts";
import { openReport } from "../scanner/open_report.ts";
import { type ReportWriter, ReportWriteError } from "../scanner/report_writer.ts";
import { formatSummaryLines } from "../report/summary_lines.ts";
import { parseDetectionFields } from "../scanner/parse_detection_fields.ts";
import { ProgressMeter } from "../scanner/progress_meter.ts";

/** How much of an input file is read at a time. */
const READ_CHUNK_BYTES = 1 << 20;

const CYBERTRACE = "Options (as in CyberTrace's log_scanner)";
const OURS = "Ours";

export const SCAN_OPTIONS = {
  report: { type: "boolean", short: "r", group: CYBERTRACE, description: "write the report (ReplyBack mode)" },
  config: { type: "string", short: "c", value: "FILE", group: CYBERTRACE, description: "scanner config (log_scanner.conf dialect); default ./log_scanner.conf" },
  path: { type: "string", short: "p", multiple: true, value: "PATH", group: CYBERTRACE, description: 'a file, folder, FIFO or device; "-" reads standard input (repeatable)' },
  hash: { type: "string", short: "s", multiple: true, value: "VALUE", group: CYBERTRACE, description: "an MD5, SHA1 or SHA256 (kind by length) (repeatable)" },
  url: { type: "string", short: "u", multiple: true, value: "VALUE", group: CYBERTRACE, description: "a URL (repeatable; quote it in the shell)" },
  ip: { type: "string", short: "i", multiple: true, value: "VALUE", group: CYBERTRACE, description: "an IP address (repeatable)" },
  recursive: { type: "boolean", group: OURS, description: "descend into sub-folders of -p folders" },
  include: { type: "string", multiple: true, value: "GLOB", group: OURS, description: "only files whose name matches (repeatable)" },
  exclude: { type: "string", multiple: true, value: "GLOB", group: OURS, description: "skip files whose name matches (repeatable)" },
  binary: { type: "boolean", group: OURS, description: "also send files that contain NUL bytes" },
  output: { type: "string", value: "FILE", group: OURS, description: "write the report here instead of OutputDir" },
  format: { type: "string", value: "FMT", group: OURS, description: "text (default), json or ndjson report" },
  "fail-on-detect": { type: "boolean", group: OURS, description: "exit 1 when anything was detected" },
  quiet: { type: "boolean", group: OURS, description: "print nothing but errors" },
  window: { type: "string", value: "N", group: OURS, description: "lines in flight per connection, 1 to 65536 (default 2048)" },
  connection: { type: "string", multiple: true, value: "ADDR", group: OURS, description: "the service's address instead of the config's Connection; repeat it (or separate with commas) for replicas" },
  "check-config": { type: "boolean", group: OURS, description: "validate the config (-c or argument) and exit 0 or 3" },
  strict: { type: "boolean", group: OURS, description: "unknown config elements and attributes are errors (exit 3), not warnings" },
  help: { type: "boolean", short: "h", group: OURS, description: "show this help" },
} as const satisfies OptionSpecs;

export const SCAN_HELP = formatHelp({
  usage: "scan [options]",
  intro: `Sends log lines (-p) or single values (-s/-u/-i) to the lookup service. With -r the answers
come back on the same connection and are written to log_scanner_report<YYYYMMDD_HHMMSS>.txt
in OutputDir (plus an .ndjson sidecar; -2, -3 … when the name is taken; the working directory
when OutputDir cannot be written); without -r the service sends detections to its own
configured target.`,
  options: SCAN_OPTIONS,
  sections: [
    {
      title: "Examples",
      text: `ioclens scan -r -p logs/
ioclens scan -r -p logs/ --recursive --include '*.log' --include '*.gz'
ioclens scan -r -s C912705B4BBB14EC7E78FA8B370532C9 -u 'http://fakess123.nu' -i 192.0.2.0
zcat access.log.gz | ioclens scan -r -p - --fail-on-detect
ioclens scan --check-config log_scanner.conf`,
    },
  ],
  exitCodes: "0 done, 1 detections (--fail-on-detect), 2 usage, 3 config, 4 service unreachable, 5 I/O error, 6 partial scan, 130 interrupted.",
});


/** Runs a scan; returns the exit code (README "Exit codes"). */
export async function scanCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs(argv, SCAN_OPTIONS, true);
  const configArg = values.config ?? (values["check-config"] ? positionals[0] : undefined);
  const allowedPositionals = values["check-config"] && values.config === undefined ? 1 : 0;
  if (positionals.length > allowedPositionals) throw usageError(`unexpected argument: ${positionals[allowedPositionals]}`);
  const checkOnly = values["check-config"] === true;
  const format = values.format ?? "text";
  const window = values.window === undefined ? 2048 : Number(values.window);
  const singles: [SingleValueKind, string][] = [
    ...(values.hash ?? []).map((v): [SingleValueKind, string] => ["hash", v.trim()]),
    ...(values.url ?? []).map((v): [SingleValueKind, string] => ["url", v.trim()]),
    ...(values.ip ?? []).map((v): [SingleValueKind, string] => ["ip", v.trim()]),
  ];
  const paths = values.path ?? [];
  // Usage errors before the config is read: one line, not behind config warnings.
  if (!checkOnly) {
    if (!SCAN_REPORT_FORMATS.includes(format as ScanReportFormat)) throw usageError(`--format must be one of ${SCAN_REPORT_FORMATS.join(", ")}: got "${format}"`);
    if (!Number.isInteger(window) || window < 1 || window > 65536) throw usageError(`--window must be an integer from 1 to 65536: got "${values.window}"`);
    if (singles.length === 0 && paths.length === 0) throw usageError("nothing to scan: give -p PATH, -s HASH, -u URL or -i IP");
  }
  const cliAddresses = values.connection?.flatMap(splitConnections);
  const cliProblem = cliAddresses && connectionsProblem(cliAddresses);
  if (cliProblem !== undefined) throw usageError(`--connection ${cliProblem}`);

  // Without -c, ./log_scanner.conf; when it is missing the defaults apply, with a warning
  // saying so (docs/configuration.md), so a config left in another folder is not silently ignored.
  const configPath = resolve(io.cwd, configArg ?? "log_scanner.conf");
  const { config, warnings } = await loadScannerConfig(configPath, binaryDir(), configArg !== undefined, undefined, { strict: values.strict === true });
  const quiet = values.quiet === true;
  const showProgress = io.stderrIsTTY && !quiet;
  /**
   * One line on stderr, over the progress line when there is one. Control characters (from file
   * names) are escaped, so a name cannot forge a line or drive the terminal; event text never
   * goes here, only where it came from.
   */
  const say = (message: string) => io.stderr(`${showProgress ? "\r\x1b[K" : ""}ioclens: ${escapeControl(message)}\n`);
  for (const warning of warnings) say(`warning: ${warning}`);
  if (checkOnly) {
    io.stdout(`${escapeControl(`${config.source}: ok (connection ${config.connections.join(", ")}, ${config.threadsCount} threads, output ${config.outputDir})`)}\n`);
    return EXIT.ok;
  }

  const singleLines = singles.map(([kind, value]) => fillPattern(config.pattern, kind, value));

  const endpoints = scanEndpoints(cliAddresses ?? config.connections, cliAddresses ? "--connection" : `${config.source}: Settings > Connection`);
  const addressText = endpoints.map(formatEndpoint).join(", ");

  const fileArgs = paths.filter((p) => p !== "-");
  const readStdin = paths.includes("-");
  const { files, totalBytes, problems, loops, missing, interrupted } = await listInputs(
    fileArgs.map((p) => resolve(io.cwd, p)),
    { recursive: values.recursive === true, include: values.include ?? [], exclude: values.exclude ?? [], signal: io.signal },
  );
  if (interrupted) {
    io.stderr("ioclens: scan interrupted while listing the inputs; nothing was sent\n");
    return EXIT.interrupted;
  }
  const display = (absolute: string) => {
    if (absolute === io.cwd) return ".";
    const rel = absolute.startsWith(io.cwd + "/") ? absolute.slice(io.cwd.length + 1) : absolute;
    return rel;
  };
  if (missing.length > 0) {
    // A typo, most likely: scanning the rest would end in exit 6 and a report that looks whole.
    const typed = new Map(fileArgs.map((arg) => [resolve(io.cwd, arg), arg]));
    const named = missing.map((path) => `-p ${typed.get(path) ?? display(path)}`).join(", ");
    throw new CliError(`${named}: no such file or directory`, EXIT.usage);
  }
  let skippedInputs = problems.length;
  for (const problem of problems) say(`${display(problem.path)}: ${problem.message}, skipped`);
  for (const loop of loops) say(`warning: ${display(loop.path)}: leads back to ${display(loop.target)} (a directory loop), not followed`);

  const progress = new ProgressMeter({ files: files.length + (readStdin ? 1 : 0), bytes: totalBytes, now: Date.now });
  const binary = values.binary === true;

  // A batch per chunk read: a promise per line cost more than sending it.
  async function* items(): AsyncGenerator<ScanItem | ScanItem[]> {
    let n = 0;
    for (const line of singleLines) yield { source: "<command line>", line: ++n, text: line };
    // 1 MiB reads: a window of lines then mostly lies in one chunk and goes out as one view of it
    // (AnswerReader.send), and there are 16 times fewer reads.
    const sources: [string, () => Promise<AsyncIterable<Uint8Array>>][] = files.map((file) => [file, async () => (await open(file)).createReadStream({ highWaterMark: READ_CHUNK_BYTES })]);
    if (readStdin) sources.push(["-", async () => io.stdin]);
    for (const [name, openSource] of sources) {
      const shown = name === "-" ? "<stdin>" : display(name);
      let source: AsyncIterable<Uint8Array>;
      try {
        source = await openSource();
      } catch (error) {
        // Nothing was read, so no line is to blame: the file as a whole is skipped.
        skippedInputs++;
        say(`${shown}: cannot open: ${describeFsError(error)}; skipped`);
        progress.fileDone();
        continue;
      }
      let lineNo = 0;
      try {
        for await (const lines of readLines(progress.countBytes(source), name, { binary })) {
          const batch: ScanItem[] = [];
          for (const split of lines) {
            const { lineNo: no, cut, bytes } = split;
            lineNo = no;
            if (cut?.last) {
              say(`${shown}:${no}: line is longer than ${MAX_LINE_BYTES} bytes: sent in ${cut.piece} pieces`);
            }
            // An empty line is no event for the service (it sends no answer): do not send it.
            // Its bytes when it has them: reading `text` would decode it.
            if ((bytes ?? split.text).length === 0) continue;
            batch.push(new ScanLine(shown, split));
          }
          if (batch.length > 0) yield batch;
        }
      } catch (error) {
        skippedInputs++;
        if (error instanceof BinaryInputError) say(`${shown}: binary file (NUL bytes), skipped; use --binary to send it`);
        else say(`${shown}:${lineNo + 1}: ${describeFsError(error)}, rest of file skipped`);
      }
      progress.fileDone();
    }
  }

  // The report is created only once the service answers: a service that is down leaves none.
  const facts = parsePingFacts(await awaitService(endpoints, config.connectionTimeoutSeconds, quiet, io));
  // Said once, at start: without -r the detections are not ours to report. The target comes
  // from the service's PONG line, so it goes through say() and its escaping.
  if (!values.report && !quiet) {
    const target = facts?.output;
    if (target === undefined) say("without -r, detections go to the service's own output target (its OutputSettings > ConnectionString); -r writes them to a report");
    else if (target.up === "no") say(`warning: without -r, detections go to the service's output target ${target.target}, where nothing listens: they reach no one; -r writes them to a report`);
    else say(`without -r, detections go to the service's output target ${target.target}; -r writes them to a report`);
  }

  const startedAt = new Date();
  const started = Date.now();
  const format_ = format as ScanReportFormat;
  let writer: ReportWriter | undefined;
  if (values.report) {
    const output = values.output;
    const outputDir = isAbsolute(config.outputDir) ? config.outputDir : resolve(binaryDir(), config.outputDir);
    try {
      const opened = await openReport({
        outputDir, cwd: io.cwd, output: output === undefined ? undefined : resolve(io.cwd, output), format: format_, startedAt, parseFields: parseDetectionFields,
      });
      writer = opened.writer;
      if (opened.notice) say(`notice: ${opened.notice}`);
    } catch (error) {
      if (error instanceof ReportWriteError) throw new CliError(error.message, EXIT.io);
      throw error;
    }
  }

  const ticker = showProgress ? setInterval(() => io.stderr(`\r${progress.render()}`), 250) : undefined;
  const outcome = await runScan(
    items(),
    {
      targets: endpoints.map((endpoint) => ({ name: formatEndpoint(endpoint), connect: () => createConnection(netAddress(endpoint)) })),
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
    { connections: config.threadsCount, window, replyBack: values.report === true, connectionTimeoutMs: config.connectionTimeoutSeconds * 1000, replyTimeoutMs: 120_000 },
    {
      onLineDone: (item, detections, count) => {
        progress.lineDone(count);
        if (writer && detections.length > 0) writer.addDetections(item.source, item.line, item.text, detections);
      },
      onLineFailed: (item, losses) => {
        say(`${item.source}:${item.line}: no answer: the service was lost all ${losses} times this line was sent, the last time alone; skipped`);
      },
      onLog: (message) => {
        if (config.verbose > 0 && !quiet) say(message);
      },
    },
    io.signal,
  );
  if (ticker) {
    clearInterval(ticker);
    io.stderr("\r\x1b[K");
  }
  const elapsed = Date.now() - started;
  const lost = !outcome.complete && !io.signal.aborted;
  // The error first: it is what the user must act on, and the summary below is partial.
  if (lost) say(`${outcome.error} (${addressText}, waited ${config.connectionTimeoutSeconds} s)${writer ? "; the report holds the lines answered before, marked partial" : ""}`);
  if (writer) {
    try {
      await writer.finish({ objectsSent: outcome.sent, detectsReceived: outcome.detections, scanTimeMs: elapsed, startedAt: startedAt.toISOString(), partial: !outcome.complete });
    } catch (error) {
      if (error instanceof ReportWriteError) throw new CliError(error.message, EXIT.io);
      throw error;
    }
  }
  if (!quiet) {
    io.stdout(formatSummaryLines({ objectsSent: outcome.sent, detectsReceived: outcome.detections, scanTimeMs: elapsed }) + "\n");
    const empty = facts === undefined ? undefined : nothingToFind(facts);
    // The facts come from the service's PONG line: escaped like any text from outside.
    if (empty !== undefined) io.stdout(`${escapeControl(`Note: the lookup service has nothing to find: ${empty}.`)}\n`);
    if (writer) io.stdout(`Report: ${escapeControl(writer.paths.report)}\n`);
  }
  if (lost) return EXIT.unreachable;
  if (!outcome.complete) {
    io.stderr("ioclens: scan interrupted; the report holds the lines answered so far\n");
    return EXIT.interrupted;
  }
  if (values["fail-on-detect"] && outcome.detections > 0) return EXIT.detected;
  return skippedInputs > 0 || outcome.failed > 0 ? EXIT.partial : EXIT.ok;
}

/**
 * Waits up to ConnectionTimeout for the service to answer PING, showing the wait: an updating
 * line on a terminal, one line otherwise, and returns its PONG line (an ioclens service puts its
 * facts there). Throws CliError (exit 4) when it never answers, or (exit 130) when interrupted.
 */
async function awaitService(endpoints: readonly ScanEndpoint[], timeoutSeconds: number, quiet: boolean, io: CliIo): Promise<string> {
  const address = endpoints.map(formatEndpoint).join(", ");
  const connects = endpoints.map((endpoint) => tcpProbeConnect(netAddress(endpoint)));
  let shown = false;
  const outcome = await waitForService(
    {
      probe: (ms) => probeFirst(connects, ms, io.signal),
      now: Date.now,
      sleep: (ms) => abortableSleep(ms, io.signal),
    },
    timeoutSeconds * 1000,
    (waitedMs, reason) => {
      if (quiet) return;
      if (io.stderrIsTTY) io.stderr(`\r\x1b[Kioclens: waiting for ${address} … ${Math.floor(waitedMs / 1000)} s (up to ${timeoutSeconds} s)`);
      else if (!shown) io.stderr(`ioclens: waiting up to ${timeoutSeconds} s for the lookup service at ${address}: ${reason}\n`);
      shown = true;
    },
    io.signal,
  );
  if (shown && io.stderrIsTTY) io.stderr("\r\x1b[K");
  if (outcome.ok) return outcome.line;
  if (outcome.interrupted) throw new CliError("scan interrupted while waiting for the lookup service; nothing was sent", EXIT.interrupted);
  throw new CliError(`cannot connect to the lookup service at ${address}: ${outcome.reason} (waited ${Math.round(outcome.waitedMs / 1000)} s, ConnectionTimeout ${timeoutSeconds} s)`, EXIT.unreachable);
}

/** A scanner address: the forms `Connection` accepts that a scan can connect to. */
type ScanEndpoint = Exclude<Endpoint, { kind: "udp" | "file" }>;

/** The endpoints of `addresses` (validated already); `where` names their origin in errors (exit 3). */
function scanEndpoints(addresses: readonly string[], where: string): ScanEndpoint[] {
  return addresses.map((address) => {
    let endpoint: Endpoint;
    try {
      endpoint = parseEndpoint(address);
    } catch (error) {
      if (error instanceof EndpointError) throw new CliError(`${where}: ${error.message}`, EXIT.config);
      throw error;
    }
    if (endpoint.kind === "udp" || endpoint.kind === "file") throw new CliError(`${where} must be a TCP address, Unix socket or pipe: got "${address}"`, EXIT.config);
    return endpoint as ScanEndpoint;
  });
}

function netAddress(endpoint: ScanEndpoint): { host: string; port: number } | { path: string } {
  return endpoint.kind === "tcp" ? { host: endpoint.host, port: endpoint.port } : { path: endpoint.path };
}

/**
 * The facts PING to every address at once: the first PONG line, or every address's reason
 * (`127.0.0.1:9999: connect ECONNREFUSED …; …`) when none answers.
 */
async function probeFirst(connects: readonly ProbeConnect[], ms: number, signal: AbortSignal): Promise<ProbeResult> {
  if (connects.length === 1) return probeServiceLine(connects[0]!, ms, signal, FACTS_PING);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const reasons: string[] = [];
  try {
    return await new Promise<ProbeResult>((resolve) => {
      let left = connects.length;
      connects.forEach((connect, i) => {
        void probeServiceLine(connect, ms, stop.signal, FACTS_PING).then((result) => {
          if (result.ok) return resolve(result);
          reasons[i] = result.reason;
          if (--left === 0) resolve({ ok: false, reason: reasons.join("; ") });
        });
      });
    });
  } finally {
    stop.abort();
    signal.removeEventListener("abort", onAbort);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
