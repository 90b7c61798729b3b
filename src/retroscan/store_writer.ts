/**
 * The service's side of the RetroScan writer thread (`_store_worker.ts`): starts the worker,
 * sends it requests and resolves each with its reply, in order.
 */
import { workerUrl } from "../runtime/runtime.ts";
import type { WriterBatchOptions, WriterReply, WriterRequest } from "./_store_worker.ts";

/**
 * @example
 * ```ts
 * const writer = await StoreWriter.open("retroscan.db", 10 * 2 ** 30);
 * const reply = await writer.request({ op: "write", values });
 * await writer.close();
 * ```
 */
export class StoreWriter {
  readonly #worker: Worker;
  readonly #waiting: ((reply: WriterReply) => void)[] = [];
  #dead: string | undefined;

  private constructor() {
    this.#worker = new Worker(workerUrl("retroscan/_store_worker.ts"), { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<WriterReply>) => this.#waiting.shift()?.(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      this.#dead = `RetroScan writer thread failed: ${event.message}`;
      for (const resolve of this.#waiting.splice(0)) resolve({ ok: false, error: this.#dead });
    };
  }

  /**
   * Starts the writer on the database at `path`, with a batch for the main thread's recorded
   * values when `batch` is given; throws the open's error (its message).
   */
  static async open(path: string, maxBytes: number, maxKeys?: number, batch?: WriterBatchOptions): Promise<StoreWriter> {
    const writer = new StoreWriter();
    const reply = await writer.request({ op: "open", path, maxBytes, ...(maxKeys === undefined ? {} : { maxKeys }), ...(batch === undefined ? {} : { batch }) });
    if (!reply.ok) {
      writer.terminate();
      throw new Error(reply.error);
    }
    return writer;
  }

  /** Sends `request`, moving the buffers in `transfer` to the writer; resolves with its reply. */
  request(request: WriterRequest, transfer: Transferable[] = []): Promise<WriterReply> {
    if (this.#dead !== undefined) return Promise.resolve({ ok: false, error: this.#dead });
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#worker.postMessage(request, transfer);
    });
  }

  /** Closes the database, then ends the thread. */
  async close(): Promise<void> {
    await this.request({ op: "close" });
    this.terminate();
  }

  terminate(): void {
    this.#dead ??= "RetroScan writer thread stopped";
    this.#worker.terminate();
    for (const resolve of this.#waiting.splice(0)) resolve({ ok: false, error: this.#dead });
  }
}
