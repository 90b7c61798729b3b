/**
 * The main thread's side of RetroScan's batch: each event's values are recorded as numbers —
 * where the event sits in the text the framer decoded it with (many events share one string),
 * where each value sits in the event, its type and regex — and a flush hands the record to the
 * writer thread, whose `ValueBatch.addRaw` does the rest (the known-value probe, counts, new
 * values) on its own core. Folding in the batch cost the event thread 0.4–0.6 µs an event on the
 * benchmark's corpus, a cache miss per value in the table of the day's values
 * (docs/performance.md, session 10); recording costs it a few stores a value.
 */
import { STORED_TYPES } from "./retro_store.ts";
import { doubled } from "./_known_values.ts";
import type { RetainValues } from "./value_batch.ts";

/** Type → code: a Map of the few type strings (their hash is kept with them) beats `indexOf`'s compares. */
export const TYPE_CODES: ReadonlyMap<string, number> = new Map(STORED_TYPES.map((type, code) => [type, code]));

/** Ints per event in {@link RawValues.eventInts}: text, start, length, source, client (-1: none), slot names, values. */
export const EVENT_INTS = 7;
/** Ints per value in {@link RawValues.valueInts}: slot, type code, start and end in its event (start -1 - k: it is `strings[k]`). */
export const VALUE_INTS = 4;

/** Recorded events, as they travel to the writer thread (the typed arrays are transferred, not copied). */
export interface RawValues {
  readonly events: number;
  readonly values: number;
  /** Event `e` is `texts[i].slice(start, start + length)` (ints `i`, `start`, `length` of its {@link EVENT_INTS}). */
  readonly texts: string[];
  readonly eventInts: Int32Array;
  /** Each event's time (epoch ms). */
  readonly at: Float64Array;
  readonly valueInts: Int32Array;
  /** Values that are not a span of their event (a template's value, or after a Replace rule). */
  readonly strings: string[];
  readonly sources: string[];
  readonly clients: string[];
  /** The regex names by slot, of each config the events came under. */
  readonly slotNames: (readonly string[])[];
}

/** Options of a {@link RawValueLog}. */
export interface RawValueLogOptions {
  /** Values after which the flush is due at once. */
  readonly flushValues: number;
  /** Values held at most: past it (the writer is behind) an event's values are dropped and counted. */
  readonly maxValues: number;
  /** Characters of kept texts after which the flush is due at once. */
  readonly flushChars: number;
  /** Characters of kept texts at most: past it (the writer is behind) an event's values are dropped and counted. */
  readonly maxChars: number;
  /** Called when the log goes from empty to not (`due` false: schedule a flush) and when the flush is due at once (`due` true). */
  readonly onPending: (due: boolean) => void;
}

const NO_NAMES: readonly string[] = [];

/**
 * @example
 * ```ts
 * const log = new RawValueLog({ flushValues: 50_000, maxValues: 1 << 20, flushChars: 1 << 24, maxChars: 1 << 26, onPending });
 * log.add(values, event, "default", slotNames, "10.0.0.5", Date.now(), event, spans, base, offset);
 * const raw = log.take(); // postMessage(raw, transferOf(raw)), then ValueBatch.addRaw(raw) there
 * ```
 */
export class RawValueLog {
  readonly #options: RawValueLogOptions;
  #texts: string[] = [];
  #chars = 0;
  #lastBase: string | undefined;
  #lastBaseIndex = -1;
  #eventInts = new Int32Array(EVENT_INTS * 4096);
  #at = new Float64Array(4096);
  #valueInts = new Int32Array(VALUE_INTS * 8192);
  #events = 0;
  #values = 0;
  #strings: string[] = [];
  #sources = new StringList();
  #clients = new StringList();
  #slotNames: (readonly string[])[] = [];
  #lastSlotNames: readonly string[] = NO_NAMES;
  #lastSlotNamesIndex = -1;
  #stopped = false;
  /** The flush was asked for at once since the last take. */
  #due = false;
  /** Values dropped because the log was full, since start. */
  dropped = 0;

  constructor(options: RawValueLogOptions) {
    this.#options = options;
  }

  /** Records nothing from now on (RetroScan turned itself off); what it holds stays until taken. */
  stop(): void {
    this.#stopped = true;
  }

  /** Values waiting for the next flush (repeats included). */
  get size(): number {
    return this.#values;
  }

  /** Records one event's values; keeps no string per event or value when the event is a slice of `base` and the values spans of it. */
  readonly add: RetainValues = (values, event, sourceId, slotNames, client, at, text, spans, base, baseOffset) => {
    if (this.#stopped) return;
    const count = values.length;
    const { maxValues, maxChars, onPending } = this.#options;
    const before = this.#values;
    if (before + count > maxValues || this.#chars > maxChars) {
      this.dropped += count;
      return;
    }
    let textIndex: number;
    let start = 0;
    if (base === undefined) {
      textIndex = this.#texts.push(event) - 1;
      this.#chars += event.length;
    } else {
      if (base !== this.#lastBase) {
        this.#lastBase = base;
        this.#lastBaseIndex = this.#texts.push(base) - 1;
        this.#chars += base.length;
      }
      textIndex = this.#lastBaseIndex;
      start = baseOffset!;
    }
    const e = this.#events;
    if ((e + 1) * EVENT_INTS > this.#eventInts.length) {
      this.#eventInts = doubled(this.#eventInts);
      this.#at = doubled(this.#at);
    }
    const ints = this.#eventInts;
    const o = e * EVENT_INTS;
    ints[o] = textIndex;
    ints[o + 1] = start;
    ints[o + 2] = event.length;
    ints[o + 3] = this.#sources.indexOf(sourceId);
    ints[o + 4] = client === undefined ? -1 : this.#clients.indexOf(client);
    ints[o + 5] = this.#names(slotNames);
    ints[o + 6] = count;
    this.#at[e] = at;
    this.#events = e + 1;
    while ((before + count) * VALUE_INTS > this.#valueInts.length) this.#valueInts = doubled(this.#valueInts);
    const out = this.#valueInts;
    // Spans are of `text`: the event itself unless a Replace rule rewrote it.
    const inPlace = spans !== undefined && (text === undefined || text === event);
    for (let i = 0; i < count; i++) {
      const v = values[i]!;
      const q = (before + i) * VALUE_INTS;
      out[q] = v.slot;
      out[q + 1] = TYPE_CODES.get(v.type)!;
      const from = inPlace ? spans[2 * i]! : -1;
      if (from >= 0) {
        out[q + 2] = from;
        out[q + 3] = spans![2 * i + 1]!;
      } else {
        out[q + 2] = -1 - this.#strings.length;
        out[q + 3] = 0;
        this.#strings.push(v.value);
      }
    }
    this.#values = before + count;
    if (before === 0) onPending(false);
    if (!this.#due && (this.#values >= this.#options.flushValues || this.#chars >= this.#options.flushChars)) {
      this.#due = true;
      onPending(true);
    }
  };

  /** Everything recorded, leaving the log empty; the typed arrays are fresh copies, to transfer to the writer. */
  take(): RawValues {
    const raw: RawValues = {
      events: this.#events,
      values: this.#values,
      texts: this.#texts,
      eventInts: this.#eventInts.slice(0, this.#events * EVENT_INTS),
      at: this.#at.slice(0, this.#events),
      valueInts: this.#valueInts.slice(0, this.#values * VALUE_INTS),
      strings: this.#strings,
      sources: this.#sources.list,
      clients: this.#clients.list,
      slotNames: this.#slotNames,
    };
    this.#texts = [];
    this.#chars = 0;
    this.#due = false;
    this.#lastBase = undefined;
    this.#events = 0;
    this.#values = 0;
    this.#strings = [];
    this.#sources = new StringList();
    this.#clients = new StringList();
    this.#slotNames = [];
    this.#lastSlotNames = NO_NAMES;
    this.#lastSlotNamesIndex = -1;
    return raw;
  }

  #names(slotNames: readonly string[]): number {
    if (slotNames !== this.#lastSlotNames) {
      this.#lastSlotNames = slotNames;
      this.#lastSlotNamesIndex = this.#slotNames.push(slotNames) - 1;
    }
    return this.#lastSlotNamesIndex;
  }
}

/** Distinct strings in first-seen order; most events repeat the last one, which costs no Map lookup. */
class StringList {
  readonly list: string[] = [];
  readonly #index = new Map<string, number>();
  #last: string | undefined;
  #lastIndex = -1;

  /** The index of `s` in {@link list}, added when new. */
  indexOf(s: string): number {
    if (s === this.#last) return this.#lastIndex;
    let i = this.#index.get(s);
    if (i === undefined) {
      i = this.list.push(s) - 1;
      this.#index.set(s, i);
    }
    this.#last = s;
    this.#lastIndex = i;
    return i;
  }
}

/** The typed arrays of `raw`, to transfer with it. */
export function transferOf(raw: RawValues): ArrayBuffer[] {
  return [raw.eventInts.buffer as ArrayBuffer, raw.at.buffer as ArrayBuffer, raw.valueInts.buffer as ArrayBuffer];
}
