/**
 * The event connections of the lookup service: admission under MaxConnections, the preamble,
 * a scanner slot per data connection (PING needs none), idle-slot eviction while others wait,
 * and the drain at stop (docs/operations.md). Socket-agnostic: the listener hands sockets in.
 */
import type { ConnectionLimits } from "../config/types.ts";
import type { Logger } from "./logger.ts";
import { pongFor } from "../protocol/ping_facts.ts";
import { PreambleParser, type Preamble } from "../protocol/preamble.ts";
import { normalizePeerIp } from "./extract.ts";
import { ProxyGate } from "./_proxy_gate.ts";
import { Session, type SessionHost, type SessionSocket } from "./session.ts";
import type { SlotPool } from "./slot_pool.ts";

/** What a connection needs of its socket beyond a session's: a `node:net` Socket is one. */
export interface ConnectionSocket extends SessionSocket {
  readonly remoteAddress?: string | undefined;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  off(event: "end", listener: () => void): unknown;
  once(event: "end" | "close" | "drain", listener: () => void): unknown;
  end(callback?: () => void): unknown;
  end(chunk: string): unknown;
}

/** The counters connections add to (the service's, shown in /status). */
export interface ConnectionCounters {
  refused: number;
  evicted: number;
  dropped: number;
  /** Closed by the PROXY protocol rule (ServiceSettings > ProxyProtocol). */
  proxyRefused: number;
}

/** Everything the connections touch. */
export interface ConnectionsDeps {
  now(): number;
  readonly log: Logger;
  /** MaxConnections (already lowered below the open-file limit), IdleTimeout, StopDrainTimeout. */
  readonly limits: ConnectionLimits;
  /** ScannersCount as slots: one per data connection. */
  readonly pool: SlotPool;
  readonly host: SessionHost;
  readonly counters: ConnectionCounters;
  /** The PONG line for a PING with X-KF-SendFinishedEvent; without it, a plain PONG. */
  readonly pongLine?: (() => string) | undefined;
  /**
   * Answers a PING in place of `pongLine` when the answer is not known at once (a worker thread
   * asks every other worker first): the line, or undefined to close without a PONG.
   */
  readonly answerPing?: ((facts: boolean) => Promise<string | undefined>) | undefined;
}

/**
 * Tracks open sockets and their sessions.
 *
 * @example
 * ```ts
 * const connections = new Connections({ now: Date.now, log, limits, pool, host, counters });
 * const server = createServer((socket) => connections.accept(socket));
 * // at stop:
 * connections.stopAccepting();
 * await connections.drain();
 * ```
 */
export class Connections {
  readonly #deps: ConnectionsDeps;
  readonly #sockets = new Set<ConnectionSocket>();
  /** The sockets that got a scanner slot, and their sessions. */
  readonly #sessions = new Map<ConnectionSocket, Session>();
  readonly #idleTimer: ReturnType<typeof setInterval> | undefined;
  #closing = false;
  #refusedLogged = 0;
  #outputHeld = false;

  constructor(deps: ConnectionsDeps) {
    this.#deps = deps;
    const idleSeconds = deps.limits.idleTimeoutSeconds;
    this.#idleTimer = idleSeconds > 0 ? setInterval(() => deps.pool.waiting > 0 && this.#evictIdle(), Math.max(50, (idleSeconds * 1000) / 4)) : undefined;
    this.#idleTimer?.unref?.();
  }

  /** Open sockets, sessions or not. */
  get open(): number {
    return this.#sockets.size;
  }

  /** A new connection: refused above MaxConnections, else its preamble is read. */
  accept(socket: ConnectionSocket): void {
    const { counters, limits, log } = this.#deps;
    socket.on("error", (error) => log("debug", `connection: ${error.message}`));
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.#sockets.size >= limits.max) {
      // Refused at once, so idle connections cannot use up the worker's file descriptors.
      counters.refused++;
      if (counters.refused >= this.#refusedLogged * 2) {
        this.#refusedLogged = counters.refused;
        log("warn", `connection refused: ${this.#sockets.size} open, ServiceSettings > MaxConnections is ${limits.max}; ${counters.refused} refused so far`);
      }
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    // The PROXY header, if any, comes before the preamble; it may change the peer's address.
    const gate = new ProxyGate(limits.proxyProtocol, socket.remoteAddress ? normalizePeerIp(socket.remoteAddress) : undefined);
    const parser = new PreambleParser();
    const refuse = (why: string) => {
      // Bun still emits "end" after destroy: a refused socket must not go on to a session.
      socket.off("data", onPreambleData);
      socket.off("end", onPreambleEnd);
      this.#refuseProxy(socket, why);
    };
    const onPreambleData = (chunk: Uint8Array) => {
      const passed = gate.push(chunk);
      if (passed === undefined) return;
      if ("refused" in passed) return refuse(passed.refused);
      const decided = parser.push(passed.bytes);
      if (decided) {
        socket.off("data", onPreambleData);
        socket.off("end", onPreambleEnd);
        this.#startSession(socket, decided, gate.peerIp);
      }
    };
    const onPreambleEnd = () => {
      socket.off("data", onPreambleData);
      const passed = gate.end();
      if ("refused" in passed) return refuse(passed.refused);
      const decided = passed.bytes.length > 0 ? parser.push(passed.bytes) : undefined;
      this.#startSession(socket, decided ?? parser.end(), gate.peerIp);
    };
    socket.on("data", onPreambleData);
    socket.once("end", onPreambleEnd);
  }

  /**
   * Holds (`true`) or releases the input of every session whose lines go to the configured
   * output, sessions started later included: worker threads while the main thread's output queue
   * is backed up.
   */
  holdOutputSessions(on: boolean): void {
    this.#outputHeld = on;
    for (const session of this.#sessions.values()) if (session.routesToOutput) session.hold(on);
  }

  /** New connections are closed at once from now on; the idle eviction stops. */
  stopAccepting(): void {
    this.#closing = true;
    if (this.#idleTimer) clearInterval(this.#idleTimer);
  }

  /**
   * Stops accepting, closes `listener` (the server whose connections these are) and drains
   * (see {@link drain}); resolves once the listener is closed and every connection has ended.
   */
  async shutDown(listener: { close(callback: () => void): unknown }): Promise<void> {
    this.stopAccepting();
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    await this.drain();
    await closed;
  }

  /**
   * The stop sequence: connections without a session close now; each session closes once it
   * holds no partial line and no unwritten answer; at StopDrainTimeout the rest are closed and
   * their partial lines counted as dropped. Clients that never close their side (SIEM
   * forwarders) no longer keep the worker alive until the watchdog's SIGKILL.
   */
  async drain(): Promise<void> {
    const { limits, log } = this.#deps;
    for (const socket of this.#sockets) if (!this.#sessions.has(socket)) socket.destroy();
    const drained = Promise.all([...this.#sessions.values()].map((s) => s.stop()));
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(true), limits.drainTimeoutSeconds * 1000))),
    ]);
    clearTimeout(deadline);
    if (timedOut) {
      log("warn", `stop: ${this.#sessions.size} connection(s) still busy after ServiceSettings > StopDrainTimeout ${limits.drainTimeoutSeconds} s: closing them`);
      for (const session of this.#sessions.values()) if (session.abort()) this.#dropPartialLine("the service stopped");
      for (const socket of this.#sockets) socket.destroy();
    }
  }

  #startSession(socket: ConnectionSocket, preamble: Preamble, peerIp: string | undefined): void {
    const { pool, host, pongLine, answerPing } = this.#deps;
    if (preamble.ping && answerPing !== undefined) {
      void answerPing(preamble.sendFinished).then((line) => (line === undefined ? socket.destroy() : socket.end(`${line}\n`)));
      return;
    }
    if (preamble.ping) {
      // The health probe needs no scanner slot: it is the one ScannersCount keeps free.
      socket.end(`${pongFor(preamble.sendFinished, pongLine)}\n`);
      return;
    }
    socket.pause();
    const abort = new AbortController();
    socket.once("close", () => abort.abort());
    pool.acquire(abort.signal).then(
      (release) => {
        socket.once("close", release);
        if (this.#closing) return void socket.destroy();
        const session = new Session(socket, preamble, peerIp, host);
        this.#sessions.set(socket, session);
        if (this.#outputHeld && session.routesToOutput) session.hold(true);
        socket.once("close", () => {
          this.#sessions.delete(socket);
          if (session.abort()) this.#dropPartialLine("the connection closed");
        });
      },
      () => socket.destroy(),
    );
    if (pool.waiting > 0) this.#evictIdle();
  }

  /** A PROXY header where none is allowed, or none (or a bad one) where one is required. */
  #refuseProxy(socket: ConnectionSocket, why: string): void {
    const { counters, log } = this.#deps;
    counters.proxyRefused++;
    log("warn", `${why}; ${counters.proxyRefused} refused so far`);
    socket.destroy();
  }

  #dropPartialLine(why: string): void {
    const { counters, log } = this.#deps;
    counters.dropped++;
    log("warn", `a partial line was dropped: ${why} before its end of line; ${counters.dropped} dropped so far`);
  }

  /**
   * Idle-slot timeout (issue 12 #8): while clients wait for a slot, a session that has sent
   * nothing for IdleTimeout seconds gives its slot up — the longest idle first. Without waiters
   * an idle connection is left alone (a forwarder may be quiet for hours).
   */
  #evictIdle(): void {
    const { limits, pool, counters, log } = this.#deps;
    const idleMs = limits.idleTimeoutSeconds * 1000;
    if (idleMs <= 0) return;
    const now = this.#deps.now();
    const idle = [...this.#sessions.values()].filter((s) => now - s.lastActive >= idleMs && !s.socket.destroyed).sort((a, b) => a.lastActive - b.lastActive);
    for (const session of idle.slice(0, pool.waiting)) {
      counters.evicted++;
      log("warn", `idle connection closed: it sent nothing for ${Math.round((now - session.lastActive) / 1000)} s (ServiceSettings > IdleTimeout ${limits.idleTimeoutSeconds} s) while ${pool.waiting} waited for a scanner; ${counters.evicted} closed so far`);
      if (session.abort()) this.#dropPartialLine("its connection was closed as idle");
    }
  }
}
