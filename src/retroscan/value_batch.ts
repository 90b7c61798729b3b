/**
 * The hot-path side of RetroScan: the values of each event are folded into a bounded in-memory
 * batch, one entry per distinct (type, value, day), which a flush takes whole, in columns, and
 * hands to the writer thread. Over the limit, new values are dropped and counted, never silently.
 */
import { dayOf, STORED_TYPES, type StoredColumns, type StoredType, type StoredValue } from "./retro_store.ts";
import { encodeValues, fromColumns, NUMS_PER_VALUE, type EncodedValues } from "./_value_codec.ts";

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
  /**
   * Called when the batch goes from empty to non-empty, when it holds `flushSize` values and
   * when it is half full (schedule a flush).
   */
  readonly onPending: () => void;
  /** Values after which a flush is due at once (default: half the limit). */
  readonly flushSize?: number;
}

/**
 * @example
 * ```ts
 * const batch = new ValueBatch({ limit: 100_000, excerptLength: 256, onPending: scheduleFlush });
 * batch.add(values, event, "default", slotNames, "10.0.0.5", Date.now());
 * writer.postMessage(batch.takeEncoded());
 * ```
 */
export class ValueBatch {
  #options: ValueBatchOptions;
  /**
   * Per type code: value → index, for values of {@link #day}. JSC's own string hash (computed in
   * native code, kept with the string) beats any hash computed in JavaScript here: the service's
   * profile had a 32-bit FNV over the value's characters at 13 % of the event thread, a Map per
   * type is a few %. The maps are cleared, not replaced, at each flush (16,384 values at most:
   * they stay small).
   */
  readonly #maps: Map<string, number>[] = STORED_TYPES.map(() => new Map<string, number>());
  /** The day of the batch's first value. */
  #day = -1;
  /** The same maps for values of other days (events around midnight). */
  #otherDays = new Map<number, Map<string, number>[]>();
  /** {@link NUMS_PER_VALUE} numbers per value, in columns as the writer takes them. */
  #nums = new Float64Array(NUMS_PER_VALUE * 1024);
  #n = 0;
  #values: string[] = [];
  /** Source id, client and excerpt of each event that brought a new value. */
  #events: string[] = [];
  #rules: string[] = [];
  #ruleIndex = new Map<string, number>();
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
    return this.#n;
  }

  /**
   * Folds one event's values in: a repeat adds to its value's count, a new value appends its
   * numbers to one Float64Array and its text to an array; the event's fields are kept once for
   * all its new values. No object per value.
   */
  readonly add: RetainValues = (values, event, sourceId, slotNames, client, at) => {
    const { limit, rules, excerptLength } = this.#options;
    const day = dayOf(at);
    if (this.#n === 0) this.#day = day;
    const maps = day === this.#day ? this.#maps : this.#mapsOf(day);
    let eventIndex = -1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const rule = slotNames[v.slot] ?? "";
      if (rules !== undefined && !rules.has(rule)) continue;
      const code = STORED_TYPES.indexOf(v.type);
      const value = v.value;
      const map = maps[code]!;
      const found = map.get(value);
      const nums = this.#nums;
      if (found !== undefined) {
        const o = found * NUMS_PER_VALUE;
        nums[o + 2]!++;
        if (at > nums[o + 4]!) nums[o + 4] = at;
        continue;
      }
      const n = this.#n;
      if (n >= limit) {
        this.dropped++;
        continue;
      }
      if (eventIndex < 0) {
        eventIndex = this.#events.length / 3;
        this.#events.push(sourceId, client ?? "", excerptLength === 0 ? "" : event.slice(0, excerptLength));
      }
      let ruleIndex = this.#ruleIndex.get(rule);
      if (ruleIndex === undefined) {
        ruleIndex = this.#rules.length;
        this.#ruleIndex.set(rule, ruleIndex);
        this.#rules.push(rule);
      }
      map.set(value, n);
      if ((n + 1) * NUMS_PER_VALUE > nums.length) {
        this.#nums = new Float64Array(nums.length * 2);
        this.#nums.set(nums);
      }
      const o = n * NUMS_PER_VALUE;
      const out = this.#nums;
      out[o] = code;
      out[o + 1] = day;
      out[o + 2] = 1;
      out[o + 3] = at;
      out[o + 4] = at;
      out[o + 5] = ruleIndex;
      out[o + 6] = eventIndex;
      this.#values.push(value);
      this.#n = n + 1;
      if (n === 0 || n + 1 === limit >>> 1 || n + 1 === this.#options.flushSize) this.#options.onPending();
    }
  };

  /** Everything pending as columns (a copy), leaving the batch empty. */
  takeColumns(): StoredColumns {
    const columns = this.#columns();
    this.#reset();
    return { ...columns, nums: columns.nums.slice() };
  }

  /** Everything pending in the writer's form, leaving the batch empty (its arrays are reused). */
  takeEncoded(): EncodedValues {
    const encoded = encodeValues(this.#columns());
    this.#reset();
    return encoded;
  }

  #columns(): StoredColumns {
    return { n: this.#n, nums: this.#nums.subarray(0, this.#n * NUMS_PER_VALUE), values: this.#values, events: this.#events, rules: this.#rules };
  }

  #reset(): void {
    for (const map of this.#maps) map.clear();
    this.#otherDays = new Map();
    this.#day = -1;
    this.#n = 0;
    this.#values = [];
    this.#events = [];
    this.#rules = [];
    this.#ruleIndex = new Map();
  }

  /** Everything pending as objects, leaving the batch empty. */
  take(): StoredValue[] {
    return fromColumns(this.takeColumns());
  }

  #mapsOf(day: number): Map<string, number>[] {
    let maps = this.#otherDays.get(day);
    if (maps === undefined) this.#otherDays.set(day, (maps = STORED_TYPES.map(() => new Map<string, number>())));
    return maps;
  }
}

