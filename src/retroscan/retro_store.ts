/**
 * The RetroScan database: the values `serve` extracted, one row per distinct (type, value, day)
 * with a count, the first and last time seen, the Source, the client and an excerpt of the first
 * event; the (value, feed record) pairs already reported; and the state of the retro runs.
 * SQLite in WAL mode through src/runtime/open_sqlite.ts (docs/retroscan.md).
 */
import { openSqlite, type SqliteDb, type SqliteStatement, type SqlValue } from "../runtime/open_sqlite.ts";
import { DayKeys } from "./_day_keys.ts";
import { HandleRows } from "./_handle_rows.ts";
import { PendingCounts } from "./_pending_counts.ts";
import { NUMS_PER_COUNT, NUMS_PER_VALUE, toColumns } from "./_value_codec.ts";

/** Value kinds in the order their codes are stored (the `type` column). */
export const STORED_TYPES = ["URL", "MD5", "SHA1", "SHA256", "HASH", "IP", "DOMAIN"] as const;
export type StoredType = (typeof STORED_TYPES)[number];

/** One distinct (type, value, day), as written by a flush. */
export interface StoredValue {
  readonly type: StoredType;
  readonly value: string;
  /** Days since 1970-01-01 (UTC) of the events. */
  readonly day: number;
  /** Events of that day that carried the value. */
  count: number;
  /** Epoch ms of the first and last such event. */
  readonly firstAt: number;
  lastAt: number;
  readonly sourceId: string;
  /** The regex that extracted it (its slot name), so `%NAME%` renders it in a retro detection. */
  readonly rule: string;
  readonly client: string;
  readonly excerpt: string;
}

/**
 * Values in columns, as a flush hands them to the writer: per value {@link NUMS_PER_VALUE}
 * numbers in `nums` (type code, day, count, firstAt, lastAt, index into `rules`, index of its
 * event, handle), its text in `values`; per event three strings in `events` (Source id, client,
 * excerpt).
 *
 * A handle (≥ 0) names a value of the event thread's current day: values handed over before come
 * back as `counts` for their handle only (handle, count, firstAt, lastAt), not as text again; the
 * writer notes each handle's row and may forget the handles below `forgetBelow` after this batch.
 */
export interface StoredColumns {
  readonly n: number;
  readonly nums: Float64Array;
  readonly values: readonly string[];
  readonly events: readonly string[];
  readonly rules: readonly string[];
  /** {@link NUMS_PER_COUNT} numbers per count of a value handed over before. */
  readonly counts?: Float64Array;
  readonly forgetBelow?: number;
  /**
   * Whose handles these are (default 0): each event thread's batch numbers its own (the main
   * thread's 0, worker thread i's i + 1), and the writer keeps their rows apart.
   */
  readonly producer?: number;
}

/** A stored row, read back for a retro detection. */
export interface StoredRow extends StoredValue {
  readonly id: number;
}

/** How much the store holds. */
export interface StoreStats {
  readonly rows: number;
  /** The database file in use (pages × page size, free pages excluded). */
  readonly bytes: number;
  /** Oldest day still held, as YYYY-MM-DD; undefined when empty. */
  readonly oldestDay?: string;
}

/** What enforcing retention and the size cap removed. */
export interface PruneResult {
  readonly rows: number;
  readonly days: number;
  /**
   * The day that lost only some of its rows (the last day left, over the cap alone): the
   * batches must hand its values over again, since some of their rows are gone.
   */
  readonly partialDay?: number;
}

// What a retro run streams (seen) is kept apart from what only a hit reads (seen_event): a run
// then reads ~70 bytes a row instead of the excerpt too (5 M rows: 2.3 GB → 0.5 GB scanned).
// `seen` has no unique index on (type, value, day): the writer knows the day's values (DayKeys)
// and appends new ones; the index on day only takes appends (days only grow) and serves
// retention and the reload of a day's keys.
const SEEN = `CREATE TABLE IF NOT EXISTS seen (
  id INTEGER PRIMARY KEY,
  type INTEGER NOT NULL,
  value TEXT NOT NULL,
  day INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL
)`;
const SCHEMA = `
${SEEN};
CREATE INDEX IF NOT EXISTS seen_day ON seen(day);
CREATE TABLE IF NOT EXISTS seen_event (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  rule TEXT NOT NULL,
  client TEXT NOT NULL,
  excerpt TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS seen_gone AFTER DELETE ON seen BEGIN DELETE FROM seen_event WHERE id = old.id; END;
CREATE TABLE IF NOT EXISTS reported (
  type INTEGER NOT NULL,
  value TEXT NOT NULL,
  record TEXT NOT NULL,
  day INTEGER NOT NULL,
  PRIMARY KEY (type, value, record)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
`;
/** `PRAGMA user_version` of this schema; 0 is a new file or the first schema (migrated at open). */
const SCHEMA_VERSION = 2;
/** Rows per multi-row INSERT (a prepared statement each for `seen` and `seen_event`). */
const ROWS_PER_INSERT = 64;
/** Count updates per transaction of {@link RetroStore.applyCounts}: a reader never waits long for the lock. */
const ROWS_PER_COUNT_TRANSACTION = 10_000;
/** Count updates per `UPDATE … FROM (VALUES …)` statement: 0.6 µs a row against 0.75–0.9 one statement each. */
const ROWS_PER_UPDATE = 250;
/** Days whose keys the writer keeps in memory (today and yesterday, for events around midnight). */
const DAYS_KEPT = 2;

/** Room above the size cap before SQLite itself refuses to grow (`max_page_count`): a flush between two prunes. */
const HARD_LIMIT_FACTOR = 1.25;
const MIN_HARD_PAGES = 64;
export const DAY_MS = 86_400_000;

/**
 * Brings a database of the first schema (a unique (type, value, day) index on `seen`, whose
 * upserts cost 40–75 µs a row) to this one: the rows are copied, in one transaction, into a
 * table without it (ids kept, so excerpts, reports and an interrupted run's position stay valid).
 */
function migrate(db: SqliteDb): void {
  const version = Number(db.prepare("PRAGMA user_version").values()[0]![0]);
  if (version >= SCHEMA_VERSION) return;
  const seen = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'seen'").values()[0]?.[0];
  if (typeof seen !== "string" || !/UNIQUE/i.test(seen)) return;
  db.transaction(() => {
    db.exec("DROP TRIGGER IF EXISTS seen_gone");
    db.exec(SEEN.replace("seen (", "seen_v2 ("));
    db.exec("INSERT INTO seen_v2 (id, type, value, day, count, first_at, last_at) SELECT id, type, value, day, count, first_at, last_at FROM seen ORDER BY id");
    db.exec("DROP TABLE seen");
    db.exec("ALTER TABLE seen_v2 RENAME TO seen");
  });
}

/** Day number (days since the epoch, UTC) of `epochMs`. */
export function dayOf(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/**
 * The store. Every method may throw the driver's error (locked, corrupt, full: see
 * `sqliteFault`); the caller turns RetroScan off then.
 *
 * @example
 * ```ts
 * const store = await RetroStore.open("retroscan.db", 10 * 2 ** 30);
 * store.write([{ type: "DOMAIN", value: "evil.example", day: dayOf(Date.now()), count: 1, … }]);
 * ```
 */
export class RetroStore {
  readonly #db: SqliteDb;
  readonly #pageSize: number;
  readonly #insertSeen: SqliteStatement;
  readonly #insertEvent: SqliteStatement;
  readonly #insertSeenMany: SqliteStatement;
  readonly #insertEventMany: SqliteStatement;
  readonly #update: SqliteStatement;
  readonly #updateMany: SqliteStatement;
  readonly #dayRows: SqliteStatement;
  /** The writer's memory of the recent days' values (loaded from the table on first use). */
  readonly #days = new Map<number, DayKeys>();
  /** Count updates of known rows, written by {@link applyCounts}. */
  readonly #pending = new PendingCounts();
  /** The rows of the event threads' handles, per producer (see {@link StoredColumns}). */
  readonly #handles = new Map<number, HandleRows>();
  readonly #chunk: SqliteStatement;
  readonly #row: SqliteStatement;
  readonly #report: SqliteStatement;
  readonly #getMeta: SqliteStatement;
  readonly #setMeta: SqliteStatement;
  #maxBytes: number;
  /** Keys the writer may hold over all remembered days (`key_memory`); new values past it are dropped. */
  readonly #maxKeys: number;
  /** New values dropped because the keys were at `#maxKeys`, not yet taken by {@link takeDropped}. */
  #droppedForKeys = 0;
  /** Rows in `seen`, counted once at open and kept up to date (a count(*) of millions of rows is not free). */
  #rows: number;

  private constructor(db: SqliteDb, maxBytes: number, maxKeys: number) {
    this.#db = db;
    this.#maxBytes = maxBytes;
    this.#maxKeys = maxKeys;
    this.#rows = Number(db.prepare("SELECT count(*) FROM seen").values()[0]![0]);
    this.#pageSize = Number(db.prepare("PRAGMA page_size").values()[0]![0]);
    this.setMaxBytes(maxBytes);
    const seenRows = (n: number) => `INSERT INTO seen (id, type, value, day, count, first_at, last_at) VALUES ${Array(n).fill("(?, ?, ?, ?, ?, ?, ?)").join(", ")}`;
    const eventRows = (n: number) => `INSERT OR REPLACE INTO seen_event (id, source, rule, client, excerpt) VALUES ${Array(n).fill("(?, ?, ?, ?, ?)").join(", ")}`;
    this.#insertSeen = db.prepare(seenRows(1));
    this.#insertEvent = db.prepare(eventRows(1));
    this.#insertSeenMany = db.prepare(seenRows(ROWS_PER_INSERT));
    this.#insertEventMany = db.prepare(eventRows(ROWS_PER_INSERT));
    this.#update = db.prepare("UPDATE seen SET count = count + ?, first_at = min(first_at, ?), last_at = max(last_at, ?) WHERE id = ?");
    // The VALUES rows are (id, count, first, last); SQLite reads them and finds each row by its id.
    this.#updateMany = db.prepare(
      `UPDATE seen SET count = count + c.column2, first_at = min(first_at, c.column3), last_at = max(last_at, c.column4)
       FROM (VALUES ${Array(ROWS_PER_UPDATE).fill("(?, ?, ?, ?)").join(", ")}) AS c WHERE seen.id = c.column1`,
    );
    this.#dayRows = db.prepare("SELECT id, type, value FROM seen WHERE day = ? AND id > ? ORDER BY id LIMIT 50000");
    this.#chunk = db.prepare("SELECT id, type, value FROM seen WHERE id > ? AND id <= ? ORDER BY id LIMIT ?");
    this.#row = db.prepare(
      `SELECT s.id, s.type, s.value, s.day, s.count, s.first_at, s.last_at, coalesce(e.source, ''), coalesce(e.rule, ''), coalesce(e.client, ''), coalesce(e.excerpt, '')
       FROM seen s LEFT JOIN seen_event e ON e.id = s.id WHERE s.id = ?`,
    );
    this.#report = db.prepare("INSERT OR IGNORE INTO reported (type, value, record, day) VALUES (?, ?, ?, ?)");
    this.#getMeta = db.prepare("SELECT value FROM meta WHERE key = ?");
    this.#setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  }

  /**
   * Opens or creates the database at `path` (WAL, incremental auto-vacuum so pruned days give
   * their space back), with a size cap of `maxBytes`: {@link prune} keeps under it, and SQLite
   * refuses to grow past 1.25 times it (a `full` fault).
   */
  static async open(path: string, maxBytes: number, options: { readonly busyTimeoutMs?: number; readonly maxKeys?: number } = {}): Promise<RetroStore> {
    const db = await openSqlite(path);
    try {
      // Short by default: on the event loop's thread a lock held elsewhere is a fault to report,
      // not a reason to stall; the writer's thread may wait longer.
      db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 200}`);
      // Only takes effect on a new file; it must come before the first table.
      db.exec("PRAGMA auto_vacuum = INCREMENTAL");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      // 32 MiB of page cache (the default is 2 MiB): the (type, value, day) index takes random inserts.
      db.exec("PRAGMA cache_size = -32768");
      migrate(db);
      db.exec(SCHEMA);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      return new RetroStore(db, maxBytes, options.maxKeys ?? Number.POSITIVE_INFINITY);
    } catch (error) {
      try {
        db.close();
      } catch {
        // The open error is the one to report.
      }
      throw error;
    }
  }

  /** Changes the size cap (a reload may change it). */
  setMaxBytes(maxBytes: number): void {
    this.#maxBytes = maxBytes;
    const pages = Math.max(MIN_HARD_PAGES, Math.ceil((maxBytes * HARD_LIMIT_FACTOR) / this.#pageSize));
    this.#db.exec(`PRAGMA max_page_count = ${pages}`);
  }

  /**
   * Adds values, in one transaction: one row per distinct (type, value, day), a repeat adds to
   * the row's count and widens its first and last time; how many rows are new. Only one
   * connection may write values (the writer keeps the day's keys in memory).
   */
  write(values: readonly StoredValue[]): number {
    const added = this.writeColumns(toColumns(values), 0, values.length);
    this.applyCounts();
    return added;
  }

  /**
   * {@link write} of the values `from` to `to` (exclusive) of `c`, except that the counts of
   * values already stored are only gathered: {@link applyCounts} writes them.
   */
  writeColumns(c: StoredColumns, from = 0, to = c.n): number {
    try {
      return this.#writeColumns(c, from, to);
    } catch (error) {
      // Rolled back: the keys noted for its new rows are read again from the table.
      this.#days.clear();
      for (const rows of this.#handles.values()) rows.clear();
      throw error;
    }
  }

  #writeColumns(c: StoredColumns, from: number, to: number): number {
    const added = this.#db.transaction(() => {
      let next = this.maxId() + 1;
      const first = next;
      const { nums, values, events, rules } = c;
      const handles = this.#handlesOf(c.producer);
      const seen: SqlValue[] = [];
      const event: SqlValue[] = [];
      let keys: DayKeys | undefined;
      let keysDay = Number.NaN;
      // Keys held over all remembered days: read again only when the day changes (a new day's
      // keys may be loaded and an old day's let go), then counted up as keys are added.
      let held = 0;
      for (let i = from; i < to; i++) {
        const o = i * NUMS_PER_VALUE;
        const code = nums[o]!;
        const day = nums[o + 1]!;
        if (day !== keysDay) {
          keys = this.#keysOf(day);
          keysDay = day;
          held = this.#keysHeld();
        }
        const value = values[i]!;
        const handle = nums[o + 7]!;
        const id = keys!.get(code, value);
        if (id !== 0) {
          this.#pending.add(id, nums[o + 2]!, nums[o + 3]!, nums[o + 4]!);
          if (handle >= 0) handles.set(handle, id);
          continue;
        }
        if (held >= this.#maxKeys) {
          this.#droppedForKeys++;
          continue;
        }
        keys!.set(code, value, next);
        if (handle >= 0) handles.set(handle, next);
        held++;
        const e = nums[o + 6]! * 3;
        seen.push(next, code, value, day, nums[o + 2]!, nums[o + 3]!, nums[o + 4]!);
        event.push(next, events[e]!, rules[nums[o + 5]!]!, events[e + 1]!, events[e + 2]!);
        next++;
        if (seen.length === ROWS_PER_INSERT * 7) {
          this.#insertSeenMany.run(...seen);
          this.#insertEventMany.run(...event);
          seen.length = 0;
          event.length = 0;
        }
      }
      for (let r = 0; r < seen.length / 7; r++) {
        this.#insertSeen.run(...seen.slice(r * 7, r * 7 + 7));
        this.#insertEvent.run(...event.slice(r * 5, r * 5 + 5));
      }
      return next - first;
    });
    this.#rows += added;
    return added;
  }

  /**
   * Gathers the counts of values handed over before by handle (`c.counts`; a handle whose value
   * was dropped or whose row is gone counts nowhere), then forgets the handles below
   * `c.forgetBelow`. Call after {@link writeColumns} of the same batch.
   */
  addCounts(c: StoredColumns): void {
    const counts = c.counts;
    const handles = this.#handlesOf(c.producer);
    if (counts !== undefined) {
      for (let o = 0; o < counts.length; o += NUMS_PER_COUNT) {
        const id = handles.get(counts[o]!);
        if (id !== 0) this.#pending.add(id, counts[o + 1]!, counts[o + 2]!, counts[o + 3]!);
      }
    }
    if (c.forgetBelow !== undefined) handles.forgetBelow(c.forgetBelow);
  }

  #handlesOf(producer = 0): HandleRows {
    let rows = this.#handles.get(producer);
    if (rows === undefined) this.#handles.set(producer, (rows = new HandleRows()));
    return rows;
  }

  /** New values dropped since the last call because the writer's key memory was full (`key_memory`). */
  takeDropped(): number {
    const dropped = this.#droppedForKeys;
    this.#droppedForKeys = 0;
    return dropped;
  }

  #keysHeld(): number {
    let held = 0;
    for (const keys of this.#days.values()) held += keys.size;
    return held;
  }

  /** Count updates gathered by {@link writeColumns} and not applied yet (rows). */
  get pendingCounts(): number {
    return this.#pending.size;
  }

  /**
   * Writes the gathered count updates, in row id order, {@link ROWS_PER_COUNT_TRANSACTION} per
   * transaction and {@link ROWS_PER_UPDATE} per statement; how many rows they touched (a row
   * pruned meanwhile takes none).
   */
  applyCounts(): number {
    if (this.#pending.size === 0) return 0;
    const { n, ids, counts, firstAt, lastAt } = this.#pending.take();
    const params: SqlValue[] = [];
    let touched = 0;
    for (let from = 0; from < n; from += ROWS_PER_COUNT_TRANSACTION) {
      const to = Math.min(n, from + ROWS_PER_COUNT_TRANSACTION);
      touched += this.#db.transaction(() => {
        let changed = 0;
        let r = from;
        for (; r + ROWS_PER_UPDATE <= to; r += ROWS_PER_UPDATE) {
          params.length = 0;
          for (let k = r; k < r + ROWS_PER_UPDATE; k++) params.push(ids[k]!, counts[k]!, firstAt[k]!, lastAt[k]!);
          changed += this.#updateMany.run(...params);
        }
        for (; r < to; r++) changed += this.#update.run(counts[r]!, firstAt[r]!, lastAt[r]!, ids[r]!);
        return changed;
      });
    }
    return touched;
  }

  /** The keys of `day`, read from the table the first time; only the latest days are kept. */
  #keysOf(day: number): DayKeys {
    let keys = this.#days.get(day);
    if (keys !== undefined) return keys;
    keys = new DayKeys();
    for (let after = 0; ; ) {
      const rows = this.#dayRows.values(day, after) as [number, number, string][];
      if (rows.length === 0) break;
      for (const [id, code, value] of rows) {
        keys.set(code, value, id);
      }
      after = rows[rows.length - 1]![0];
    }
    this.#days.set(day, keys);
    if (this.#days.size > DAYS_KEPT) {
      const oldest = Math.min(...this.#days.keys());
      if (oldest !== day) this.#days.delete(oldest);
    }
    return keys;
  }

  /** Takes note of rows another connection (the writer thread) added or removed, for {@link stats}. */
  countRows(delta: number): void {
    this.#rows += delta;
  }

  /** The highest row id now (a retro run scans up to it). */
  maxId(): number {
    return Number(this.#db.prepare("SELECT coalesce(max(id), 0) FROM seen").values()[0]![0]);
  }

  /**
   * Up to `limit` rows with `afterId < id <= upToId`, in id order, as `[id, type code, value]`
   * (what a retro run streams; the rest of a row is read only for a hit).
   */
  chunk(afterId: number, upToId: number, limit: number): [number, number, string][] {
    return this.#chunk.values(afterId, upToId, limit) as [number, number, string][];
  }

  /** The whole row `id`, or undefined when pruned meanwhile. */
  row(id: number): StoredRow | undefined {
    const r = this.#row.values(id)[0];
    if (r === undefined) return undefined;
    const [rowId, type, value, day, count, firstAt, lastAt, sourceId, rule, client, excerpt] = r as [number, number, string, number, number, number, number, string, string, string, string];
    return { id: rowId, type: STORED_TYPES[type]!, value, day, count, firstAt, lastAt, sourceId, rule, client, excerpt };
  }

  /**
   * Records that `value` was reported for the feed record `record`; false when it had been
   * already (so it is not reported again, across restarts).
   */
  markReported(type: StoredType, value: string, record: string, day: number): boolean {
    return this.#report.run(STORED_TYPES.indexOf(type), value, record, day) > 0;
  }

  /** Runs `body` in one transaction (a batch of {@link markReported}). */
  transaction<T>(body: () => T): T {
    return this.#db.transaction(body);
  }

  getMeta(key: string): SqlValue | undefined {
    return this.#getMeta.values(key)[0]?.[0];
  }

  setMeta(key: string, value: SqlValue): void {
    this.#setMeta.run(key, value);
  }

  /**
   * Drops the days older than `retentionDays` before `today`, then the oldest days while the
   * database is above its size cap (the current day last, its oldest rows first), and the
   * reports of dropped days; gives the space back to the file system.
   */
  prune(today: number, retentionDays: number): PruneResult {
    // Counts first: an update must not land on a row id a deletion frees.
    this.applyCounts();
    const db = this.#db;
    let rows = 0;
    let days = 0;
    let partialDay: number | undefined;
    const cutoff = today - retentionDays + 1;
    const old = db.prepare("SELECT count(DISTINCT day) FROM seen WHERE day < ?").values(cutoff)[0]![0];
    if (Number(old) > 0) {
      rows += this.#deleteInSteps("day < ?", cutoff);
      days += Number(old);
    }
    db.prepare("DELETE FROM reported WHERE day < ?").run(cutoff);
    db.exec("PRAGMA incremental_vacuum");
    const oldestDay = db.prepare("SELECT min(day), max(day) FROM seen");
    for (let guard = 0; guard < 10_000 && this.#usedBytes() > this.#maxBytes; guard++) {
      const [min, max] = oldestDay.values()[0] as [number | null, number | null];
      if (min === null || max === null) break;
      // The keys of a day that loses rows are read again at its next write.
      this.#days.delete(min);
      if (min < max) {
        rows += this.#deleteInSteps("day = ?", min);
        days++;
      } else {
        // One day left and still too big: its oldest tenth goes.
        const tenth = Math.max(1, Math.floor(this.#rows / 10));
        const last = db.prepare("SELECT id FROM seen ORDER BY id LIMIT 1 OFFSET ?").values(tenth - 1)[0]?.[0] ?? 0;
        rows += this.#deleteInSteps("id <= ?", Number(last));
        partialDay = min;
      }
      db.exec("PRAGMA incremental_vacuum");
    }
    this.#rows -= rows;
    for (const day of this.#days.keys()) if (day < cutoff) this.#days.delete(day);
    return { rows, days, ...(partialDay === undefined ? {} : { partialDay }) };
  }

  stats(): StoreStats {
    const min = this.#db.prepare("SELECT min(day) FROM seen").values()[0]![0] as number | null;
    const oldest = min === null ? undefined : new Date(min * DAY_MS).toISOString().slice(0, 10);
    return { rows: this.#rows, bytes: this.#usedBytes(), ...(oldest === undefined ? {} : { oldestDay: oldest }) };
  }

  close(): void {
    try {
      this.applyCounts();
      this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      this.#db.close();
    }
  }

  /**
   * Deletes the rows of `seen` matching `where` (one `?`) a few thousand at a time, each step
   * its own transaction: the other connection (a retro run's reports) never waits long for the lock.
   */
  #deleteInSteps(where: string, param: number): number {
    const step = this.#db.prepare(`DELETE FROM seen WHERE id IN (SELECT id FROM seen WHERE ${where} LIMIT 5000)`);
    let total = 0;
    for (let n = step.run(param); n > 0; n = step.run(param)) total += n;
    return total;
  }

  #usedBytes(): number {
    const pages = Number(this.#db.prepare("PRAGMA page_count").values()[0]![0]);
    const free = Number(this.#db.prepare("PRAGMA freelist_count").values()[0]![0]);
    return (pages - free) * this.#pageSize;
  }
}
