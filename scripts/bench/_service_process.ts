/**
 * Runs the lookup service (or the null service) as a separate process for the benchmarks: the
 * config is the embedded default (its RE_* regexes, templates and ScannersCount) with the feeds
 * replaced by the shared data, listening on a free port, alerts sent to a listener of ours.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { workerEnvironment } from "../../src/runtime/runtime.ts";
import { DATA_DIR, ROOT } from "./_bench_env.ts";

const DEFAULT_CONF = join(ROOT, "src/config/defaults/default_service.conf");

/** The feeds of the benchmarks: all Maltrail trails and IPsum (≈ 1.73 M indicators). */
export const SHARED_FEEDS = `<Feeds per_scan_detect_limit="10000" update_frequency="0">
    <Feed filename="maltrail/trails.tsv.gz" format="maltrail" category="Maltrail"/>
    <Feed filename="ipsum/ipsum.tsv.gz" format="tsv" category="IPsum" confidence="40"/>
  </Feeds>`;

/**
 * Writes the benchmark config to `path`; `feeds` replaces the `<Feeds>` element. `workers` is
 * ServiceSettings > Workers: 1 unless given, so that the figures of the other benchmarks stay
 * those of one thread whatever the machine's cores (scripts/bench/workers.ts compares 1 and 2).
 */
export function writeServiceConfig(path: string, alertPort: number, feeds = SHARED_FEEDS, workers = 1): void {
  let text = readFileSync(DEFAULT_CONF, "utf8");
  const swap = (re: RegExp, by: string) => {
    if (!re.test(text)) throw new Error(`Benchmark config failed: ${re} not found in ${DEFAULT_CONF}`);
    text = text.replace(re, by);
  };
  swap(/<Feeds[\s\S]*?<\/Feeds>/, feeds);
  swap(/<Bases>[^<]*<\/Bases>/, `<Bases>${DATA_DIR}</Bases>`);
  swap(/(<InputSettings>\s*(?:<!--[\s\S]*?-->\s*)?)<ConnectionString>[^<]*<\/ConnectionString>/, "$1<ConnectionString>127.0.0.1:0</ConnectionString>");
  swap(/<ConnectionString>127\.0\.0\.1:9998<\/ConnectionString>/, `<ConnectionString>127.0.0.1:${alertPort}</ConnectionString>`);
  swap(/<StatusEndpoint[\s\S]*?<\/StatusEndpoint>/, "");
  swap(/<ServiceSettings>/, `<ServiceSettings>\n    <Workers>${workers}</Workers>`);
  writeFileSync(path, text);
}

/** A line received by the {@link AlertListener}, with the time it arrived. */
export interface ReceivedLine {
  readonly at: number;
  readonly text: string;
}

/** The service's output target: keeps alert lines, counts everything else. */
export class AlertListener {
  readonly alerts: ReceivedLine[] = [];
  lines = 0;
  readonly #server: Server;
  readonly #waiters: { match: (text: string) => boolean; resolve: (l: ReceivedLine) => void }[] = [];
  port = 0;

  constructor() {
    this.#server = createServer((socket) => {
      let carry = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        const at = performance.now();
        const text = carry + chunk;
        let start = 0;
        for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
          const line = text.slice(start, nl);
          start = nl + 1;
          this.lines++;
          if (!line.includes("alert=")) continue;
          const received = { at, text: line };
          this.alerts.push(received);
          for (let i = this.#waiters.length - 1; i >= 0; i--) {
            if (this.#waiters[i]!.match(line)) this.#waiters.splice(i, 1)[0]!.resolve(received);
          }
        }
        carry = text.slice(start);
      });
      socket.on("error", () => {});
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this.port;
  }

  /** Resolves with the first alert line (from now on, or already received after `since`) containing `text`. */
  waitFor(text: string, since = 0): Promise<ReceivedLine> {
    const old = this.alerts.find((a) => a.at >= since && a.text.includes(text));
    if (old) return Promise.resolve(old);
    return new Promise((resolve) => this.#waiters.push({ match: (l) => l.includes(text), resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A running service process. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** performance.now() when the process was spawned. */
  readonly spawnedAt: number;
  /** performance.now() when it printed its address. */
  readonly readyAt: number;
  /** stderr so far (log lines). */
  stderr(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
}

/**
 * Spawns `argv` (e.g. `[bun, src/main.ts, serve, --no-watchdog, -c, conf]`) with the environment a
 * watchdog gives its worker, plus `env` (an undefined value removes a variable), and waits until it
 * prints `serving on HOST:PORT` on stdout. Rejects with the process's stderr when it exits first.
 */
export function startProcess(argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<ServiceProcess> {
  const spawnedAt = performance.now();
  // As the watchdog starts its worker: the runtime's worker settings unless our environment sets them.
  const merged: Record<string, string | undefined> = { ...workerEnvironment(), ...process.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: merged });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    err += chunk;
    if (err.length > 1 << 20) err = err.slice(-(1 << 19));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding("utf8");
    const onData = (chunk: string) => {
      out += chunk;
      const m = /serving on \S*?:(\d+)/.exec(out);
      if (!m) return;
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      resolve({
        child,
        pid: child.pid!,
        port: Number(m[1]),
        spawnedAt,
        readyAt: performance.now(),
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => reject(new Error(`Service process ended before listening: exit ${code}, stderr:\n${err.slice(-4000)}`)));
  });
}

/** The command that runs ioclens from source on the runtime running this script. */
export function serviceCommand(configPath: string, extra: readonly string[] = []): string[] {
  return [process.execPath, ...extra, join(ROOT, "src/main.ts"), "serve", "--no-watchdog", "--log-level", "info", "-c", configPath];
}

/** Resident set size and its peak so far (VmRSS, VmHWM) of a process, in bytes; Linux only. */
export function readRss(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** CPU time (user + system) a process has used so far, in seconds; Linux only. */
export function readCpuSeconds(pid: number): number {
  const { user, system } = readCpuSplit(pid);
  return user + system;
}

/** User and system (kernel) CPU time a process has used so far, in seconds; Linux only. */
export function readCpuSplit(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}
