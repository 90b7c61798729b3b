/** Starts an in-process lookup service on port 0 and talks to it like a client would. */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_FEEDS } from "../../src/config/embedded_defaults.ts";
import type { ServiceConfig } from "../../src/config/types.ts";
import { startLookupService, type LookupService, type LookupServiceDeps } from "../../src/service/lookup_service.ts";
import type { FeedInput } from "../../src/feeds/feed_reader.ts";

/**
 * The embedded default config text, listening on port 0, with `edit` applied. Without a
 * `<Workers>` of the edit's own, Workers is 1: most tests are about what one thread does, and the
 * tests of worker threads (test/service/workers.test.ts) ask for them.
 */
export function configText(edit: (xml: string) => string = (x) => x): string {
  const text = edit(DEFAULT_SERVICE_CONFIG_TEXT.replace("<ConnectionString>127.0.0.1:9999</ConnectionString>", "<ConnectionString>127.0.0.1:0</ConnectionString>"));
  return text.includes("<Workers>") ? text : text.replace("<ServiceSettings>", "<ServiceSettings><Workers>1</Workers>");
}

export function testConfig(edit?: (xml: string) => string): ServiceConfig {
  return parseServiceConfig(configText(edit), "<test>").config;
}

export interface TestService extends LookupService, AsyncDisposable {
  readonly logs: string[];
}

/**
 * Starts the service; feeds come from the embedded set plus `extraFeeds` (filename → text, read
 * at each load, so a test can change a feed before `reload()`); `now` replaces the clock.
 */
export async function startTestService(
  config: ServiceConfig = testConfig(),
  options: { extraFeeds?: Map<string, string>; reloadConfig?: () => Promise<ServiceConfig>; slowEventMs?: number; now?: () => number; pongLine?: () => string; retroFlushMs?: number } = {},
): Promise<TestService> {
  const logs: string[] = [];
  const deps: LookupServiceDeps = {
    now: options.now ?? Date.now,
    log: (level, message, fields) => logs.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`),
    openFeed: async (_config, filename): Promise<FeedInput> => {
      const text = options.extraFeeds?.get(filename) ?? EMBEDDED_FEEDS.get(filename);
      if (text === undefined) throw new Error(`no such feed: ${filename}`);
      return text;
    },
    ...(options.reloadConfig ? { reloadConfig: options.reloadConfig } : {}),
    ...(options.slowEventMs !== undefined ? { slowEventMs: options.slowEventMs } : {}),
    ...(options.retroFlushMs !== undefined ? { retroFlushMs: options.retroFlushMs } : {}),
    ...(options.pongLine ? { pongLine: options.pongLine } : {}),
  };
  const service = await startLookupService(config, deps);
  return Object.assign(service, { logs, [Symbol.asyncDispose]: () => service.close() });
}

/**
 * Opens a connection, writes `chunks` one write each (waiting for the socket to take each),
 * then reads until `finishedCount` lines containing LookupFinished arrived (or the peer closed).
 */
export async function converse(port: number, chunks: readonly (string | Uint8Array)[], finishedCount: number, host = "127.0.0.1"): Promise<string[]> {
  const socket = createConnection({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setNoDelay(true);
  const lines: string[] = [];
  const done = readLinesUntil(socket, lines, finishedCount);
  for (const chunk of chunks) await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
  await done;
  socket.destroy();
  return lines;
}

function readLinesUntil(socket: Socket, lines: string[], finishedCount: number): Promise<void> {
  return new Promise((resolve) => {
    let carry = "";
    let finished = 0;
    if (finishedCount === 0) return resolve();
    socket.on("data", (chunk: Buffer) => {
      const parts = (carry + chunk.toString("utf8")).split("\n");
      carry = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line.includes("LookupFinished") || line === "PONG") finished++;
      }
      if (finished >= finishedCount) resolve();
    });
    socket.once("close", () => resolve());
  });
}

/** A TCP listener standing in for a SIEM: collects every line it receives. */
export interface LineCollector extends AsyncDisposable {
  readonly port: number;
  readonly lines: string[];
  /** Resolves once `predicate(lines)` holds (checked on every arrival). */
  until(predicate: (lines: readonly string[]) => boolean): Promise<void>;
  /** Stops listening and drops its connections. */
  stop(): Promise<void>;
}

/**
 * Listens on `port` (0: a free one). With `onLine`, each line goes to it instead of being kept
 * in `lines` (a million-line run need not hold them); `until` still fires on every arrival.
 */
export async function startCollector(port = 0, onLine?: (line: string) => void): Promise<LineCollector> {
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    let carry = "";
    // setEncoding: a UTF-8 character split across two chunks is decoded whole.
    socket.setEncoding("utf8").on("data", (text: string) => {
      const parts = (carry + text).split("\n");
      carry = parts.pop()!;
      if (onLine) for (const line of parts) onLine(line);
      else lines.push(...parts);
      for (const wake of waiters.splice(0)) wake();
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port }, resolve));
  const bound = (server.address() as { port: number }).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return {
    port: bound,
    lines,
    until: async (predicate) => {
      while (!predicate(lines)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
