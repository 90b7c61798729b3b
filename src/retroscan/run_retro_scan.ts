/**
 * One retro run: the indicators new since the last run go into a small IndicatorIndex of their
 * own, and every stored value streams through it in id order, a chunk at a time with the event
 * loop let run in between. A hit that the full index still confirms (allow-lists, expiry) and
 * that was not reported for the same feed record before becomes a retro detection.
 */
import { IndicatorIndex } from "../matching/indicator_index.ts";
import type { IndexReader, MatchedRecord } from "../matching/types.ts";
import type { IndicatorChanges } from "./indicator_diff.ts";
import { STORED_TYPES, type RetroStore, type StoredRow } from "./retro_store.ts";

/** What one run needs besides the store and the changes. */
export interface RetroRunDeps {
  /** Epoch ms the run's lookups use for expiry. */
  readonly now: number;
  /** The full index in use: a hit counts only when it matches there too. */
  readonly index: IndexReader;
  /** Renders the retro detection of `row` for `record`. */
  readonly render: (row: StoredRow, record: MatchedRecord) => string;
  /** Sends a rendered line to the output. */
  readonly send: (line: string) => void;
  /** Lets the event loop run between chunks. */
  readonly yieldToLoop: () => Promise<void>;
  /** Identifies the set of new indicators, so an interrupted run of the same set resumes. */
  readonly key: string;
  /** Rows per chunk (default 20,000). */
  readonly chunkRows?: number;
}

/** How a run went. */
export interface RetroRunResult {
  /** New indicators checked. */
  readonly indicators: number;
  /** Stored rows streamed through them. */
  readonly checked: number;
  /** Retro detections sent. */
  readonly hits: number;
  /** The row id an interrupted run of the same indicators resumed after; 0 for a fresh run. */
  readonly resumedAfter: number;
}

/** The meta key of the run in progress: `{ key, cursor }` after each chunk. */
export const RUN_META = "run";
/** The meta key of the last finished run's fingerprints (a Float64Array's bytes). */
export const BASELINE_META = "baseline";

const recordKey = (r: MatchedRecord): string => `${r.feed.name}\0${r.category}\0${r.indicator}`;

/**
 * Runs `changes` against `store`; when done, the run's fingerprints become the baseline.
 * Reports are written before their lines are sent (a crash in between loses a line rather than
 * repeating one). Throws the store's error (the caller turns RetroScan off).
 *
 * @example
 * ```ts
 * const result = await runRetroScan(store, changes, { now: Date.now(), index, render, send, yieldToLoop, key });
 * ```
 */
export async function runRetroScan(store: RetroStore, changes: IndicatorChanges, deps: RetroRunDeps): Promise<RetroRunResult> {
  let checked = 0;
  let hits = 0;
  let resumedAfter = 0;
  if (changes.count > 0) {
    const mini = new IndicatorIndex();
    for (const { feed, entries } of changes.added) {
      const id = mini.addFeed(feed);
      for (const entry of entries) mini.add(id, entry);
    }
    mini.compact();
    const saved = parseRun(store.getMeta(RUN_META));
    const upTo = store.maxId();
    let cursor = saved?.key === deps.key ? saved.cursor : 0;
    resumedAfter = cursor;
    const limit = deps.chunkRows ?? 20_000;
    while (cursor < upTo) {
      const rows = store.chunk(cursor, upTo, limit);
      if (rows.length === 0) break;
      const found: { id: number; records: MatchedRecord[] }[] = [];
      for (let i = 0; i < rows.length; i++) {
        const [id, code, value] = rows[i]!;
        const type = STORED_TYPES[code]!;
        let records: readonly MatchedRecord[];
        try {
          records = mini.lookup(type, value, deps.now).records;
        } catch {
          continue;
        }
        if (records.length === 0) continue;
        const confirmed = new Set(deps.index.lookup(type, value, deps.now).records.map(recordKey));
        const kept = records.filter((r) => confirmed.has(recordKey(r)));
        if (kept.length > 0) found.push({ id, records: kept });
      }
      checked += rows.length;
      cursor = rows[rows.length - 1]![0];
      const lines = reportChunk(store, found, deps, cursor);
      for (const line of lines) deps.send(line);
      hits += lines.length;
      await deps.yieldToLoop();
    }
  }
  store.transaction(() => {
    store.setMeta(BASELINE_META, new Uint8Array(changes.fingerprints.buffer, changes.fingerprints.byteOffset, changes.fingerprints.byteLength));
    store.setMeta(RUN_META, null);
  });
  return { indicators: changes.count, checked, hits, resumedAfter };
}

/** Marks the chunk's hits reported and saves the cursor, in one transaction; the lines to send. */
function reportChunk(store: RetroStore, found: readonly { id: number; records: MatchedRecord[] }[], deps: RetroRunDeps, cursor: number): string[] {
  const lines: string[] = [];
  store.transaction(() => {
    for (const { id, records } of found) {
      const row = store.row(id);
      if (row === undefined) continue;
      for (const record of records) {
        if (store.markReported(row.type, row.value, recordKey(record), row.day)) lines.push(deps.render(row, record));
      }
    }
    store.setMeta(RUN_META, JSON.stringify({ key: deps.key, cursor }));
  });
  return lines;
}

function parseRun(value: unknown): { key: string; cursor: number } | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const run = JSON.parse(value) as { key?: unknown; cursor?: unknown };
    return typeof run.key === "string" && typeof run.cursor === "number" ? { key: run.key, cursor: run.cursor } : undefined;
  } catch {
    return undefined;
  }
}

/** The baseline saved by the last finished run, or undefined when there was none. */
export function readBaseline(store: RetroStore): Float64Array | undefined {
  const bytes = store.getMeta(BASELINE_META);
  if (!(bytes instanceof Uint8Array)) return undefined;
  // Copied: the driver's buffer need not be 8-byte aligned.
  const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % 8));
  copy.set(bytes.subarray(0, copy.byteLength));
  return new Float64Array(copy.buffer);
}
