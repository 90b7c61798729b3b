/**
 * The watchdog's liveness probe: `X-KF-ReplyBackPING` in, `PONG` out (spec §2.2, §7.3).
 */

import { connect as netConnect } from "node:net";
import { PING_PREAMBLE } from "./preamble.ts";

/** The part of a `node:net` Socket the probe uses. */
export interface ProbeSocket {
  write(data: string): unknown;
  on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  destroy(): unknown;
}

/** Opens a fresh connection to the service's event port. */
export type ProbeConnect = () => ProbeSocket;


/**
 * Sends the health probe on a new connection and resolves true once the reply contains
 * `PONG`; false on a connection error, a close without `PONG`, `timeoutMs` passing, or
 * `signal` aborting. Never rejects. The connection is closed either way, since the spec does
 * not say whether the service keeps it open after `PONG` (§9 item 8).
 *
 * @example Probe a local service
 * ```ts
 * const alive = await probeService(tcpProbeConnect({ host: "127.0.0.1", port: 9999 }), 5000);
 * ```
 */
export function probeService(connect: ProbeConnect, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (signal?.aborted) return resolve(false);
    let socket: ProbeSocket | undefined;
    let settled = false;
    let reply = "";
    const decoder = new TextDecoder();
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket?.destroy();
      resolve(ok);
    };
    const onAbort = (): void => finish(false);
    const timer = setTimeout(onAbort, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      socket = connect();
    } catch {
      return finish(false);
    }
    socket.on("data", (chunk) => {
      // Keep only a short tail: PONG may arrive split across reads.
      reply = (reply + (typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }))).slice(-64);
      if (reply.includes("PONG")) finish(true);
    });
    socket.on("error", () => finish(false));
    socket.on("close", () => finish(false));
    socket.write(PING_PREAMBLE);
  });
}

/** Where the service listens: TCP host and port, or a Unix socket path. */
export type ProbeAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/** The production connection factory for `probeService`, over `node:net`. */
export function tcpProbeConnect(address: ProbeAddress): ProbeConnect {
  return () => netConnect(address);
}
