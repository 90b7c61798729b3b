/**
 * The RetroScan writer, run in a worker thread: the flushes of stored values (the one
 * high-volume write, measured at several µs a value) and retention run here, off the thread
 * that serves events. Requests are answered in order, one reply each.
 */
import { RetroStore, dayOf, type PruneResult } from "./retro_store.ts";
import { decodeValues, type EncodedValues } from "./_value_codec.ts";

/** What the service asks of the writer. */
export type WriterRequest =
  | { readonly op: "open"; readonly path: string; readonly maxBytes: number }
  /** `values` as `_value_codec.ts` encodes them (its `nums` moved, not copied). */
  | { readonly op: "write"; readonly values: EncodedValues }
  | { readonly op: "prune"; readonly now: number; readonly retentionDays: number }
  | { readonly op: "close" };

/** The writer's answer: `added` new rows of a write, what a prune removed, or the error (its message). */
export type WriterReply = { readonly ok: true; readonly added?: number; readonly pruned?: PruneResult } | { readonly ok: false; readonly error: string };

/** Rows per transaction: the reader's own short transactions wait at most this long for the lock. */
const ROWS_PER_TRANSACTION = 2_000;

declare const self: { onmessage: ((event: { data: WriterRequest }) => void) | null; postMessage(reply: WriterReply): void; close(): void };

let store: RetroStore | undefined;
// Requests run one after the other even though opening is asynchronous.
let queue: Promise<void> = Promise.resolve();

self.onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      self.postMessage(await handle(data));
    } catch (error) {
      self.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
};

async function handle(request: WriterRequest): Promise<WriterReply> {
  switch (request.op) {
    case "open":
      store = await RetroStore.open(request.path, request.maxBytes, { busyTimeoutMs: 2000 });
      return { ok: true };
    case "write": {
      const columns = decodeValues(request.values);
      let added = 0;
      for (let i = 0; i < columns.n; i += ROWS_PER_TRANSACTION) added += opened().writeColumns(columns, i, Math.min(columns.n, i + ROWS_PER_TRANSACTION));
      return { ok: true, added };
    }
    case "prune":
      return { ok: true, pruned: opened().prune(dayOf(request.now), request.retentionDays) };
    case "close":
      store?.close();
      store = undefined;
      return { ok: true };
  }
}

function opened(): RetroStore {
  if (store === undefined) throw new Error("RetroScan writer: the database is not open");
  return store;
}
