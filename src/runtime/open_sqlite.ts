/**
 * An embedded SQLite database through the runtime's own driver: `bun:sqlite` on Bun (source or
 * compiled binary), `node:sqlite` (`DatabaseSync`) on Deno. The rest of src/ sees only the small
 * {@link SqliteDb} interface below, the same on both.
 *
 * | need                     | bun:sqlite                     | node:sqlite (Deno)                    |
 * |--------------------------|--------------------------------|---------------------------------------|
 * | open                     | `new Database(path)`           | `new DatabaseSync(path)`              |
 * | rows as arrays           | `statement.values(...)`        | `setReturnArrays(true)` + `all(...)`  |
 * | error kind               | `SQLiteError.message`          | `Error.message` (code ERR_SQLITE_ERROR) |
 *
 * Both drivers word SQLite's result codes the same way (`sqlite3_errstr`), so the fault kinds
 * are told apart by message, which works on both.
 */

/** A value SQLite stores or returns. */
export type SqlValue = string | number | bigint | Uint8Array | null;

/** A prepared statement. */
export interface SqliteStatement {
  /** Runs it; how many rows it changed. */
  run(...params: SqlValue[]): number;
  /** The first row as an object, or undefined. */
  get(...params: SqlValue[]): Record<string, SqlValue> | undefined;
  /** Every row as an array of column values, in column order. */
  values(...params: SqlValue[]): SqlValue[][];
}

/** One open database. */
export interface SqliteDb {
  /** Runs SQL text (several statements allowed), no parameters, no result. */
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs `body` inside BEGIN … COMMIT; ROLLBACK and rethrow when it throws. */
  transaction<T>(body: () => T): T;
  close(): void;
}

/** What went wrong with a database, as far as the caller needs to tell (see {@link sqliteFault}). */
export type SqliteFault = "locked" | "corrupt" | "full" | "other";

interface BunStatement {
  run(...params: SqlValue[]): { changes: number };
  get(...params: SqlValue[]): Record<string, SqlValue> | null;
  values(...params: SqlValue[]): SqlValue[][];
}
interface NodeStatement {
  run(...params: SqlValue[]): { changes: number | bigint };
  get(...params: SqlValue[]): Record<string, SqlValue> | undefined;
  all(...params: SqlValue[]): unknown[];
  setReturnArrays(enabled: boolean): void;
}
declare const Deno: unknown;

/**
 * Opens (creating when absent) the database file at `path`. Throws the driver's error when the
 * file cannot be opened; classify it with {@link sqliteFault}.
 *
 * @example
 * ```ts
 * const db = await openSqlite("/var/lib/ioclens/retroscan.db");
 * db.exec("PRAGMA journal_mode=WAL");
 * const count = db.prepare("SELECT count(*) AS n FROM seen").get()?.n;
 * ```
 */
export async function openSqlite(path: string): Promise<SqliteDb> {
  if (typeof Deno !== "undefined") {
    const { DatabaseSync } = (await import("node:sqlite")) as unknown as { DatabaseSync: new (path: string) => NodeDb };
    return wrapNode(new DatabaseSync(path));
  }
  const { Database } = (await import("bun:sqlite")) as unknown as { Database: new (path: string, options: { create: boolean }) => BunDb };
  return wrapBun(new Database(path, { create: true }));
}

interface BunDb {
  exec(sql: string): void;
  prepare(sql: string): BunStatement;
  close(throwOnError?: boolean): void;
}
interface NodeDb {
  exec(sql: string): void;
  prepare(sql: string): NodeStatement;
  close(): void;
}

function wrapBun(db: BunDb): SqliteDb {
  return withTransaction({
    exec: (sql) => db.exec(sql),
    prepare: (sql) => {
      const s = db.prepare(sql);
      return {
        run: (...p) => s.run(...p).changes,
        get: (...p) => s.get(...p) ?? undefined,
        values: (...p) => s.values(...p),
      };
    },
    close: () => db.close(false),
  });
}

function wrapNode(db: NodeDb): SqliteDb {
  return withTransaction({
    exec: (sql) => db.exec(sql),
    prepare: (sql) => {
      const s = db.prepare(sql);
      const rows = db.prepare(sql);
      rows.setReturnArrays(true);
      return {
        run: (...p) => Number(s.run(...p).changes),
        get: (...p) => s.get(...p),
        values: (...p) => rows.all(...p) as SqlValue[][],
      };
    },
    close: () => db.close(),
  });
}

function withTransaction(db: Omit<SqliteDb, "transaction">): SqliteDb {
  return {
    ...db,
    transaction<T>(body: () => T): T {
      db.exec("BEGIN IMMEDIATE");
      let result: T;
      try {
        result = body();
      } catch (error) {
        try {
          db.exec("ROLLBACK");
        } catch {
          // SQLite may have rolled back already (SQLITE_FULL does); the first error is the one to tell.
        }
        throw error;
      }
      db.exec("COMMIT");
      return result;
    },
  };
}

/**
 * The kind of a database error: `locked` (another connection holds the lock), `corrupt` (not a
 * database, or a damaged one), `full` (disk or `max_page_count` reached), else `other`.
 *
 * @example
 * ```ts
 * sqliteFault(new Error("database is locked")); // "locked"
 * ```
 */
export function sqliteFault(error: unknown): SqliteFault {
  const message = error instanceof Error ? error.message : String(error);
  if (/database is locked|database table is locked|SQLITE_BUSY/i.test(message)) return "locked";
  if (/file is not a database|malformed|SQLITE_CORRUPT|SQLITE_NOTADB/i.test(message)) return "corrupt";
  if (/database or disk is full|SQLITE_FULL/i.test(message)) return "full";
  return "other";
}
