/**
 * Shared pieces of the client-compatibility suite: `ioclens serve` as a real process on the
 * embedded config (ports moved to free ones, detections to a SIEM listener we run), a TCP relay
 * that counts what the service sends back to a client we cannot read from (rsyslog, syslog-ng),
 * and waits that give up with what was seen so far.
 */
import { writeFile } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import type { ServiceStatus } from "../../src/service/service_status.ts";
import { freePort, pong, spawnIoclens, waitFor, type Child } from "../_support/child_processes.ts";
import { startCollector } from "../_support/test_service.ts";

/**
 * Resolves with `promise`, or rejects after `limitMs` with `what()` (evaluated then, so it can
 * say how far things got). Every wait in this suite has such a limit: a test never hangs.
 */
export async function within<T>(limitMs: number, promise: Promise<T>, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${limitMs} ms: ${what()}`)), limitMs)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `text` (the embedded config unless given) with every `[from, to]` replacement applied; each
 * must hit, so a changed default config fails here, naming the text it no longer has.
 */
export function editedConfig(replacements: readonly (readonly [string, string])[], text = DEFAULT_SERVICE_CONFIG_TEXT): string {
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`Embedded config has changed: expected it to contain ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

/** A running `ioclens serve` process (with its watchdog) on the embedded config. */
export interface ServeProcess extends AsyncDisposable {
  readonly port: number;
  readonly statusPort: number;
  readonly child: Child;
  /** GET /status; fails the test when the endpoint does not answer. */
  status(): Promise<ServiceStatus>;
}

/**
 * Starts `bun src/main.ts serve -c CONF` with the embedded config: events on a free port,
 * /status on another, detections, finished events and alerts to 127.0.0.1:`outputPort`.
 * Resolves once the event port answers PING. Disposing sends SIGTERM and waits for the exit;
 * `killChildren` (afterEach) SIGKILLs whatever is left.
 */
export async function startServe(dir: string, outputPort: number): Promise<ServeProcess> {
  const [port, statusPort] = [await freePort(), await freePort()];
  const config = join(dir, "kl_feed_service.conf");
  await writeFile(
    config,
    editedConfig([
      ["<ConnectionString>127.0.0.1:9999</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`],
      ["<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${outputPort}</ConnectionString>`],
      ["<Listen>127.0.0.1:9997</Listen>", `<Listen>127.0.0.1:${statusPort}</Listen>`],
    ]),
  );
  const child = spawnIoclens(["serve", "-c", config]);
  await waitFor(async () => {
    if (child.code() !== undefined) throw new Error(`ioclens serve exited ${child.code()}: ${child.stderr()}`);
    return pong(port);
  }, "ioclens serve to answer PING", 30_000, 100);
  const status = async (): Promise<ServiceStatus> => {
    const response = await fetch(`http://127.0.0.1:${statusPort}/status`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`GET /status: found HTTP ${response.status}, expected 200`);
    return (await response.json()) as ServiceStatus;
  };
  return {
    port,
    statusPort,
    child,
    status,
    [Symbol.asyncDispose]: async () => {
      if (child.code() !== undefined) return;
      child.process.kill("SIGTERM");
      await within(30_000, child.exited, () => `ioclens serve to exit after SIGTERM; stderr: ${child.stderr().slice(-2000)}`);
    },
  };
}

/** A relay between a client and the service that counts the bytes flowing back to the client. */
export interface CountingRelay extends AsyncDisposable {
  readonly port: number;
  /** Bytes the service sent towards clients, over all connections. */
  readonly backBytes: number;
  /** Bytes clients sent towards the service. */
  readonly forwardBytes: number;
  /** Client connections accepted so far. */
  readonly connections: number;
  /** Client connections not yet closed. */
  readonly open: number;
}

/**
 * Listens on a free port; every client connection is relayed to `targetPort`, both ways, with
 * backpressure. What comes back is passed on to the client (so the relay changes nothing) and
 * counted: for a forwarder that never reads its socket, that count must stay 0.
 */
export async function startCountingRelay(targetPort: number): Promise<CountingRelay> {
  let backBytes = 0;
  let forwardBytes = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    clients.add(client);
    client.once("close", () => clients.delete(client));
    const service = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const socket of [client, service]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.once("close", () => service.destroy());
    service.once("close", () => client.destroy());
    client.on("data", (chunk: Buffer) => (forwardBytes += chunk.length));
    service.on("data", (chunk: Buffer) => (backBytes += chunk.length));
    client.pipe(service);
    service.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get backBytes() {
      return backBytes;
    },
    get forwardBytes() {
      return forwardBytes;
    },
    get connections() {
      return connections;
    },
    get open() {
      return clients.size;
    },
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * What reached the SIEM listener, tallied line by line without keeping the lines (a 1 M-line run
 * sends a million finished events). Default formats: detections carry `matchedIndicator=`,
 * finished events `alert=LookupFinished sent_events=N`, service alerts `alert=KL_ALERT_…`.
 */
export class OutputTally {
  /** Finished events so far; the n-th one closes input line n (from 1). */
  finished = 0;
  /** Sum of the finished events' sent_events. */
  sentEvents = 0;
  /** Each detection as `<line>:<matched indicator>`, the line being the one its finished event closes. */
  readonly detections: string[] = [];
  readonly alerts: string[] = [];
  /** Lines of none of the three kinds (the first 10). */
  readonly unknown: string[] = [];

  add(line: string): void {
    if (line.includes("alert=LookupFinished")) {
      this.finished++;
      this.sentEvents += Number(/ sent_events=(\d+)/.exec(line)?.[1] ?? Number.NaN);
      return;
    }
    const alert = / alert=(KL_ALERT_\w+)/.exec(line)?.[1];
    if (alert !== undefined) return void this.alerts.push(alert);
    const indicator = / matchedIndicator=(\S+)/.exec(line)?.[1];
    if (indicator !== undefined) return void this.detections.push(`${this.finished + 1}:${indicator}`);
    if (this.unknown.length < 10) this.unknown.push(line);
  }

  toString(): string {
    const alerts = new Map<string, number>();
    for (const alert of this.alerts) alerts.set(alert, (alerts.get(alert) ?? 0) + 1);
    return `${this.finished} finished events, ${this.detections.length} detections, alerts ${[...alerts].map(([a, n]) => `${a} x${n}`).join(", ")}`;
  }
}

/** A SIEM listener that tallies every line it receives (see OutputTally). */
export interface TallyListener extends AsyncDisposable {
  readonly port: number;
  readonly tally: OutputTally;
  /** Resolves once `predicate(tally)` holds; checked after every chunk that arrives. */
  until(predicate: (tally: OutputTally) => boolean): Promise<void>;
}

export async function startTallyListener(): Promise<TallyListener> {
  const tally = new OutputTally();
  const collector = await startCollector(0, (line) => tally.add(line));
  return {
    port: collector.port,
    tally,
    until: (predicate) => collector.until(() => predicate(tally)),
    [Symbol.asyncDispose]: () => collector.stop(),
  };
}

/** What a forwarding run left behind, as one object for one `toEqual` against {@link cleanOutcome}. */
export function forwardingOutcome(bytesBack: number, tally: OutputTally, status: ServiceStatus) {
  return {
    bytesBack,
    finished: tally.finished,
    detections: tally.detections,
    sentEvents: tally.sentEvents,
    unknown: tally.unknown,
    events: status.events.total,
    dropped: status.events.dropped,
    outputDropped: status.output.dropped,
  };
}

/** A run of `lines` input lines whose detections are `expected`: nothing back, nothing lost. */
export function cleanOutcome(lines: number, expected: readonly string[]): ReturnType<typeof forwardingOutcome> {
  return { bytesBack: 0, finished: lines, detections: [...expected], sentEvents: expected.length, unknown: [], events: lines, dropped: 0, outputDropped: 0 };
}
