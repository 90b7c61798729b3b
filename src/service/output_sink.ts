/**
 * Delivers detection and alert lines to the configured target (OutputSettings >
 * ConnectionString): one persistent TCP connection, UDP datagrams, or a file.
 *
 * While the target is down, lines wait in a bounded queue and go out, in order, when it returns;
 * past the bound new lines are dropped and counted (never silently). Reconnects are tried every
 * EventSendingRetriesTimeout seconds; after EventSendingRetriesCount failed attempts in a row the
 * target is reported down once (`onDown`), and retrying goes on at the same pace (docs/protocol.md).
 *
 * A file target takes a batch in as many writes as the disk allows: a short write (a full disk)
 * is resumed where it stopped, so no line is written twice and none is cut in two; a file that
 * cannot be written is reported down at the first failure.
 */
import { createConnection, type Socket } from "node:net";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { Endpoint } from "../io/endpoint.ts";
import { formatEndpoint } from "../io/endpoint.ts";
import { concatBytes } from "../io/concat_bytes.ts";

/** What the file target needs of an append-mode file (a `node:fs/promises` FileHandle is one). */
export interface AppendFile {
  /** Writes up to `length` bytes from `offset` at the end of the file; may write fewer. */
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<{ size: number }>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens `path` for appending, creating its folder: the real file system. */
export async function openAppendFile(path: string): Promise<AppendFile> {
  await mkdir(dirname(path), { recursive: true });
  return open(path, "a");
}

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
  /** Opens a `file:` target; default {@link openAppendFile}. Tests pass a disk that fills up. */
  readonly openFile?: (path: string) => Promise<AppendFile>;
}

export interface OutputSinkStats {
  readonly queueDepth: number;
  readonly queueLimit: number;
  readonly sent: number;
  readonly dropped: number;
  /** TCP/Unix: connected; file: the last write succeeded; UDP: always true. */
  readonly connected: boolean;
  /** Why the target is down (retries exhausted, or the file cannot be written); absent when up. */
  readonly error?: string;
}

/** A batch on its way to a file: encoded once, written from `written` on. */
interface FileBatch {
  readonly bytes: Uint8Array;
  /** Offset just past each line's newline. */
  readonly lineEnds: readonly number[];
  written: number;
  /** Lines fully written (and consumed from the queue). */
  lines: number;
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
  #downReason = "";
  #file: AppendFile | undefined;
  #fileBatch: FileBatch | undefined;
  #fileError: string | undefined;
  #fileFlush: Promise<void> | undefined;
  /** Whether the target ever accepted a connection: if not, lines left at stop are no news (see close). */
  #everConnected = false;
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
    const kind = this.#endpoint.kind;
    const error = kind === "file" ? this.#fileError : this.#reportedDown ? this.#downReason : undefined;
    return {
      queueDepth: this.#queue.length - this.#head,
      queueLimit: this.#options.queueLimit,
      sent: this.#sent,
      dropped: this.#dropped,
      connected: kind === "udp" ? true : kind === "file" ? this.#fileError === undefined : this.#socket !== undefined,
      ...(error === undefined ? {} : { error }),
    };
  }

  /**
   * Resolves when the queue is empty (or after `timeoutMs`), then closes the connection. A target
   * that is down is not waited for: what is still queued is counted as dropped.
   */
  async close(timeoutMs = 5000): Promise<void> {
    const kind = this.#endpoint.kind;
    const reachable = kind === "udp" || (kind === "file" && this.#fileError === undefined) || (this.#socket !== undefined && !this.#reportedDown);
    if (this.#queue.length > this.#head && reachable) {
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref?.()),
      ]);
    }
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (kind === "file") await this.#closeFile();
    const left = this.#queue.length - this.#head;
    if (left > 0) {
      this.#dropped += left;
      // A connection target that never took a connection was reported when the service started
      // (and as down since); lines left for it are counted, and said without a second alarm. A
      // file is never "connected": lines it could not take (a full disk) stay a warning.
      if (this.#everConnected || kind === "file") this.#options.log?.("warn", `${left} queued lines were not delivered before stopping: ${formatEndpoint(this.#endpoint)} is unreachable`);
      else this.#options.log?.("info", `${left} queued lines dropped at stop: nothing listened there since the start`);
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
        // A failed file waits for its retry timer instead of failing again on every new line.
        if (!this.#retryTimer) this.#fileFlush = this.#flushFile(this.#endpoint.path);
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
      this.#everConnected = true;
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
      this.#downReason = reason;
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

  /**
   * Writes queued lines to the file, a batch at a time. The kernel may take part of a write (a
   * full disk): lines are consumed as their newline lands, and after a failure the same batch
   * goes on from the byte where it stopped, through the same handle, once the retry timer fires.
   * Before this, a failed batch was appended again whole: 409 duplicate lines and a line glued to
   * the next on a 4 MiB tmpfs that filled with 5,000 detections (test/reliability).
   */
  async #flushFile(path: string): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > this.#head && !this.#closed) {
        const batch = (this.#fileBatch ??= encodeBatch(this.#take()));
        const file = (this.#file ??= await (this.#options.openFile ?? openAppendFile)(path));
        while (batch.written < batch.bytes.length) {
          const { bytesWritten } = await file.write(batch.bytes, batch.written, batch.bytes.length - batch.written);
          if (bytesWritten <= 0) throw new Error(`the write was refused: wrote 0 of ${batch.bytes.length - batch.written} bytes`);
          batch.written += bytesWritten;
          if (this.#fileError !== undefined) this.#fileWritable();
          const before = batch.lines;
          while (batch.lines < batch.lineEnds.length && batch.lineEnds[batch.lines]! <= batch.written) batch.lines++;
          if (batch.lines > before) this.#consume(batch.lines - before);
          if (this.#closed) return;
        }
        this.#fileBatch = undefined;
        // Closed after each batch, as appendFile did: a file moved away by log rotation is let go.
        this.#file = undefined;
        await file.close();
      }
    } catch (error) {
      const message = (error as Error).message;
      // Mid-line, the handle stays open: the rest of the line must follow in the same file.
      if (this.#file && partialLineBytes(this.#fileBatch) === 0) {
        const file = this.#file;
        this.#file = undefined;
        await file.close().catch(() => {});
      }
      if (this.#fileError === undefined) {
        this.#options.log?.("error", `cannot be written: ${message}; queueing up to ${this.#options.queueLimit} lines, retrying every ${this.#options.retryDelayMs} ms`);
        this.#options.onDown?.(message);
      }
      this.#fileError = message;
      if (!this.#retryTimer && !this.#closed) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#pump();
        }, this.#options.retryDelayMs);
        this.#retryTimer.unref?.();
      }
    } finally {
      this.#flushing = false;
    }
  }

  #fileWritable(): void {
    this.#fileError = undefined;
    this.#options.log?.("info", "writable again");
    this.#options.onUp?.();
  }

  /** On stop: waits for a write in progress, then removes a line the disk cut short. */
  async #closeFile(): Promise<void> {
    await this.#fileFlush;
    const file = this.#file;
    this.#file = undefined;
    if (!file) return;
    const partial = partialLineBytes(this.#fileBatch);
    if (partial > 0) {
      try {
        const { size } = await file.stat();
        await file.truncate(size - partial);
        this.#options.log?.("warn", `removed the last ${partial} bytes, a line the full disk cut short`);
      } catch (error) {
        this.#options.log?.("error", `cannot remove a line the full disk cut short (${partial} bytes): ${(error as Error).message}`);
      }
    }
    this.#fileBatch = undefined;
    await file.close().catch(() => {});
  }
}

/** One buffer for the lines, each with its newline, and where each line ends in it. */
function encodeBatch(lines: readonly string[]): FileBatch {
  const encoder = new TextEncoder();
  const parts = lines.map((line) => encoder.encode(line + "\n"));
  const lineEnds: number[] = [];
  let end = 0;
  for (const part of parts) lineEnds.push((end += part.byteLength));
  return { bytes: concatBytes(parts, end), lineEnds, written: 0, lines: 0 };
}

/** Bytes of a line begun in the file but not finished. */
function partialLineBytes(batch: FileBatch | undefined): number {
  if (!batch) return 0;
  return batch.written - (batch.lines > 0 ? batch.lineEnds[batch.lines - 1]! : 0);
}
