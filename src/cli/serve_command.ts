/**
 * `ioclens serve`: the lookup service. By default a watchdog supervisor runs the service as a
 * child process (`serve --no-watchdog`), probes it with PING/PONG and restarts it; with
 * --no-watchdog the service runs in this process.
 */
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { CliIo } from "./cli_io.ts";
import { CliError, usageError } from "./cli_error.ts";
import { EXIT } from "./exit_codes.ts";
import { formatHelp } from "./help.ts";
import { parseArgs, type OptionSpecs } from "./parse_args.ts";
import { loadServiceConfig } from "../config/load_config.ts";
import { loadTlsFiles, type TlsPem } from "../config/load_tls_files.ts";
import { ConfigError } from "../config/config_error.ts";
import { EMBEDDED_BASES, EMBEDDED_FEEDS } from "../config/embedded_defaults.ts";
import { isSiemName, SIEM_NAMES, siemConfigText } from "../config/siem_profiles.ts";
import { CATALOGUE_NAMES, catalogueConfigText, isCatalogueName, type CatalogueName } from "../config/feed_catalogue.ts";
import type { ServiceConfig } from "../config/types.ts";
import { compilePipeline } from "../service/process_event.ts";
import { startLookupService, ServiceStartError, type LookupService } from "../service/lookup_service.ts";
import { createLogger, isLogLevel, type LogFormat, type Logger } from "../service/logger.ts";
import { createStatusApp } from "../service/status_app.ts";
import { runWatchdog } from "../watchdog/run_watchdog.ts";
import { sleep } from "../watchdog/sleep.ts";
import { SERVING_ANNOUNCEMENT, spawnWorker, type SpawnWorkerDeps } from "../watchdog/spawn_worker.ts";
import { WatchdogAlerts } from "../watchdog/watchdog_alerts.ts";
import { watchdogTiming } from "../watchdog/watchdog_timing.ts";
import { PING_PREAMBLE } from "../protocol/preamble.ts";
import { probeService, tcpProbeConnect } from "../protocol/probe.ts";
import { PROXY_V1_LOCAL } from "../protocol/proxy_header.ts";
import { parseEndpoint } from "../io/endpoint.ts";
import { isLoopbackHost } from "../config/is_loopback_host.ts";
import { formatPingFacts, nothingToFind, pingFacts } from "../protocol/ping_facts.ts";
import { checkOutputTarget, describeOutputTarget, outputTargetUp, type OutputTargetCheck } from "../service/output_target.ts";
import { serveHttp, type HttpServerHandle } from "../runtime/serve_http.ts";
import { openFileLimit, selfCommand } from "../runtime/runtime.ts";
import type { FeedInput } from "../feeds/feed_reader.ts";
import { feedSourceFor } from "../feeds/feed_source_for.ts";
import { httpFetch } from "../runtime/http_fetch.ts";
import { VERSION } from "../version.ts";

export const SERVE_OPTIONS = {
  config: { type: "string", short: "c", value: "FILE", description: "service config (kl_feed_service.conf dialect)" },
  "check-config": { type: "boolean", description: "validate the config (FILE given with -c or as argument) and exit 0 or 3" },
  strict: { type: "boolean", description: "unknown config elements and attributes are errors (exit 3), not warnings" },
  "print-config": { type: "boolean", description: "print the effective config XML (a template to start from) and exit" },
  siem: { type: "string", value: "NAME", description: `with --print-config: the output formats one SIEM reads (docs/siem.md):\n${SIEM_NAMES.join(", ")}; default splunk` },
  feeds: { type: "string", value: "NAMES", description: `with --print-config: open feeds of the catalogue, comma-separated\n(docs/feeds.md): ${CATALOGUE_NAMES.join(", ")}` },
  "no-watchdog": { type: "boolean", description: "run the service in this process, without the supervisor" },
  "log-level": { type: "string", value: "LEVEL", description: "debug, info (default), warn or error (or IOCLENS_LOG_LEVEL)" },
  "log-format": { type: "string", value: "FMT", description: "text (default) or json lines (or IOCLENS_LOG_FORMAT)" },
  help: { type: "boolean", short: "h", description: "show this help" },
} as const satisfies OptionSpecs;

export const SERVE_HELP = formatHelp({
  usage: "serve [options]",
  intro: `Runs the lookup service. Without -c it uses the embedded default config (listen on
127.0.0.1:9999, ReplyBack with LookupFinished events, key=value detections) and the embedded
demo feeds that hold CyberTrace's verification records (http://fakess123.nu, 192.0.2.0,
C912705B4BBB14EC7E78FA8B370532C9, ...).`,
  options: SERVE_OPTIONS,
  sections: [
    {
      title: "Signals",
      text: `SIGTERM/SIGINT stop cleanly (open work is answered, ServiceStopped is sent);
SIGHUP reloads the config and feeds (the old ones serve until the new ones are ready).`,
    },
    {
      title: "Examples",
      text: `ioclens serve
ioclens serve --print-config > kl_feed_service.conf
ioclens serve --print-config --siem qradar > kl_feed_service.conf
ioclens serve --print-config --feeds urlhaus,feodo,misp-rfc1918 > kl_feed_service.conf
ioclens serve --check-config kl_feed_service.conf
ioclens serve --check-config --strict kl_feed_service.conf   # typos are errors
ioclens serve -c /etc/ioclens/kl_feed_service.conf --no-watchdog
bash -c 'exec 3<>/dev/tcp/127.0.0.1/9999; printf X-KF-ReplyBackPING >&3; cat <&3'   # health probe: PONG
curl -s http://127.0.0.1:9997/status   # counters, feeds, queue (StatusEndpoint)`,
    },
  ],
  exitCodes: "0 stopped cleanly, 2 usage, 3 config, 5 cannot listen or load, 130 interrupted.",
});

/** Runs `ioclens serve`; returns the exit code. */
export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs(argv, SERVE_OPTIONS, true);
  const checkOnly = values["check-config"] === true;
  if (positionals.length > (checkOnly && values.config === undefined ? 1 : 0)) throw usageError(`unexpected argument: ${positionals.at(-1)}`);
  const configArg = values.config ?? positionals[0];
  const configPath = configArg === undefined ? undefined : resolve(io.cwd, configArg);
  const level = values["log-level"] ?? io.env["IOCLENS_LOG_LEVEL"] ?? "info";
  if (!isLogLevel(level)) throw usageError(`--log-level must be debug, info, warn or error: got "${level}"`);
  const format = values["log-format"] ?? io.env["IOCLENS_LOG_FORMAT"] ?? "text";
  if (format !== "text" && format !== "json") throw usageError(`--log-format must be text or json: got "${format}"`);

  const siem = values.siem;
  if (siem !== undefined) {
    if (!isSiemName(siem)) throw usageError(`unknown SIEM for --siem: got "${siem}", expected one of ${SIEM_NAMES.join(", ")}`);
    if (!values["print-config"]) throw usageError(`--siem selects the config --print-config prints: got --siem ${siem} without --print-config`);
    if (configPath !== undefined) throw usageError(`--siem prints a built-in config: got --siem ${siem} with the config file ${configArg}`);
  }
  const feeds = catalogueNames(values.feeds, values["print-config"] === true, configArg);
  if (values["print-config"]) {
    const builtIn = () => (feeds === undefined ? siemConfigText(siem ?? "splunk") : catalogueConfigText(siemConfigText(siem ?? "splunk"), feeds));
    io.stdout(configPath ? await readFile(configPath, "utf8").catch((e) => { throw new ConfigError(configPath, undefined, `cannot read config file: ${(e as Error).message}`); }) : builtIn());
    return EXIT.ok;
  }

  const strict = values.strict === true;
  const { config, warnings } = await loadServiceConfig(configPath, undefined, { strict });
  for (const warning of warnings) io.stderr(`ioclens: warning: ${warning}\n`);
  // Template warnings are the running service's to log; --check-config prints them itself.
  validateForStart(config, checkOnly ? (message) => io.stderr(`ioclens: warning: ${config.source}: ${message}\n`) : undefined);
  // Read here, before the watchdog or the service starts: a missing or mismatched file exits 3.
  const tls = config.status.enabled && config.status.tls ? await loadTlsFiles(config.status.tls, config.source) : undefined;
  if (checkOnly) {
    io.stdout(`${config.source}: ok (listen ${config.input.connectionString}, ${config.feeds.feeds.length} feeds, ${config.input.sources.length} sources)\n`);
    return EXIT.ok;
  }

  const worker = io.env["IOCLENS_WORKER"] === "1";
  const log = createLogger({ level, format: format as LogFormat, write: io.stderr, now: Date.now, name: worker ? "worker" : values["no-watchdog"] ? undefined : "watchdog" });
  if (values["no-watchdog"]) return runService(config, configPath, strict, tls, log, io, worker ? stopWithWatchdog(io, log) : io.signal);
  return watchdog(config, argv, log, io);
}

/** The catalogue feeds `--feeds` names, checked like `--siem`; undefined without `--feeds`. */
function catalogueNames(option: string | undefined, printConfig: boolean, configArg: string | undefined): CatalogueName[] | undefined {
  if (option === undefined) return undefined;
  const names = option.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = names.filter((name) => !isCatalogueName(name));
  if (unknown.length > 0 || names.length === 0) throw usageError(`unknown feed for --feeds: got "${unknown[0] ?? option}", expected a comma-separated list of ${CATALOGUE_NAMES.join(", ")}`);
  if (!printConfig) throw usageError(`--feeds selects the feeds of the config --print-config prints: got --feeds ${option} without --print-config`);
  if (configArg !== undefined) throw usageError(`--feeds prints a built-in config: got --feeds ${option} with the config file ${configArg}`);
  return [...new Set(names)] as CatalogueName[];
}

/**
 * A worker's stop signal: SIGTERM/SIGINT as always, or the end of stdin. The watchdog gives its
 * worker a pipe as stdin and never writes to it; the pipe ends only when the watchdog is gone,
 * even by SIGKILL (the kernel closes its end), and a worker without its watchdog must stop
 * rather than keep the ports from the next `ioclens serve`.
 */
function stopWithWatchdog(io: CliIo, log: Logger): AbortSignal {
  const stop = new AbortController();
  if (io.signal.aborted) stop.abort();
  io.signal.addEventListener("abort", () => stop.abort(), { once: true });
  void (async () => {
    try {
      for await (const _ of io.stdin) {
        // The watchdog writes nothing: only the end matters.
      }
    } catch {
      // A read error means the pipe is gone too.
    }
    if (stop.signal.aborted) return;
    log("warn", "the watchdog is gone (its pipe to this worker closed): stopping");
    stop.abort();
  })();
  return stop.signal;
}

/**
 * Checks what a config needs to start but a parser cannot see: regexes, templates, addresses.
 * The status endpoint's token rule is the parser's (readStatus), checked there once.
 */
function validateForStart(config: ServiceConfig, warn?: (message: string) => void): void {
  try {
    compilePipeline(config, warn);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(config.source, undefined, (error as Error).message);
  }
  for (const [element, text] of [
    ["InputSettings > ConnectionString", config.input.connectionString],
    ["OutputSettings > ConnectionString", config.output.connectionString],
  ] as const) {
    try {
      parseEndpoint(text);
    } catch (error) {
      throw new ConfigError(config.source, undefined, `${element}: ${(error as Error).message}`);
    }
  }
  if (config.status.enabled) {
    const listen = parseEndpoint(config.status.listen);
    if (listen.kind !== "tcp") throw new ConfigError(config.source, undefined, `StatusEndpoint > Listen must be host:port: got "${config.status.listen}"`);
  }
}

/** Opens a feed of `config`: from the embedded set, or from the bases folder (gzip allowed). */
async function openFeed(config: ServiceConfig, filename: string): Promise<FeedInput> {
  if (config.service.basesDir === EMBEDDED_BASES) {
    const text = EMBEDDED_FEEDS.get(filename);
    if (text === undefined) throw new Error(`no embedded feed named "${filename}" (embedded: ${[...EMBEDDED_FEEDS.keys()].join(", ")})`);
    return text;
  }
  const path = isAbsolute(filename) ? filename : join(config.service.basesDir, filename);
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  return createReadStream(path) as AsyncIterable<Uint8Array>;
}

/** What the PONG line reads once known: the running service, and the output target checked at start. */
interface LiveService {
  service?: LookupService;
  output?: OutputTargetCheck;
}

/** The service in this process, until `stop` (SIGTERM/SIGINT, or the watchdog gone). */
async function runService(config: ServiceConfig, configPath: string | undefined, strict: boolean, tls: TlsPem | undefined, log: Logger, io: CliIo, stop: AbortSignal): Promise<number> {
  const live: LiveService = {};
  const service = await startService(config, configPath, strict, log, io, stop, live);
  if (service === undefined) return EXIT.ok;
  const http = config.status.enabled ? await startStatusEndpoint(config, service, tls, log) : undefined;
  const onHup = () => {
    log("info", "SIGHUP: reloading config and feeds");
    void service.reload().then((r) => log(r.ok ? "info" : "warn", r.ok ? "reload done" : `reload failed: ${r.error}`));
  };
  process.on("SIGHUP", onHup);
  // Once, at start: where detections without ReplyBack go, and whether anything listens there.
  live.output = await checkOutputTarget(parseEndpoint(config.output.connectionString), 2000);
  const described = describeOutputTarget(live.output, !config.output.alertConnectionString?.enabled && config.output.alertFormat !== undefined, config.output.queueSize);
  log(described.level, described.message);
  const emptyHanded = nothingToFind(pingFacts(service.status().feeds));
  if (emptyHanded !== undefined) log("warn", `nothing to find: ${emptyHanded}; docs/feeds.md shows how to configure feeds`);
  // A worker under the watchdog reports its address so tests and the watchdog can find it.
  io.stdout(`${SERVING_ANNOUNCEMENT} ${service.address}\n`);
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    stop.addEventListener("abort", () => resolve(), { once: true });
  });
  process.off("SIGHUP", onHup);
  log("info", "stopping");
  await http?.stop();
  await service.close();
  return EXIT.ok;
}

/** Loads the feeds and starts listening; undefined when `stop` came while the feeds were loading. */
async function startService(config: ServiceConfig, configPath: string | undefined, strict: boolean, log: Logger, io: CliIo, stop: AbortSignal, live: LiveService): Promise<LookupService | undefined> {
  const fileLimit = openFileLimit();
  try {
    const starting = startLookupService(config, {
      now: Date.now,
      log,
      openFeed,
      readRegistry: (path) => readFile(path, "utf8"),
      reloadConfig: async () => {
        const { config: next, warnings } = await loadServiceConfig(configPath, undefined, { strict });
        for (const warning of warnings) log("warn", warning);
        validateForStart(next);
        return next;
      },
      restarts: Number(io.env["IOCLENS_RESTARTS"] ?? 0),
      feedSource: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: io.env, userAgent: `ioclens/${VERSION}` }),
      sleep,
      ...(fileLimit !== undefined ? { openFileLimit: fileLimit } : {}),
      feedUpdatedAt: async (current, filename) => {
        if (current.service.basesDir === EMBEDDED_BASES) return undefined;
        return (await stat(isAbsolute(filename) ? filename : join(current.service.basesDir, filename))).mtimeMs;
      },
      // Until startLookupService returns there is no status to tell: a plain PONG.
      pongLine: () => {
        const { service, output } = live;
        if (service === undefined) return "PONG";
        const status = service.status();
        return formatPingFacts(pingFacts(status.feeds, output && { target: output.target, up: outputTargetUp(output, status.output) }));
      },
    });
    live.service = await untilAborted(starting, stop);
    if (live.service === undefined) {
      // Stopped while loading feeds: nothing is served yet, so stop now rather than listen
      // first (a worker whose watchdog died would take the port from its successor).
      void starting.then((late) => late.close(), () => {});
      log("info", "stopped while loading feeds");
    }
    return live.service;
  } catch (error) {
    if (error instanceof ServiceStartError) throw new CliError(error.message, EXIT.io);
    throw error;
  }
}

/** Serves the status app on `StatusEndpoint > Listen`; closes `service` and throws an I/O CliError when it cannot. */
async function startStatusEndpoint(config: ServiceConfig, service: LookupService, tls: TlsPem | undefined, log: Logger): Promise<HttpServerHandle> {
  const listen = parseEndpoint(config.status.listen) as { host: string; port: number };
  let url: string | undefined;
  const app = createStatusApp({
    // What only this layer knows: the config file and where each port ended up.
    getStatus: () => ({ ...service.status(), config: config.source, listen: { events: service.address, ...(url ? { status: url } : {}) } }),
    reload: () => service.reload(),
    retroScan: () => service.retroScan(),
    lookup: (values) => service.lookup(values),
    isLoopback: isLoopbackHost(listen.host),
    ...(config.status.token ? { token: config.status.token } : {}),
    ...(config.status.basicAuth ? { basicAuth: config.status.basicAuth } : {}),
    ...(config.status.lookupLimits ? { lookupLimits: config.status.lookupLimits } : {}),
    log,
  });
  try {
    const http = await serveHttp(listen.host, listen.port, app.fetch, tls);
    url = `${tls ? "https" : "http"}://${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${http.port}`;
    log("info", `status endpoint on ${url}/health`);
    return http;
  } catch (error) {
    await service.close();
    throw new CliError(`cannot start the status endpoint on ${config.status.listen} (StatusEndpoint > Listen): ${(error as Error).message}`, EXIT.io);
  }
}

/** What `task` resolves to, or undefined as soon as `signal` aborts. */
function untilAborted<T>(task: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    task.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The watchdog: runs `serve --no-watchdog` as a child, probes it, restarts it. */
async function watchdog(config: ServiceConfig, argv: string[], log: Logger, io: CliIo): Promise<number> {
  let timing;
  try {
    timing = watchdogTiming(io.env);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  const listen = parseEndpoint(config.input.connectionString);
  const probeAddress = listen.kind === "tcp" ? { host: listen.host === "0.0.0.0" ? "127.0.0.1" : listen.host === "::" ? "::1" : listen.host, port: listen.port } : { path: (listen as { path: string }).path };
  // With ProxyProtocol on, a connection without a header is refused: the probe says "no client".
  const probePreamble = (config.service.connections.proxyProtocol ? PROXY_V1_LOCAL : "") + PING_PREAMBLE;
  const alerts = new WatchdogAlerts(config, log, Date.now);
  const [self, ...selfArgs] = selfCommand();
  const worker: SpawnWorkerDeps = {
    spawn: (command, args, options) => spawn(command, args, options),
    command: [self!, ...selfArgs, "serve", "--no-watchdog", ...argv.filter((a) => a !== "--no-watchdog")],
    env: process.env,
    platform: process.platform,
    stdout: io.stdout,
    log,
    spawnErrorCode: EXIT.io,
  };
  const code = await runWatchdog({
    now: Date.now,
    sleep,
    spawnWorker: (restarts) => spawnWorker(worker, restarts),
    probe: () => probeService(tcpProbeConnect(probeAddress), timing.probeTimeoutMs, undefined, probePreamble),
    process,
    log,
    alert: (name, fields) => alerts.send(name, fields),
    stopSignal: io.signal,
  }, {
    // A first worker that cannot start (bad config, port in use) is a failure to report, not to
    // retry forever; once it has been up, any exit is restarted.
    fatalStartupExitCodes: [EXIT.usage, EXIT.config, EXIT.io],
    ...timing.options,
  });
  await alerts.close();
  if (code === EXIT.config || code === EXIT.usage || code === EXIT.io) return code;
  return io.signal.aborted ? EXIT.ok : (code ?? EXIT.io);
}
