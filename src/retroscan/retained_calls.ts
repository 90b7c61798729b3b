/**
 * RetroScan's calls of a worker thread's events, carried to the main thread's batch in one
 * report: every string of them (event, Source id, client, values) in one text and the rest
 * (lengths, slots, type codes, times) in one Float64Array, so the message holds two objects
 * whatever the number of events. Posting them as arrays of tuples and value objects made the
 * structured clone cost more than the event itself (measured with Workers 2: 6.5–7.6 µs of
 * CPU per event in the worker and writer threads with RetroScan on, against 2.6–3.1 off;
 * docs/performance.md).
 */
import { STORED_TYPES, type StoredType } from "./retro_store.ts";
import type { RetainedValue, RetainValues } from "./value_batch.ts";

const TYPE_CODES: ReadonlyMap<string, number> = new Map(STORED_TYPES.map((type, code) => [type, code]));

/** Numbers per call before its values: value count, time, event, Source id and client lengths (-1: no client). */
const CALL_NUMS = 5;
/** Numbers per value: slot, type code, length. */
const VALUE_NUMS = 3;

/** What one report carries: the calls' strings, back to back, and their numbers. */
export interface RetainedCalls {
  readonly text: string;
  readonly nums: Float64Array;
}

/**
 * @example
 * ```ts
 * const calls = new RetainedCallsWriter();
 * calls.push(values, event, "default", "10.0.0.5", Date.now()); // as a RetainValues hook
 * post({ retained: calls.take() });
 * // main thread:
 * replayRetained(message.retained, slotNames, batch.add);
 * ```
 */
export class RetainedCallsWriter {
  #parts: string[] = [];
  #nums: number[] = [];

  /** Notes one call of the RetainValues hook (its slot names travel once per report). */
  push(values: readonly RetainedValue[], event: string, sourceId: string, client: string | undefined, at: number): void {
    const nums = this.#nums;
    nums.push(values.length, at, event.length, sourceId.length, client === undefined ? -1 : client.length);
    let text = event + sourceId + (client ?? "");
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      nums.push(v.slot, TYPE_CODES.get(v.type)!, v.value.length);
      text += v.value;
    }
    this.#parts.push(text);
  }

  /** The calls noted since the last take, or undefined when there are none. */
  take(): RetainedCalls | undefined {
    if (this.#parts.length === 0) return undefined;
    const calls = { text: this.#parts.join(""), nums: Float64Array.from(this.#nums) };
    this.#parts = [];
    this.#nums = [];
    return calls;
  }
}

/** Makes the calls `calls` holds, in order, to `retain`. Throws on numbers that do not fit the text. */
export function replayRetained(calls: RetainedCalls, slotNames: readonly string[], retain: RetainValues): void {
  const { text, nums } = calls;
  let at = 0;
  for (let o = 0; o < nums.length; ) {
    const count = nums[o]!;
    const time = nums[o + 1]!;
    const eventEnd = at + nums[o + 2]!;
    const sourceEnd = eventEnd + nums[o + 3]!;
    const clientLength = nums[o + 4]!;
    const clientEnd = sourceEnd + Math.max(0, clientLength);
    o += CALL_NUMS;
    const values: RetainedValue[] = [];
    let from = clientEnd;
    for (let i = 0; i < count; i++, o += VALUE_NUMS) {
      const to = from + nums[o + 2]!;
      values.push({ slot: nums[o]!, type: STORED_TYPES[nums[o + 1]!] as StoredType, value: text.slice(from, to) });
      from = to;
    }
    if (from > text.length || o > nums.length) throw new Error(`retained calls: numbers past the text (${from} > ${text.length} characters)`);
    retain(values, text.slice(at, eventEnd), text.slice(eventEnd, sourceEnd), slotNames, clientLength < 0 ? undefined : text.slice(sourceEnd, clientEnd), time);
    at = from;
  }
}
