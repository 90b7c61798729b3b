/**
 * The RetroScan writer, run in a worker thread: the folding of the main thread's recorded values
 * into their batch (a cache miss per value in the table of the day's values), the flushes of
 * stored values (the one high-volume write, measured at several µs a value) and retention run
 * here, off the thread that serves events. Requests are answered in order, one reply each.
 */
import { RetroStore, dayOf, type PruneResult, type StoredColumns } from "./retro_store.ts";
import { ValueBatch, type ValueBatchOptions } from "./value_batch.ts";
import type { RawValues } from "./_raw_values.ts";
import { decodeValues, type EncodedValues } from "./_value_codec.ts";

/** What the main thread's values are folded with here (a batch's options; `rules`, a Set, survives the message). */
export type WriterBatchOptions = Omit<ValueBatchOptions, "onPending">;

/** What the service asks of the writer. */
export type WriterRequest =
  | { readonly op: "open"; readonly path: string; readonly maxBytes: number; readonly maxKeys?: number; readonly batch?: WriterBatchOptions }
  /** The values as `_value_codec.ts` encodes them, flat: a flat message of strings is not copied. */
  | ({ readonly op: "write" } & EncodedValues)
  /** The main thread's recorded events (`_raw_values.ts`), folded in here and written. */
  | ({ readonly op: "raw" } & RawValues)
  | { readonly op: "prune"; readonly now: number; readonly retentionDays: number }
  | { readonly op: "close" };

/**
 * The writer's answer: `added` new rows of a write and `dropped` new values it could not keep
 * (key memory full), `batchDropped` the main thread's values its batch dropped (full) since
 * start, what a prune removed, or the error (its message).
 */
export type WriterReply =
  | { readonly ok: true; readonly added?: number; readonly dropped?: number; readonly batchDropped?: number; readonly pruned?: PruneResult }
  | { readonly ok: false; readonly error: string };

/** Rows per transaction: the reader's own short transactions wait at most this long for the lock. */
const ROWS_PER_TRANSACTION = 2_000;

declare const self: { onmessage: ((event: { data: WriterRequest }) => void) | null; postMessage(reply: WriterReply): void; close(): void };

/**
 * Counts of values already stored are written at most this often (ms), or when this many count
 * entries wait (about 500,000 rows or more: the entries are merged per row as they pile up): a
 * busy value costs one update per period, not one per flush. A crash loses at most that much
 * counting (never a value: new values are written with each flush).
 */
const COUNTS_EVERY_MS = 10_000;
const MAX_PENDING_COUNTS = 1_000_000;

let store: RetroStore | undefined;
/** The main thread's values, folded here from what it recorded. */
let batch: ValueBatch | undefined;
let countsAt = Date.now();
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
    case "open": {
      store = await RetroStore.open(request.path, request.maxBytes, { busyTimeoutMs: 2000, ...(request.maxKeys === undefined ? {} : { maxKeys: request.maxKeys }) });
      if (request.batch !== undefined) batch = new ValueBatch({ ...request.batch, onPending: () => {} });
      return { ok: true };
    }
    case "write":
      return write(decodeValues(request));
    case "raw": {
      const main = batch;
      if (main === undefined) throw new Error("RetroScan writer: opened without the main thread's batch options");
      main.addRaw(request);
      return { ...main.drain(write), batchDropped: main.dropped };
    }
    case "prune": {
      const pruned = opened().prune(dayOf(request.now), request.retentionDays);
      if (pruned.partialDay !== undefined) batch?.forgetDay(pruned.partialDay);
      return { ok: true, pruned };
    }
    case "close":
      store?.close();
      store = undefined;
      return { ok: true };
  }
}

/** Writes new values and counts; counts are applied every {@link COUNTS_EVERY_MS} or past {@link MAX_PENDING_COUNTS}. */
function write(columns: StoredColumns): { readonly ok: true; readonly added: number; readonly dropped: number } {
  let added = 0;
  const store = opened();
  for (let i = 0; i < columns.n; i += ROWS_PER_TRANSACTION) added += store.writeColumns(columns, i, Math.min(columns.n, i + ROWS_PER_TRANSACTION));
  store.addCounts(columns);
  if (store.pendingCounts >= MAX_PENDING_COUNTS || Date.now() - countsAt >= COUNTS_EVERY_MS) {
    store.applyCounts();
    countsAt = Date.now();
  }
  return { ok: true, added, dropped: store.takeDropped() };
}

function opened(): RetroStore {
  if (store === undefined) throw new Error("RetroScan writer: the database is not open");
  return store;
}
