/**
 * The liveness probe: `X-KF-ReplyBackPING` in, `PONG` out (spec §2.2, §7.3), for the watchdog
 * and for the scanner's wait for the service (which also wants the reason of a failure).
 */

import { connect as netConnect } from "node:net";
import { buildPreamble, PING_PREAMBLE } from "./preamble.ts";

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
 * Ours: a PING that also asks for finished events gets the service's facts on its PONG line
 * (`PONG feeds=14 indicators=18 demo_indicators=18`, src/protocol/ping_facts.ts). Other services
 * answer a plain PONG, which clients search for as a substring (spec §2.2): safe to send anywhere.
 */
export const FACTS_PING = buildPreamble({ sendFinished: true, replyBack: true, ping: true });
/**
 * Sends the health probe (`preamble`, by default the plain PING; a service behind PROXY protocol
 * needs a header before it) on a new connection and resolves true once the reply contains
 * `PONG`; false on a connection error, a close without `PONG`, `timeoutMs` passing, or
 * `signal` aborting. Never rejects. The connection is closed either way, since the spec does
 * not say whether the service keeps it open after `PONG` (§9 item 8).
 *
 * @example Probe a local service
 * ```ts
 * const alive = await probeService(tcpProbeConnect({ host: "127.0.0.1", port: 9999 }), 5000);
 * ```
 */
export async function probeService(connect: ProbeConnect, timeoutMs: number, signal?: AbortSignal, preamble = PING_PREAMBLE): Promise<boolean> {
  return (await probe(connect, timeoutMs, signal, preamble, false)).ok;
}

/** What one probe found: the line holding `PONG`, or why there was none. */
export type ProbeResult = { readonly ok: true; readonly line: string } | { readonly ok: false; readonly reason: string };

/**
 * Sends `preamble` (by default the plain PING) and resolves with the whole PONG line (read up
 * to its newline, or to the close), or with why the service did not answer: the connection
 * error, a close without PONG, the timeout, an abort. Never rejects.
 *
 * @example Why does the service not answer?
 * ```ts
 * const result = await probeServiceLine(tcpProbeConnect({ host: "127.0.0.1", port: 9999 }), 5000);
 * if (!result.ok) console.error(result.reason); // "connect ECONNREFUSED 127.0.0.1:9999"
 * ```
 */
export function probeServiceLine(connect: ProbeConnect, timeoutMs: number, signal?: AbortSignal, preamble = PING_PREAMBLE): Promise<ProbeResult> {
  return probe(connect, timeoutMs, signal, preamble, true);
}

function probe(connect: ProbeConnect, timeoutMs: number, signal: AbortSignal | undefined, preamble: string, wholeLine: boolean): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    if (signal?.aborted) return resolve({ ok: false, reason: "interrupted" });
    let socket: ProbeSocket | undefined;
    let settled = false;
    let reply = "";
    const decoder = new TextDecoder();
    const pongLine = (): string | undefined => {
      const at = reply.indexOf("PONG");
      if (at < 0) return undefined;
      const end = reply.indexOf("\n", at);
      return reply.slice(reply.lastIndexOf("\n", at) + 1, end < 0 ? undefined : end).replace(/\r$/, "");
    };
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket?.destroy();
      resolve(result);
    };
    // A PONG without its newline still counts when the wait ends.
    const ended = (reason: string): void => {
      const line = pongLine();
      finish(line === undefined ? { ok: false, reason } : { ok: true, line });
    };
    const onAbort = (): void => ended("interrupted");
    const timer = setTimeout(() => ended(`no PONG within ${timeoutMs} ms`), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      socket = connect();
    } catch (error) {
      return finish({ ok: false, reason: (error as Error).message });
    }
    socket.on("data", (chunk) => {
      reply += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      // Keep only a short tail while waiting for PONG (it may arrive split across reads); the
      // rest of its line is short.
      if (!reply.includes("PONG")) reply = reply.slice(-64);
      else if (!wholeLine || reply.indexOf("\n", reply.indexOf("PONG")) >= 0) ended("");
      else if (reply.length > 4096) ended("");
    });
    socket.on("error", (error) => ended(error.message));
    socket.on("close", () => ended("the service closed the connection without PONG"));
    socket.write(preamble);
  });
}

/** Where the service listens: TCP host and port, or a Unix socket path. */
export type ProbeAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/** The production connection factory for `probeService`, over `node:net`. */
export function tcpProbeConnect(address: ProbeAddress): ProbeConnect {
  return () => netConnect(address);
}
