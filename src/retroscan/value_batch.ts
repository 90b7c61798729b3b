/**
 * RetroScan's batch: the values of each event are folded into a bounded in-memory batch, one
 * entry per distinct (type, value, day), which a flush takes whole, in columns, for the writer.
 * It runs on the writer thread for the main thread's events (which records them: `addRaw`) and
 * on each worker thread for that thread's (`add`). Over the limit, new values are dropped and
 * counted, never silently.
 */
import { DAY_MS, dayOf, STORED_TYPES, type StoredColumns, type StoredType, type StoredValue } from "./retro_store.ts";
import { doubled, KnownValues } from "./_known_values.ts";
import { encodeValues, fromColumns, NUMS_PER_COUNT, NUMS_PER_VALUE, type EncodedValues } from "./_value_codec.ts";
import { EVENT_INTS, TYPE_CODES, VALUE_INTS, type RawValues } from "./_raw_values.ts";

/**
 * Values of one day the batch remembers at most (a 16-byte slot and 8 bytes of times each, the
 * table at most half full: 12 MiB at the cap); past it it starts over, and the values it forgot
 * travel once more with their text when seen again.
 */
const MAX_KNOWN = 1 << 18;

/** A batch in the writer's form (what {@link ValueBatch.takeEncoded} gives), for the threads that carry it. */
export type { EncodedValues } from "./_value_codec.ts";

/** A typed value the service extracted, and the regex slot that produced it. */
export interface RetainedValue {
  readonly slot: number;
  readonly type: StoredType;
  readonly value: string;
}

/**
 * What the event path calls for every event that yielded typed values: the values, the event
 * text, its Source id, the regex names by slot, the client address and the event time; and where
 * they can, where each value sits in a text (extraction's `event` and `spans`: value `i` is
 * `text.slice(spans[2i], spans[2i + 1])`, or `spans[2i]` is -1), so the batch reads a value in
 * place instead of making it a string of its own; and where the event sits in the text the framer
 * decoded it with (`event` is `base.slice(baseOffset, baseOffset + event.length)`), so that many
 * events can be kept as one string.
 */
export type RetainValues = (
  values: readonly RetainedValue[],
  event: string,
  sourceId: string,
  slotNames: readonly string[],
  client: string | undefined,
  at: number,
  text?: string,
  spans?: Int32Array,
  base?: string,
  baseOffset?: number,
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
   * Called when the batch goes from empty to non-empty, when it holds `flushSize` new values and
   * when it is half full. `due`: it holds at least `flushSize` new values (or half the limit), so
   * the flush is due at once; otherwise schedule one.
   */
  readonly onPending: (due: boolean) => void;
  /**
   * New values after which a flush is due at once (default: half the limit). Counts of known
   * values do not hasten it: they take fixed memory, and the fewer flushes a repeat spans, the
   * fewer count updates the writer makes.
   */
  readonly flushSize?: number;
  /** The event thread this batch is for (default 0, the main thread), told to the writer with each flush (`StoredColumns.producer`). */
  readonly producer?: number;
}

/** The event being folded in: its day's value maps (a late event's), times, text and fields, and its index in the batch once kept. */
interface CurrentEvent {
  maps: Map<string, number>[] | undefined;
  day: number;
  at: number;
  /** `at` as ms into its day. */
  ms: number;
  text: string;
  start: number;
  length: number;
  sourceId: string;
  client: string | undefined;
  /** Its index in the batch's events, -1 until one of its values is new. */
  index: number;
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
  readonly #options: ValueBatchOptions;
  /**
   * (type code, value) → handle and the events since the last flush, for the values of
   * {@link #day} handed over this generation (written, or pending in this batch). Kept across
   * flushes, so a value seen again travels as a count for its handle: no excerpt, no text, no
   * key lookup in the writer. Keyed by a hash, not a Map of strings: a Map's hit cost 0.4–0.7 µs
   * in the service (cache misses; _known_values.ts).
   */
  readonly #known = new KnownValues();
  /** The day of the known values: the latest day seen. */
  #day = -1;
  /** The first handle of this generation; handles below it were given before a new day or a full memory. */
  #first = 0;
  #nextHandle = 0;
  /**
   * The first handle given in this batch: a value with a handle from it up was brought by this
   * batch, and its entry here is `#entries[handle - #batchHandles]` (handles only grow).
   */
  #batchHandles = 0;
  #entries = new Int32Array(1024);
  /** Counts taken from {@link #known} (at a new generation, or for a take) not handed over yet: handle, count, firstAt, lastAt. */
  #carried = new Float64Array(NUMS_PER_COUNT * 1024);
  /** Numbers in {@link #carried}. */
  #carriedLength = 0;
  /** Value → index in this batch, per type, for events of days before {@link #day} (late events): no handles. */
  #otherDays = new Map<number, Map<string, number>[]>();
  /** {@link NUMS_PER_VALUE} numbers per value, in columns as the writer takes them. */
  #nums = new Float64Array(NUMS_PER_VALUE * 1024);
  #n = 0;
  #values: string[] = [];
  /** Source id, client and excerpt of each event that brought a new value. */
  #events: string[] = [];
  #rules: string[] = [];
  #ruleIndex = new Map<string, number>();
  /** The event {@link #fold} takes values of (see {@link #beginEvent}); one object, rewritten per event. */
  readonly #event: CurrentEvent = { maps: undefined, day: 0, at: 0, ms: 0, text: "", start: 0, length: 0, sourceId: "", client: undefined, index: -1 };
  /** Values dropped because the batch was full, since start. */
  dropped = 0;

  constructor(options: ValueBatchOptions) {
    this.#options = options;
  }

  /** New values and counts of known ones waiting for the next flush. */
  get size(): number {
    return this.#n + this.#known.counted + this.#carriedLength / NUMS_PER_COUNT;
  }

  /**
   * Folds one event's values in: a repeat adds to its value's count (in its {@link #known} slot,
   * or for a late event's value in this batch), a new value appends its numbers to one
   * Float64Array and its text to an array; the event's fields are kept once for all its new
   * values. No object per value.
   */
  readonly add: RetainValues = (values, event, sourceId, slotNames, client, at, text, spans) => {
    this.#beginEvent(event, 0, event.length, sourceId, client, at);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const code = TYPE_CODES.get(v.type)!;
      const rule = slotNames[v.slot] ?? "";
      const start = spans === undefined ? -1 : spans[2 * i]!;
      if (start >= 0) this.#fold(code, rule, text!, start, spans![2 * i + 1]!);
      else this.#fold(code, rule, v.value, 0, v.value.length);
    }
  };

  /**
   * Folds in the events an event thread recorded with {@link RawValueLog} (the writer thread
   * does this for the main thread, whose events then cost it no more than their recording).
   */
  addRaw(raw: RawValues): void {
    const { eventInts, valueInts, at, texts, strings, sources, clients, slotNames } = raw;
    let v = 0;
    for (let e = 0; e < raw.events; e++) {
      const o = e * EVENT_INTS;
      const text = texts[eventInts[o]!]!;
      const start = eventInts[o + 1]!;
      const client = eventInts[o + 4]!;
      const names = slotNames[eventInts[o + 5]!]!;
      this.#beginEvent(text, start, eventInts[o + 2]!, sources[eventInts[o + 3]!]!, client < 0 ? undefined : clients[client], at[e]!);
      for (const last = v + eventInts[o + 6]!; v < last; v++) {
        const q = v * VALUE_INTS;
        const from = valueInts[q + 2]!;
        const rule = names[valueInts[q]!] ?? "";
        if (from >= 0) this.#fold(valueInts[q + 1]!, rule, text, start + from, start + valueInts[q + 3]!);
        else {
          const value = strings[-1 - from]!;
          this.#fold(valueInts[q + 1]!, rule, value, 0, value.length);
        }
      }
    }
  }

  /** The event whose values {@link #fold} takes next: `text.slice(start, start + length)`, and its fields. */
  #beginEvent(text: string, start: number, length: number, sourceId: string, client: string | undefined, at: number): void {
    const day = dayOf(at);
    if (day > this.#day || this.#nextHandle - this.#first >= MAX_KNOWN) this.#newGeneration(Math.max(day, this.#day));
    const e = this.#event;
    e.maps = day === this.#day ? undefined : this.#otherDaysOf(day);
    e.day = day;
    e.at = at;
    e.ms = at - day * DAY_MS;
    e.text = text;
    e.start = start;
    e.length = length;
    e.sourceId = sourceId;
    e.client = client;
    e.index = -1;
  }

  /** One value of the current event, of type `code`, from the regex `rule`: `text.slice(start, end)`, read in place. */
  #fold(code: number, rule: string, text: string, start: number, end: number): void {
    const { limit, rules, excerptLength } = this.#options;
    if (rules !== undefined && !rules.has(rule)) return;
    const e = this.#event;
    const maps = e.maps;
    let value: string | undefined;
    if (maps === undefined) {
      const slot = this.#known.find(code, text, start, end);
      if (slot >= 0) {
        // Brought by this batch: its entry counts the repeat (no count to carry for it).
        const sinceBatch = this.#known.handleAt(slot) - this.#batchHandles;
        if (sinceBatch >= 0) this.#again(this.#entries[sinceBatch]!, e.at);
        else if (this.#known.count(slot, e.ms)) this.#pendingGrew(false);
        return;
      }
    } else {
      value = text.slice(start, end);
      const entry = maps[code]!.get(value);
      if (entry !== undefined) {
        this.#again(entry, e.at);
        return;
      }
    }
    const n = this.#n;
    if (n >= limit) {
      this.dropped++;
      return;
    }
    if (e.index < 0) {
      e.index = this.#events.length / 3;
      this.#events.push(e.sourceId, e.client ?? "", excerptLength === 0 ? "" : e.text.slice(e.start, e.start + Math.min(e.length, excerptLength)));
    }
    let ruleIndex = this.#ruleIndex.get(rule);
    if (ruleIndex === undefined) {
      ruleIndex = this.#ruleIndex.size;
      this.#ruleIndex.set(rule, ruleIndex);
      this.#rules.push(rule);
    }
    value ??= text.slice(start, end);
    let handle = -1;
    if (maps === undefined) {
      handle = this.#nextHandle++;
      this.#known.insertFound(handle);
      const k = handle - this.#batchHandles;
      if (k === this.#entries.length) this.#entries = doubled(this.#entries);
      this.#entries[k] = n;
    } else maps[code]!.set(value, n);
    if ((n + 1) * NUMS_PER_VALUE > this.#nums.length) this.#nums = doubled(this.#nums);
    const o = n * NUMS_PER_VALUE;
    const out = this.#nums;
    out[o] = code;
    out[o + 1] = e.day;
    out[o + 2] = 1;
    out[o + 3] = e.at;
    out[o + 4] = e.at;
    out[o + 5] = ruleIndex;
    out[o + 6] = e.index;
    out[o + 7] = handle;
    this.#values.push(value);
    this.#n = n + 1;
    this.#pendingGrew(true);
  }

  /**
   * Forgets which values of `day` were handed over, when it is the batch's day: the size cap
   * removed some of that day's rows, so each value seen again travels with its text once more
   * (the writer finds the rows that are left by their keys and adds the ones that are gone).
   */
  forgetDay(day: number): void {
    if (day === this.#day) this.#newGeneration(day);
  }

  /** One more event at `at` of the value pending in this batch at `entry`. */
  #again(entry: number, at: number): void {
    const o = entry * NUMS_PER_VALUE;
    const nums = this.#nums;
    nums[o + 2]!++;
    if (at > nums[o + 4]!) nums[o + 4] = at;
  }

  /**
   * Asks for a flush when the batch goes from empty to not, and when a new value makes it hold a
   * flush's worth of new values or half the limit (each grows by one at a time, so is seen once).
   */
  #pendingGrew(newValue: boolean): void {
    const { flushSize, limit } = this.#options;
    const half = limit >>> 1;
    const n = this.#n;
    if (this.size === 1 || (newValue && (n === flushSize || n === half))) this.#options.onPending(n >= Math.min(flushSize ?? half, half));
  }

  /**
   * Starts over with no known values, for `day`: a new day, or the memory of values full. The
   * counts gathered for this generation's handles are kept to be handed over with the next flush.
   */
  #newGeneration(day: number): void {
    this.#carryDirty();
    this.#known.clear();
    // Values of the old day still in this batch keep their handles: the writer notes them, and
    // `forgetBelow` lets it drop them once this batch is written.
    this.#first = this.#nextHandle;
    this.#day = day;
  }

  /** Everything pending as columns (a copy), leaving the batch empty. */
  takeColumns(): StoredColumns {
    return this.drain((columns) => ({ ...columns, nums: columns.nums.slice(), counts: columns.counts!.slice() }));
  }

  /** Everything pending in the writer's form, leaving the batch empty (its arrays are reused). */
  takeEncoded(): EncodedValues {
    return this.drain(encodeValues);
  }

  /**
   * Everything pending, given to `use`, then the batch is left empty; the columns' arrays are the
   * batch's own and reused after `use` returns (the writer thread writes them there, no copy).
   */
  drain<T>(use: (columns: StoredColumns) => T): T {
    try {
      return use(this.#columns());
    } finally {
      this.#reset();
    }
  }

  /** Moves the counts of this generation's values to {@link #carried} (handle, count, firstAt, lastAt each). */
  #carryDirty(): void {
    const need = this.#carriedLength + this.#known.counted * NUMS_PER_COUNT;
    while (need > this.#carried.length) this.#carried = doubled(this.#carried);
    this.#carriedLength = this.#known.takeCounts(this.#carried, this.#carriedLength, this.#day * DAY_MS);
  }

  /** What is pending, as columns; the counts are moved to {@link #carried} first (a reset follows). */
  #columns(): StoredColumns {
    this.#carryDirty();
    const counts = this.#carried.subarray(0, this.#carriedLength);
    return { n: this.#n, nums: this.#nums.subarray(0, this.#n * NUMS_PER_VALUE), values: this.#values, events: this.#events, rules: this.#rules, counts, forgetBelow: this.#first, producer: this.#options.producer ?? 0 };
  }

  #reset(): void {
    this.#batchHandles = this.#nextHandle;
    this.#carriedLength = 0;
    this.#otherDays = new Map();
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

  #otherDaysOf(day: number): Map<string, number>[] {
    let maps = this.#otherDays.get(day);
    if (maps === undefined) this.#otherDays.set(day, (maps = STORED_TYPES.map(() => new Map<string, number>())));
    return maps;
  }
}
