/**
 * Delivers detection and alert lines to the configured target (OutputSettings >
 * ConnectionString): one persistent TCP connection, UDP datagrams, or a file.
 *
 * While the target is down, lines wait in a bounded queue and go out, in order, when it returns;
 * past the bound new lines are dropped and counted (never silently). Reconnects are tried every
 * EventSendingRetriesTimeout seconds; after EventSendingRetriesCount failed attempts in a row the
 * target is reported down once (`onDown`), and retrying goes on at the same pace (docs/protocol.md).
 */
import { createConnection, type Socket } from "node:net";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Endpoint } from "./parse_endpoint.ts";
import { formatEndpoint } from "./parse_endpoint.ts";

export interface OutputSinkOptions {
  readonly queueLimit: number;
  readonly retriesCount: number;
  readonly retryDelayMs: number;
  /** Called for every dropped line, with the running total (callers rate-limit what they report). */
  readonly onDrop?: (droppedTotal: number) => void;
  /** Called after lines were handed to the target: the queue has room again. */
  readonly onSent?: () => void;
  readonly onDown?: (reason: string) => void;
  readonly onUp?: () => void;
  readonly log?: (level: "info" | "warn" | "error", message: string) => void;
}

export interface OutputSinkStats {
  readonly queueDepth: number;
  readonly queueLimit: number;
  readonly sent: number;
  readonly dropped: number;
  readonly connected: boolean;
}

/** Lines written in one socket write, at most: keeps memory and latency bounded under load. */
const BATCH_LINES = 512;

export class OutputSink {
  readonly #endpoint: Endpoint;
  readonly #options: OutputSinkOptions;
  /** Ring buffer: plain array with a head index, compacted when half is consumed. */
  #queue: string[] = [];
  #head = 0;
  #sent = 0;
  #dropped = 0;
  #socket: Socket | undefined;
  #udp: UdpSocket | undefined;
  #connecting = false;
  #flushing = false;
  #closed = false;
  #failures = 0;
  #reportedDown = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(endpoint: Endpoint, options: OutputSinkOptions) {
    this.#endpoint = endpoint;
    this.#options = options;
  }

  /** Queues one line (without its newline). Never blocks; drops and counts past the bound. */
  send(line: string): void {
    if (this.#closed) {
      this.#drop();
      return;
    }
    if (this.#queue.length - this.#head >= this.#options.queueLimit) {
      this.#drop();
      return;
    }
    this.#queue.push(line);
    this.#pump();
  }

  stats(): OutputSinkStats {
    return {
      queueDepth: this.#queue.length - this.#head,
      queueLimit: this.#options.queueLimit,
      sent: this.#sent,
      dropped: this.#dropped,
      connected: this.#endpoint.kind !== "tcp" && this.#endpoint.kind !== "unix" && this.#endpoint.kind !== "pipe" ? true : this.#socket !== undefined,
    };
  }

  /**
   * Resolves when the queue is empty (or after `timeoutMs`), then closes the connection. A target
   * that is down is not waited for: what is still queued is counted as dropped.
   */
  async close(timeoutMs = 5000): Promise<void> {
    const reachable = this.#endpoint.kind === "udp" || this.#endpoint.kind === "file" || (this.#socket !== undefined && !this.#reportedDown);
    if (this.#queue.length > this.#head && reachable) {
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref?.()),
      ]);
    }
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const left = this.#queue.length - this.#head;
    if (left > 0) {
      this.#dropped += left;
      this.#options.log?.("warn", `${left} queued lines were not delivered before stopping: ${formatEndpoint(this.#endpoint)} is unreachable`);
      this.#queue = [];
      this.#head = 0;
    }
    this.#socket?.end();
    this.#socket = undefined;
    this.#udp?.close();
    this.#udp = undefined;
  }

  #drop(): void {
    this.#dropped++;
    this.#options.onDrop?.(this.#dropped);
  }

  #pump(): void {
    if (this.#flushing || this.#closed) return;
    switch (this.#endpoint.kind) {
      case "file":
        void this.#flushFile(this.#endpoint.path);
        return;
      case "udp":
        this.#flushUdp(this.#endpoint.host, this.#endpoint.port);
        return;
      default:
        if (this.#socket) this.#flushSocket(this.#socket);
        else this.#connect();
    }
  }

  #take(): string[] {
    const end = Math.min(this.#queue.length, this.#head + BATCH_LINES);
    const batch = this.#queue.slice(this.#head, end);
    return batch;
  }

  #consume(count: number): void {
    this.#head += count;
    this.#sent += count;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#options.onSent?.();
  }

  #flushSocket(socket: Socket): void {
    if (this.#queue.length === this.#head) return;
    this.#flushing = true;
    const batch = this.#take();
    // Lines are consumed only once the kernel took them: a write that fails leaves them queued.
    socket.write(batch.join("\n") + "\n", (error) => {
      this.#flushing = false;
      if (error || socket !== this.#socket) return;
      this.#consume(batch.length);
      this.#pump();
    });
  }

  #connect(): void {
    if (this.#connecting || this.#closed) return;
    this.#connecting = true;
    const endpoint = this.#endpoint;
    const socket =
      endpoint.kind === "tcp"
        ? createConnection({ host: endpoint.host, port: endpoint.port })
        : createConnection({ path: (endpoint as { path: string }).path });
    socket.setNoDelay(true);
    const onError = (error: Error) => this.#lost(socket, error.message);
    socket.once("error", onError);
    socket.once("connect", () => {
      this.#connecting = false;
      this.#socket = socket;
      this.#failures = 0;
      if (this.#reportedDown) {
        this.#reportedDown = false;
        this.#options.log?.("info", `output target ${formatEndpoint(endpoint)} is reachable again`);
        this.#options.onUp?.();
      }
      // The target never talks back; reading only tells us when it goes away.
      socket.on("data", () => {});
      socket.once("close", () => this.#lost(socket, "connection closed"));
      socket.once("end", () => socket.destroy());
      this.#pump();
    });
  }

  #lost(socket: Socket, reason: string): void {
    socket.destroy();
    const wasConnected = this.#socket === socket;
    if (wasConnected) this.#socket = undefined;
    this.#connecting = false;
    this.#flushing = false;
    if (this.#closed) return;
    if (!wasConnected) this.#failures++;
    if (this.#failures > this.#options.retriesCount && !this.#reportedDown) {
      this.#reportedDown = true;
      this.#options.log?.("warn", `output target ${formatEndpoint(this.#endpoint)} is down: ${reason}; queueing up to ${this.#options.queueLimit} lines`);
      this.#options.onDown?.(reason);
    }
    if (this.#retryTimer) return;
    const delay = wasConnected ? 0 : this.#options.retryDelayMs;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#queue.length > this.#head) this.#connect();
    }, delay);
    this.#retryTimer.unref?.();
  }

  #flushUdp(host: string, port: number): void {
    if (!this.#udp) {
      this.#udp = createSocket(host.includes(":") ? "udp6" : "udp4");
      this.#udp.on("error", (error) => this.#options.log?.("warn", `udp output: ${error.message}`));
      this.#udp.unref();
    }
    const udp = this.#udp;
    while (this.#queue.length > this.#head) {
      const line = this.#queue[this.#head]!;
      udp.send(line + "\n", port, host);
      this.#consume(1);
    }
  }

  async #flushFile(path: string): Promise<void> {
    this.#flushing = true;
    try {
      await mkdir(dirname(path), { recursive: true });
      while (this.#queue.length > this.#head && !this.#closed) {
        const batch = this.#take();
        await appendFile(path, batch.join("\n") + "\n");
        this.#consume(batch.length);
      }
    } catch (error) {
      this.#options.log?.("error", `file output ${path}: ${(error as Error).message}`);
      this.#flushing = false;
      if (!this.#retryTimer) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#pump();
        }, this.#options.retryDelayMs);
        this.#retryTimer.unref?.();
      }
      return;
    }
    this.#flushing = false;
  }
}
