/**
 * The hot-path side of RetroScan: the values of each event are folded into a bounded in-memory
 * map, one entry per distinct (type, value, day), which a flush takes whole and writes in one
 * transaction. Over the limit, new values are dropped and counted, never silently.
 */
import { dayOf, type StoredType, type StoredValue } from "./retro_store.ts";

/** A typed value the service extracted, and the regex slot that produced it. */
export interface RetainedValue {
  readonly slot: number;
  readonly type: StoredType;
  readonly value: string;
}

/**
 * What the event path calls for every event that yielded typed values: the values, the event
 * text, its Source id, the regex names by slot, the client address and the event time.
 */
export type RetainValues = (
  values: readonly RetainedValue[],
  event: string,
  sourceId: string,
  slotNames: readonly string[],
  client: string | undefined,
  at: number,
) => void;

/** Options of a {@link ValueBatch}. */
export interface ValueBatchOptions {
  /** Distinct values held at most. */
  readonly limit: number;
  /** Characters of the event kept with a value's first sighting; 0 keeps none. */
  readonly excerptLength: number;
  /** Regex names whose values are kept; undefined keeps every typed value. */
  readonly rules?: ReadonlySet<string>;
  /** Called when the batch goes from empty to non-empty, and when it is half full (schedule a flush). */
  readonly onPending: () => void;
}

/**
 * @example
 * ```ts
 * const batch = new ValueBatch({ limit: 100_000, excerptLength: 256, onPending: scheduleFlush });
 * batch.add(values, event, "default", slotNames, "10.0.0.5", Date.now());
 * store.write(batch.take());
 * ```
 */
export class ValueBatch {
  #pending = new Map<string, StoredValue>();
  #options: ValueBatchOptions;
  /** Values dropped because the batch was full, since start. */
  dropped = 0;

  constructor(options: ValueBatchOptions) {
    this.#options = options;
  }

  /** Takes new options (a reload); what is pending stays. */
  configure(options: ValueBatchOptions): void {
    this.#options = options;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Folds one event's values in. */
  readonly add: RetainValues = (values, event, sourceId, slotNames, client, at) => {
    const { limit, rules, excerptLength } = this.#options;
    const pending = this.#pending;
    const day = dayOf(at);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const rule = slotNames[v.slot] ?? "";
      if (rules !== undefined && !rules.has(rule)) continue;
      const key = `${v.type}\0${day}\0${v.value}`;
      const seen = pending.get(key);
      if (seen !== undefined) {
        seen.count++;
        if (at > seen.lastAt) seen.lastAt = at;
        continue;
      }
      if (pending.size >= limit) {
        this.dropped++;
        continue;
      }
      pending.set(key, {
        type: v.type,
        value: v.value,
        day,
        count: 1,
        firstAt: at,
        lastAt: at,
        sourceId,
        rule,
        client: client ?? "",
        excerpt: excerptLength === 0 ? "" : event.slice(0, excerptLength),
      });
      if (pending.size === 1 || pending.size === limit >>> 1) this.#options.onPending();
    }
  };

  /** Everything pending, leaving the batch empty. */
  take(): StoredValue[] {
    const values = [...this.#pending.values()];
    this.#pending = new Map();
    return values;
  }
}
