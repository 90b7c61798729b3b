/**
 * The hot-path side of RetroScan: the values of each event are folded into a bounded in-memory
 * batch, one entry per distinct (type, value, day), which a flush takes whole, in columns, and
 * hands to the writer thread. Over the limit, new values are dropped and counted, never silently.
 */
import { dayOf, STORED_TYPES, type StoredColumns, type StoredType, type StoredValue } from "./retro_store.ts";
import { clean, encodeValues, fromColumns, NUMS_PER_VALUE, type EncodedValues } from "./_value_codec.ts";

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
 * writer.postMessage(batch.takeEncoded());
 * ```
 */
export class ValueBatch {
  #options: ValueBatchOptions;
  /** The day of the batch's first value; its values are found by type code in {@link #maps}. */
  #day = -1;
  /** Per type code: value → index, for values of {@link #day}. */
  #maps = newMaps();
  /** The same for other days (events around midnight). */
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
   * Folds one event's values in: a repeat adds to its value's count (a map lookup), a new value
   * appends its numbers to one Float64Array and its text to an array; the event's fields are
   * kept once for all its new values. No object per value.
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
      const map = maps[code]!;
      const seen = map.get(v.value);
      if (seen !== undefined) {
        const o = seen * NUMS_PER_VALUE;
        this.#nums[o + 2]!++;
        if (at > this.#nums[o + 4]!) this.#nums[o + 4] = at;
        continue;
      }
      const n = this.#n;
      if (n >= limit) {
        this.dropped++;
        continue;
      }
      if (eventIndex < 0) {
        eventIndex = this.#events.length / 3;
        this.#events.push(clean(sourceId), clean(client ?? ""), excerptLength === 0 ? "" : clean(event.slice(0, excerptLength)));
      }
      let ruleIndex = this.#ruleIndex.get(rule);
      if (ruleIndex === undefined) {
        ruleIndex = this.#rules.length;
        this.#ruleIndex.set(rule, ruleIndex);
        this.#rules.push(clean(rule));
      }
      let nums = this.#nums;
      const o = n * NUMS_PER_VALUE;
      if (o + NUMS_PER_VALUE > nums.length) {
        nums = new Float64Array(nums.length * 2);
        nums.set(this.#nums);
        this.#nums = nums;
      }
      nums[o] = code;
      nums[o + 1] = day;
      nums[o + 2] = 1;
      nums[o + 3] = at;
      nums[o + 4] = at;
      nums[o + 5] = ruleIndex;
      nums[o + 6] = eventIndex;
      this.#values.push(clean(v.value));
      map.set(v.value, n);
      this.#n = n + 1;
      if (n === 0 || n + 1 === limit >>> 1) this.#options.onPending();
    }
  };

  /** Everything pending as columns, leaving the batch empty. */
  takeColumns(): StoredColumns {
    const columns: StoredColumns = { n: this.#n, nums: this.#nums.subarray(0, this.#n * NUMS_PER_VALUE), values: this.#values, events: this.#events, rules: this.#rules };
    this.#nums = new Float64Array(NUMS_PER_VALUE * 1024);
    this.#n = 0;
    this.#values = [];
    this.#events = [];
    this.#rules = [];
    this.#ruleIndex = new Map();
    this.#maps = newMaps();
    this.#otherDays = new Map();
    this.#day = -1;
    return columns;
  }

  /** Everything pending in the writer's form, leaving the batch empty. */
  takeEncoded(): EncodedValues {
    return encodeValues(this.takeColumns());
  }

  /** Everything pending as objects, leaving the batch empty. */
  take(): StoredValue[] {
    return fromColumns(this.takeColumns());
  }

  #mapsOf(day: number): Map<string, number>[] {
    let maps = this.#otherDays.get(day);
    if (maps === undefined) this.#otherDays.set(day, (maps = newMaps()));
    return maps;
  }
}

function newMaps(): Map<string, number>[] {
  return STORED_TYPES.map(() => new Map<string, number>());
}
