/**
 * `ioclens scan`: the log scanner, compatible with CyberTrace's log_scanner command line
 * (spec log-scanner.md §2) plus our additions. Builds the list of lines, runs the scan engine
 * and writes the report.
 */
import { open, stat } from "node:fs/promises";
import { createConnection } from "node:net";
import { isAbsolute, resolve } from "node:path";
import type { CliIo } from "./cli_io.ts";
import { CliError, usageError } from "./cli_error.ts";
import { EXIT } from "./exit_codes.ts";
import { parseArgs } from "./parse_args.ts";
import { loadScannerConfig } from "../config/load_config.ts";
import { binaryDir } from "../runtime/runtime.ts";
import { parseEndpoint, formatEndpoint, EndpointError } from "../service/parse_endpoint.ts";
import { fillPattern, type SingleValueKind } from "../scanner/fill_pattern.ts";
import { listInputs } from "../scanner/list_inputs.ts";
import { describeFsError } from "../io/describe_fs_error.ts";
import { escapeControl } from "../io/escape_control.ts";
import { readLines, BinaryInputError, MAX_LINE_BYTES } from "../scanner/read_lines.ts";
import { runScan, type ScanItem } from "../scanner/run_scan.ts";
import type { ReportFormat } from "../scanner/report_files.ts";
import { openReport } from "../scanner/open_report.ts";
import { type ReportWriter, ReportWriteError } from "../scanner/report_writer.ts";
import { formatSummaryLines } from "../report/summary_lines.ts";
import { parseDetectionFields } from "../scanner/parse_detection_fields.ts";
import { ProgressMeter } from "../scanner/progress_meter.ts";

const OPTIONS = {
  report: { type: "boolean", short: "r" },
  config: { type: "string", short: "c" },
  path: { type: "string", short: "p", multiple: true },
  hash: { type: "string", short: "s", multiple: true },
  url: { type: "string", short: "u", multiple: true },
  ip: { type: "string", short: "i", multiple: true },
  recursive: { type: "boolean" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
  binary: { type: "boolean" },
  output: { type: "string" },
  format: { type: "string" },
  "fail-on-detect": { type: "boolean" },
  quiet: { type: "boolean" },
  "check-config": { type: "boolean" },
  window: { type: "string" },
} as const;

const FORMATS: readonly ReportFormat[] = ["text", "json", "ndjson"];

/** Runs a scan; returns the exit code (README "Exit codes"). */
export async function scanCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs(argv, OPTIONS, true);
  const strings = (name: string) => (values[name] as string[] | undefined) ?? [];
  const configArg = (values["config"] as string | undefined) ?? (values["check-config"] ? positionals[0] : undefined);
  if (positionals.length > (values["check-config"] && !values["config"] ? 1 : 0)) {
    throw usageError(`unexpected argument: ${positionals[values["check-config"] && !values["config"] ? 1 : 0]}`);
  }
  const configPath = configArg === undefined ? undefined : resolve(io.cwd, configArg);
  const defaultPath = resolve(io.cwd, "log_scanner.conf");
  // Like log_scanner, a missing ./log_scanner.conf silently means the defaults.
  const useDefault = configPath === undefined && (await stat(defaultPath).then((s) => s.isFile(), () => false));
  const { config, warnings } = await loadScannerConfig(configPath ?? (useDefault ? defaultPath : undefined), binaryDir(), configPath !== undefined);
  const quiet = Boolean(values["quiet"]);
  const showProgress = io.stderrIsTTY && !quiet;
  /**
   * One line on stderr, over the progress line when there is one. Control characters (from file
   * names) are escaped, so a name cannot forge a line or drive the terminal; event text never
   * goes here, only where it came from.
   */
  const say = (message: string) => io.stderr(`${showProgress ? "\r\x1b[K" : ""}ioclens: ${escapeControl(message)}\n`);
  for (const warning of warnings) say(`warning: ${warning}`);
  if (values["check-config"]) {
    io.stdout(`${escapeControl(`${config.source}: ok (connection ${config.connection}, ${config.threadsCount} threads, output ${config.outputDir})`)}\n`);
    return EXIT.ok;
  }

  const format = (values["format"] as string | undefined) ?? "text";
  if (!FORMATS.includes(format as ReportFormat)) throw usageError(`--format must be one of ${FORMATS.join(", ")}: got "${format}"`);
  const window = values["window"] === undefined ? 2048 : Number(values["window"]);
  if (!Number.isInteger(window) || window < 1 || window > 65536) throw usageError(`--window must be an integer from 1 to 65536: got "${values["window"]}"`);
  const singles: [SingleValueKind, string][] = [
    ...strings("hash").map((v): [SingleValueKind, string] => ["hash", v.trim()]),
    ...strings("url").map((v): [SingleValueKind, string] => ["url", v.trim()]),
    ...strings("ip").map((v): [SingleValueKind, string] => ["ip", v.trim()]),
  ];
  const singleLines = singles.map(([kind, value]) => fillPattern(config.pattern, kind, value));
  const paths = strings("path");
  if (singleLines.length === 0 && paths.length === 0) throw usageError("nothing to scan: give -p PATH, -s HASH, -u URL or -i IP");

  let endpoint;
  try {
    endpoint = parseEndpoint(config.connection);
  } catch (error) {
    if (error instanceof EndpointError) throw new CliError(`${config.source}: Settings > Connection: ${error.message}`, EXIT.config);
    throw error;
  }
  if (endpoint.kind === "udp" || endpoint.kind === "file") {
    throw new CliError(`${config.source}: Settings > Connection must be a TCP address, Unix socket or pipe: got "${config.connection}"`, EXIT.config);
  }

  const fileArgs = paths.filter((p) => p !== "-");
  const readStdin = paths.includes("-");
  const { files, totalBytes, problems, loops, missing, interrupted } = await listInputs(
    fileArgs.map((p) => resolve(io.cwd, p)),
    { recursive: Boolean(values["recursive"]), include: strings("include"), exclude: strings("exclude"), signal: io.signal },
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
  const binary = Boolean(values["binary"]);

  async function* items(): AsyncGenerator<ScanItem> {
    let n = 0;
    for (const line of singleLines) yield { source: "<command line>", line: ++n, text: line };
    const sources: [string, () => Promise<AsyncIterable<Uint8Array>>][] = files.map((file) => [file, async () => (await open(file)).createReadStream()]);
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
          for (const { text, lineNo: no, cut } of lines) {
            lineNo = no;
            if (cut?.last) {
              say(`${shown}:${no}: line is longer than ${MAX_LINE_BYTES} bytes: sent in ${cut.piece} pieces`);
            }
            // An empty line is no event for the service (it sends no answer): do not send it.
            if (text.length === 0) continue;
            yield { source: shown, line: no, text };
          }
        }
      } catch (error) {
        skippedInputs++;
        if (error instanceof BinaryInputError) say(`${shown}: binary file (NUL bytes), skipped; use --binary to send it`);
        else say(`${shown}:${lineNo + 1}: ${describeFsError(error)}, rest of file skipped`);
      }
      progress.fileDone();
    }
  }

  const startedAt = new Date();
  const started = Date.now();
  const format_ = format as ReportFormat;
  let writer: ReportWriter | undefined;
  if (values["report"]) {
    const output = values["output"] as string | undefined;
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
      connect: () => (endpoint.kind === "tcp" ? createConnection({ host: endpoint.host, port: endpoint.port }) : createConnection({ path: endpoint.path })),
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
    { connections: config.threadsCount, window, replyBack: Boolean(values["report"]), connectionTimeoutMs: config.connectionTimeoutSeconds * 1000, replyTimeoutMs: 120_000 },
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
    if (writer) io.stdout(`Report: ${escapeControl(writer.paths.report)}\n`);
  }
  if (!outcome.complete) {
    if (io.signal.aborted) {
      io.stderr("ioclens: scan interrupted; the report holds the lines answered so far\n");
      return EXIT.interrupted;
    }
    throw new CliError(`${outcome.error} (${formatEndpoint(endpoint)}, waited ${config.connectionTimeoutSeconds} s)`, EXIT.unreachable);
  }
  if (values["fail-on-detect"] && outcome.detections > 0) return EXIT.detected;
  return skippedInputs > 0 || outcome.failed > 0 ? EXIT.partial : EXIT.ok;
}
