/**
 * Runs the built `dist/ioclens` as a user would: builds it when stale, writes configs on free
 * ports, starts `serve` in the background, and talks to it over real sockets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { probeService, tcpProbeConnect } from "../../src/protocol/probe.ts";

export const ROOT = resolve(import.meta.dir, "..", "..");
export const BINARY = join(ROOT, "dist", "ioclens");

/** How long a condition wait may take before the test fails with what was seen so far. */
const WAIT_MS = 10_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ioclens (linux only) when it is missing or older than any file in src/. */
export async function ensureBinary(): Promise<void> {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestMtime(join(ROOT, "src"))) return;
  const result = await run(process.execPath, [join(ROOT, "scripts", "build.ts"), "--linux-only"], { cwd: ROOT });
  if (result.code !== 0) throw new Error(`Build of dist/ioclens failed: exit ${result.code}\n${result.stdout}${result.stderr}`);
}

/** A port that was free a moment ago: listen on 0, close, hand the number out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen({ host: "127.0.0.1", port: 0 }, done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** What a finished command left behind. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion, collecting stdout, stderr and the exit code together. */
export function run(program: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(program, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.once("error", fail);
    child.once("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Runs `dist/ioclens ARGS` in `cwd`. */
export function ioclens(args: readonly string[], cwd: string): Promise<RunResult> {
  return run(BINARY, args, { cwd, env: { IOCLENS_LOG_FORMAT: "text" } });
}

/** Ports and targets of a service config written by `writeServiceConfig`. */
export interface ServicePorts {
  readonly input: number;
  readonly status: number;
}

/**
 * The embedded config (`serve --print-config`) with the event and status ports moved to free
 * ones, detections and alerts sent to `output`, and `edit` applied. Every replacement must
 * hit, so a changed default config fails here and not in a confusing place later.
 */
export async function serviceConfigText(output: string, edit: (xml: string) => string = (x) => x): Promise<{ text: string; ports: ServicePorts }> {
  const printed = await ioclens(["serve", "--print-config"], ROOT);
  if (printed.code !== 0) throw new Error(`serve --print-config failed: exit ${printed.code}: ${printed.stderr}`);
  const ports = { input: await freePort(), status: await freePort() };
  let text = printed.stdout;
  for (const [from, to] of [
    ["<ConnectionString>127.0.0.1:9999</ConnectionString>", `<ConnectionString>127.0.0.1:${ports.input}</ConnectionString>`],
    ["<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>${output}</ConnectionString>`],
    ["<Listen>127.0.0.1:9997</Listen>", `<Listen>127.0.0.1:${ports.status}</Listen>`],
  ] as const) {
    if (!text.includes(from)) throw new Error(`Embedded config has changed: expected it to contain ${from}`);
    text = text.replace(from, to);
  }
  return { text: edit(text), ports };
}

/**
 * A fresh folder under `parent` holding `kl_feed_service.conf`: the embedded config on free
 * ports, detections to `output`, service alerts to `alerts` (AlertConnectionString), `edit`
 * applied last.
 */
export async function serviceDir(parent: string, output: { port: number }, alerts: { port: number }, edit: (xml: string) => string = (x) => x): Promise<{ dir: string; ports: ServicePorts }> {
  const dir = mkdtempSync(join(parent, "svc-"));
  const { text, ports } = await serviceConfigText(`127.0.0.1:${output.port}`, (xml) =>
    edit(xml.replace("<QueueSize>", `<AlertConnectionString>127.0.0.1:${alerts.port}</AlertConnectionString>\n    <QueueSize>`)),
  );
  writeFileSync(join(dir, "kl_feed_service.conf"), text);
  return { dir, ports };
}

/** The watchdog's log line for a started worker; group 1 is its pid. */
export const workerStarted = (restarts: number): RegExp => new RegExp(`\\[watchdog\\] Worker started pid=(\\d+) restarts=${restarts}\\n`);

/** A background `ioclens serve`, with its output collected as it arrives. */
export interface ServeProcess extends AsyncDisposable {
  readonly pid: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Exit code and signal, once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `pattern` in stderr at or after `from` (a string
   *  offset), as soon as it appears; rejects when the process exits or WAIT_MS passes. */
  waitForLog(pattern: RegExp, from?: number): Promise<RegExpExecArray>;
  /** Resolves once the event port answers PING with PONG. */
  waitReady(port: number): Promise<void>;
}

/** Starts `dist/ioclens serve ARGS` in `cwd`. Disposing it stops it (SIGTERM, then SIGKILL),
 *  and kills any worker it started that is still running. With `detached` it leads its own
 *  process group, so the test can signal the group like a terminal's Ctrl+C does. */
export function startServe(args: readonly string[], cwd: string, options: { detached?: boolean } = {}): ServeProcess {
  const child: ChildProcess = spawn(BINARY, ["serve", ...args], { cwd, detached: options.detached ?? false, env: { ...process.env, IOCLENS_LOG_FORMAT: "text", IOCLENS_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  child.stdout!.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    notify();
  });
  child.stderr!.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
    notify();
  });
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("close", (code, signal) => {
      hasExited = true;
      done({ code, signal });
      notify();
    }),
  );

  const until = <T>(check: () => T | undefined, what: string): Promise<T> =>
    new Promise<T>((done, fail) => {
      const timer = setTimeout(() => finish(new Error(`Timed out after ${WAIT_MS} ms waiting for ${what}: stderr so far:\n${stderr}`)), WAIT_MS);
      const finish = (error?: Error, value?: T) => {
        clearTimeout(timer);
        listeners.delete(listener);
        if (error) fail(error);
        else done(value as T);
      };
      const listener = () => {
        const value = check();
        if (value !== undefined) finish(undefined, value);
        else if (hasExited) finish(new Error(`serve exited while waiting for ${what}: stderr:\n${stderr}`));
      };
      listeners.add(listener);
      listener();
    });

  const workerPids = () => [...stderr.matchAll(/\[watchdog\] Worker started pid=(\d+)/g)].map((m) => Number(m[1]));

  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLog: (pattern, from = 0) =>
      until(() => {
        const re = new RegExp(pattern.source, pattern.flags.replace("g", ""));
        return re.exec(stderr.slice(from)) ?? undefined;
      }, `log ${pattern}`),
    waitReady: async (port) => {
      const deadline = Date.now() + WAIT_MS;
      // Polling PING is the condition itself: the service gives no other sign it listens.
      while (!(await probeService(tcpProbeConnect({ host: "127.0.0.1", port }), 1000))) {
        if (hasExited) throw new Error(`serve exited before answering PING: stderr:\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`serve did not answer PING within ${WAIT_MS} ms: stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    [Symbol.asyncDispose]: async () => {
      if (!hasExited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      for (const pid of workerPids()) if (isRunning(pid)) process.kill(pid, "SIGKILL");
    },
  };
}

/** Resolves false once `pid` is gone, or true if it still runs after `ms`. A SIGKILLed process
 *  closes its pipes a few milliseconds before it leaves the process table; polling /proc is the
 *  only way to see that moment for a process that is not our child. */
export async function stillRunningAfter(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** A TCP listener standing in for a SIEM: collects every line it receives. */
export interface LineCollector extends AsyncDisposable {
  readonly port: number;
  readonly lines: string[];
  /** Resolves with the first line matching `pattern`, as soon as it arrives. */
  waitForLine(pattern: RegExp): Promise<string>;
}

export async function startCollector(): Promise<LineCollector> {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let carry = "";
    socket.setEncoding("utf8").on("data", (text: string) => {
      const parts = (carry + text).split("\n");
      carry = parts.pop()!;
      lines.push(...parts);
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((done) => server.listen({ host: "127.0.0.1", port: 0 }, done));
  return {
    port: (server.address() as { port: number }).port,
    lines,
    waitForLine: (pattern) =>
      new Promise<string>((done, fail) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`Timed out after ${WAIT_MS} ms waiting for a line matching ${pattern}: got ${JSON.stringify(lines)}`));
        }, WAIT_MS);
        const check = () => {
          const line = lines.find((l) => pattern.test(l));
          if (line === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          done(line);
        };
        waiters.add(check);
        check();
      }),
    [Symbol.asyncDispose]: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/** Sends one line with ReplyBack and returns the answer lines up to the finished event. */
export function replyBackLookup(port: number, line: string): Promise<string[]> {
  return new Promise((done, fail) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const lines: string[] = [];
    let carry = "";
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      const parts = (carry + text).split("\n");
      carry = parts.pop()!;
      lines.push(...parts);
      if (lines.some((l) => l.includes("alert=LookupFinished"))) {
        socket.destroy();
        done(lines);
      }
    });
    socket.once("error", fail);
    socket.once("close", () => done(lines));
    socket.write(`X-KF-ReplyBack${line}\n`);
  });
}

/** GET on the status endpoint: the status code and the JSON body. */
export async function getJson(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.json() };
}
