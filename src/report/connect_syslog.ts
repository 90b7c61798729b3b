/** Opens a syslog connection over TCP (newline framing) or UDP (one datagram per message). */
import { createSocket } from "node:dgram";
import { createConnection, isIP } from "node:net";

/** Where `--send` delivers. */
export interface SyslogTarget {
  readonly protocol: "tcp" | "udp";
  readonly host: string;
  readonly port: number;
}

/** An open connection; `write` resolves once the line is handed to the OS, rejects when it cannot be. */
export interface SyslogConnection {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

/** The connect step, injectable so tests can make it fail. */
export type ConnectSyslog = (target: SyslogTarget) => Promise<SyslogConnection>;

/** Parses `tcp://host:port` or `udp://host:port` (IPv6 in brackets); throws a TypeError naming the problem. */
export function parseSyslogTarget(text: string): SyslogTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`--send must be tcp://host:port or udp://host:port: got "${text}"`);
  }
  const protocol = url.protocol.slice(0, -1);
  const port = Number(url.port);
  if ((protocol !== "tcp" && protocol !== "udp") || url.hostname === "" || !Number.isInteger(port) || port < 1 || port > 65535 || url.port === "") {
    throw new TypeError(`--send must be tcp://host:port or udp://host:port: got "${text}"`);
  }
  return { protocol, host: url.hostname.replace(/^\[|\]$/g, ""), port };
}

/**
 * The real connect: node:net for TCP, node:dgram for UDP.
 *
 * @example Usage
 * ```ts
 * import { connectSyslog } from "./connect_syslog.ts";
 * const c = await connectSyslog({ protocol: "tcp", host: "127.0.0.1", port: 514 });
 * await c.write("<12>1 - - ioclens - - - hello");
 * await c.close();
 * ```
 */
export const connectSyslog: ConnectSyslog = (target) => (target.protocol === "tcp" ? connectTcp(target) : connectUdp(target));

function connectTcp({ host, port }: SyslogTarget): Promise<SyslogConnection> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let failure: Error | undefined;
    const onConnectError = (e: Error) => reject(e);
    socket.once("error", onConnectError);
    socket.once("connect", () => {
      socket.off("error", onConnectError);
      socket.on("error", (e) => {
        failure = e;
      });
      socket.on("close", () => {
        failure ??= new Error("Connection closed by the receiver");
      });
      resolve({
        write: (line) =>
          new Promise<void>((ok, fail) => {
            if (failure !== undefined || socket.destroyed) return fail(failure ?? new Error("Connection closed by the receiver"));
            socket.write(line + "\n", (e) => (e ? fail(e) : ok()));
          }),
        close: () =>
          new Promise<void>((ok) => {
            if (socket.destroyed) return ok();
            socket.once("close", () => ok());
            socket.end();
          }),
      });
    });
  });
}

function connectUdp({ host, port }: SyslogTarget): Promise<SyslogConnection> {
  const socket = createSocket(isIP(host) === 6 ? "udp6" : "udp4");
  return Promise.resolve({
    write: (line) => new Promise<void>((ok, fail) => socket.send(line, port, host, (e) => (e ? fail(e) : ok()))),
    close: () => new Promise<void>((ok) => socket.close(() => ok())),
  });
}
