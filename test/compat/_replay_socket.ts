/**
 * A client socket that behaves like a blocking BSD socket, so third-party clients written as
 * `send` / `recv` loops can be replayed step by step: `send` is one write, `recv` returns what
 * one read would (everything that arrived and was not yet read, at most `max` bytes), waiting
 * for data when there is none. No sleeps: a recv waits for bytes, the close, or its limit.
 */
import { createConnection, type Socket } from "node:net";

export class ReplaySocket {
  readonly #socket: Socket;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  /** Every byte received, in order. */
  received = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      this.received += chunk.length;
      this.#wake?.();
    });
    socket.once("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on("error", () => {});
  }

  /** `socket.connect((host, port))`; Nagle off like the service's side, so each send is its own segment. */
  static async connect(port: number, host = "127.0.0.1"): Promise<ReplaySocket> {
    const socket = createConnection({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    socket.setNoDelay(true);
    return new ReplaySocket(socket);
  }

  /** `sock.send(data)`: resolves once the kernel has taken the bytes. */
  send(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * `sock.recv(max)` with `sock.settimeout(timeoutMs)`: the bytes that arrived and were not read
   * yet (at most `max`), waiting for some when there are none. Returns "" when the peer closed,
   * `undefined` when the timeout passed with nothing to read (Python raises socket.timeout).
   */
  async recv(max: number, timeoutMs: number): Promise<string | undefined> {
    if (this.#pendingBytes === 0 && !this.#closed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    if (this.#pendingBytes === 0) return this.#closed ? "" : undefined;
    const all = Buffer.concat(this.#pending);
    const taken = all.subarray(0, max);
    const rest = all.subarray(max);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return taken.toString("utf8");
  }

  /** `sock.close()`. */
  close(): void {
    this.#socket.destroy();
  }
}
