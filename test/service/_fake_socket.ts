/** An in-memory socket for the service's unit tests: sessions and connections without a network. */
import { EventEmitter } from "node:events";
import type { ConnectionSocket } from "../../src/service/connections.ts";

/** An in-memory connection: the test plays the client (`send`, `endInput`) and the kernel (`drain`). */
export class FakeSocket extends EventEmitter implements ConnectionSocket {
  remoteAddress: string | undefined = "::ffff:192.0.2.1";
  readonly written: string[] = [];
  /** What `write` answers; false is a full send buffer. */
  writeReturns = true;
  writable = true;
  writableLength = 0;
  destroyed = false;
  paused = true;
  ended = false;
  write(chunk: string): boolean {
    this.written.push(chunk);
    if (!this.writeReturns) this.writableLength += chunk.length;
    return this.writeReturns;
  }
  end(chunkOrCallback?: string | (() => void)): this {
    const callback = typeof chunkOrCallback === "function" ? chunkOrCallback : undefined;
    if (typeof chunkOrCallback === "string") this.written.push(chunkOrCallback);
    this.ended = true;
    this.writable = false;
    // The flush finishes later, as on a real socket.
    if (callback) queueMicrotask(callback);
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.writable = false;
    queueMicrotask(() => this.emit("close"));
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  send(text: string): void {
    this.emit("data", new TextEncoder().encode(text));
  }
  endInput(): void {
    this.emit("end");
  }
  /** The client caught up: the send buffer is empty again. */
  drain(): void {
    this.writableLength = 0;
    this.emit("drain");
  }
  /** Everything written, as lines. */
  lines(): string[] {
    return this.written.join("").split("\n").filter((l) => l !== "");
  }
}
