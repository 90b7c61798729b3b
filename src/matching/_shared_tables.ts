/**
 * Moves the typed arrays of the index's tables onto SharedArrayBuffers and describes the tables
 * as plain data, so that worker threads read one copy of the index (issue 17: RSS must not grow
 * with the number of workers). Structured clone passes a SharedArrayBuffer by reference, so the
 * description of a 1 GB index costs the threads only its small JS parts (interned contexts,
 * feed infos).
 */
import { EntryStore } from "./_entry_store.ts";
import { IpTable } from "./_ip_table.ts";
import { KeyTable } from "./_key_table.ts";
import { MaskIndex } from "./_mask_index.ts";
import { PresenceFilter } from "./_presence_filter.ts";

/** A table described for another thread: its class and its fields (typed arrays on shared memory). */
export interface SharedTable {
  readonly table: keyof typeof TABLES;
  readonly fields: Record<string, unknown>;
}

/** The classes a description may name; each builds with no arguments. */
const TABLES = {
  EntryStore: () => new EntryStore(),
  IpTable: () => new IpTable(),
  KeyTable: () => new KeyTable(),
  MaskIndex: () => new MaskIndex(),
  PresenceFilter: () => new PresenceFilter(0),
};

/**
 * Per class, the fields that are per-reader scratch (each thread needs its own) or that only
 * adding entries uses (a thread's copy is read-only): they are not described and a rebuilt table
 * keeps the fresh ones of its constructor.
 */
const PRIVATE_FIELDS: Record<string, ReadonlySet<string>> = {
  EntryStore: new Set(["contextIds", "pairs", "pairList", "last"]),
  KeyTable: new Set(["loadHashes"]),
  MaskIndex: new Set(["hits"]),
};

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

function isTyped(v: unknown): v is Typed {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** `a` on a SharedArrayBuffer (itself when it already is). */
function toShared<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(a.byteLength));
  (copy as unknown as { set(x: T): void }).set(a);
  return copy;
}

function tableName(v: unknown): keyof typeof TABLES | undefined {
  if (v instanceof EntryStore) return "EntryStore";
  if (v instanceof IpTable) return "IpTable";
  if (v instanceof KeyTable) return "KeyTable";
  if (v instanceof MaskIndex) return "MaskIndex";
  if (v instanceof PresenceFilter) return "PresenceFilter";
  return undefined;
}

/**
 * Moves every typed array among `owner`'s fields (not in `skip`) onto shared memory, in place,
 * and returns the fields as plain data; tables among them (alone or in arrays) are described
 * with {@link SharedTable}. Functions are left out.
 */
export function shareFields(owner: object, skip: ReadonlySet<string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const record = owner as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (skip.has(key)) continue;
    const value = record[key];
    if (typeof value === "function") continue;
    if (isTyped(value)) fields[key] = record[key] = toShared(value);
    else if (Array.isArray(value) && value.length > 0 && tableName(value[0]) !== undefined) fields[key] = value.map(shareTable);
    else fields[key] = tableName(value) === undefined ? value : shareTable(value as object);
  }
  return fields;
}

function shareTable(table: object): SharedTable {
  const name = tableName(table)!;
  return { table: name, fields: shareFields(table, PRIVATE_FIELDS[name] ?? new Set()) };
}

/** The value of a described field: tables rebuilt (sharing the same memory), the rest as it is. */
export function rebuildField(value: unknown): unknown {
  if (Array.isArray(value) && value.length > 0 && isSharedTable(value[0])) return value.map(rebuildField);
  if (!isSharedTable(value)) return value;
  const table = TABLES[value.table]();
  for (const [key, field] of Object.entries(value.fields)) (table as unknown as Record<string, unknown>)[key] = rebuildField(field);
  return table;
}

function isSharedTable(v: unknown): v is SharedTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isTyped(v) && typeof (v as SharedTable).table === "string" &&
    (v as SharedTable).table in TABLES && typeof (v as SharedTable).fields === "object";
}
