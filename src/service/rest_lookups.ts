/**
 * The CyberTrace REST lookup (`POST /api/{v}/lookup`, spec cybertrace-service.md §7.4) with its
 * limits: objects and bytes per request (413), requests at once (429), and the work cut into
 * slices with the event loop free between them, so the worker keeps answering `PING` and other
 * clients while a big lookup runs.
 *
 * Before the limits, 3 concurrent lookups of 2.65 M objects (63 MiB each) left PING unanswered
 * for 17.6 s, took the worker to 2.4 GB and got it killed by the watchdog, every connection with
 * it (issue 12 #6; docs/operations.md has the figures after).
 */
import type { RestLookupLimits } from "../config/types.ts";
import { LookupBodyScanner, type LookupBodyProblem } from "./lookup_body_scanner.ts";
import type { Logger } from "./logger.ts";
import type { LookupAnswer, RestLookupStats } from "./service_status.ts";

/** CyberTrace's documented body limit (64 MB, spec §7.4) and ours for objects and concurrency. */
export const DEFAULT_REST_LOOKUP_LIMITS: RestLookupLimits = { maxObjects: 1_000_000, maxBodyBytes: 64 * 1024 * 1024, maxConcurrent: 2 };

/**
 * Objects per slice: about 9 ms of parse, lookup and JSON each (10,000 took 22 ms on the
 * 2-core test machine), so PING waits at most a slice behind each running lookup.
 */
const SLICE_OBJECTS = 4096;
/** Bytes per slice, for bodies of long values. */
const SLICE_BYTES = 1 << 20;
/** The body is read and scanned a MiB at a time, with the event loop let go of in between. */
const SCAN_STEP = 1 << 20;
/** Answers up to this size are sent whole, with a Content-Length; bigger ones are streamed. */
const WHOLE_ANSWER_BYTES = 4 << 20;

export interface RestLookupsDeps {
  /** Looks values up with the `http_single_lookup` rules, one answer per value, in order. */
  lookup(values: string[]): Promise<LookupAnswer[]>;
  readonly limits?: Partial<RestLookupLimits>;
  readonly log?: Logger;
  /** Lets the event loop run I/O (PING, other requests); default: a macrotask (setImmediate). */
  readonly yieldToLoop?: () => Promise<void>;
}

/**
 * Answers lookups under the limits and counts them for /status and /metrics.
 *
 * @example
 * ```ts
 * const lookups = new RestLookups({ lookup: service.lookup, limits: config.status.lookupLimits, log });
 * const response = await lookups.answer(request); // 200 JSON, or 400 / 413 / 429 {"error": …}
 * ```
 */
export class RestLookups {
  readonly #deps: RestLookupsDeps;
  readonly #limits: RestLookupLimits;
  readonly #yield: () => Promise<void>;
  #active = 0;
  #answered = 0;
  #objects = 0;
  #tooLarge = 0;
  #busy = 0;

  constructor(deps: RestLookupsDeps) {
    this.#deps = deps;
    this.#limits = { ...DEFAULT_REST_LOOKUP_LIMITS, ...deps.limits };
    this.#yield = deps.yieldToLoop ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  }

  stats(): RestLookupStats {
    const { maxObjects, maxBodyBytes, maxConcurrent } = this.#limits;
    return {
      active: this.#active,
      answered: this.#answered,
      objects: this.#objects,
      rejectedTooLarge: this.#tooLarge,
      rejectedBusy: this.#busy,
      limits: { maxObjects, maxBodyBytes, maxConcurrent },
    };
  }

  /** Answers one lookup request (method, Accept and readiness already checked by the caller). */
  async answer(request: Request): Promise<Response> {
    const { maxBodyBytes, maxConcurrent } = this.#limits;
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > maxBodyBytes) return this.#tooLargeBody(`${declared} bytes declared`);
    if (this.#active >= maxConcurrent) {
      this.#busy++;
      // A client retrying in a loop would flood the log: the 1st, 2nd, 4th, 8th… refusal is logged.
      if ((this.#busy & (this.#busy - 1)) === 0) {
        this.#deps.log?.("warn", `REST lookup refused: ${this.#active} in progress, the limit (StatusEndpoint > MaxConcurrentLookups); ${this.#busy} refused so far`);
      }
      return error(429, `Too many lookups in progress: ${this.#active}, expected at most ${maxConcurrent} at once (StatusEndpoint > MaxConcurrentLookups); retry later`, { "Retry-After": "1" });
    }
    this.#active++;
    try {
      const body = await this.#read(request);
      return body instanceof Response ? body : await this.#lookUp(body.chunks, body.slices);
    } finally {
      this.#active--;
    }
  }

  /** Reads and scans the body, or answers the refusal: stops reading at the byte limit, and
   *  past the object limit (or malformed structure) only drains. */
  async #read(request: Request): Promise<{ chunks: Uint8Array[]; slices: readonly [number, number][] } | Response> {
    const { maxBodyBytes, maxObjects } = this.#limits;
    const scanner = new LookupBodyScanner({ maxObjects, sliceObjects: SLICE_OBJECTS, sliceBytes: SLICE_BYTES });
    const chunks: Uint8Array[] = [];
    let size = 0;
    let sinceYield = 0;
    let problem: LookupBodyProblem | undefined;
    if (request.body !== null) {
      const reader = request.body.getReader();
      for (;;) {
        // A body already buffered is read in microtasks only: the loop must be let go of.
        if (sinceYield >= SCAN_STEP) {
          sinceYield = 0;
          await this.#yield();
        }
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        sinceYield += value.byteLength;
        if (size > maxBodyBytes) {
          await reader.cancel();
          return this.#tooLargeBody(`more than that sent without a Content-Length`);
        }
        // Past a problem the rest is read and dropped: a client still sending would otherwise
        // see a reset connection instead of the answer.
        if (problem) continue;
        chunks.push(value);
        for (let at = 0; at < value.byteLength && !problem; at += SCAN_STEP) {
          problem = scanner.push(value.subarray(at, at + SCAN_STEP));
          if (value.byteLength > SCAN_STEP) await this.#yield();
        }
      }
    }
    problem ??= scanner.end();
    return problem ? this.#refuse(problem) : { chunks, slices: scanner.slices };
  }

  /**
   * Looks the slices up one by one. An answer of up to 4 MiB (about 60,000 objects) goes out
   * in one piece with a Content-Length, which CyberTrace's documentation lists among the
   * response headers; a bigger one is streamed part by part (chunked: Bun drops a
   * Content-Length given with a stream). Nothing big is joined whole: for 1 M objects, joining
   * the 23 MB body blocked the loop for 133 ms and a Blob of the 61 MB answer for 437 ms.
   */
  async #lookUp(chunks: readonly Uint8Array[], slices: readonly [number, number][]): Promise<Response> {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const encoder = new TextEncoder();
    const body = new ChunkCursor(chunks);
    const parts: (Uint8Array<ArrayBuffer> | undefined)[] = [encoder.encode("[")];
    let size = 1;
    let index = 0;
    for (const [start, end] of slices) {
      const values = parseSlice(decoder, body.bytes(start, end), index);
      if (typeof values === "string") return this.#refuse({ status: 400, error: values });
      const answers = await this.#deps.lookup(values);
      const part = encoder.encode(`${index > 0 ? "," : ""}${JSON.stringify(answers).slice(1, -1)}`);
      parts.push(part);
      size += part.byteLength;
      index += values.length;
      await this.#yield();
    }
    parts.push(encoder.encode("]"));
    size += 1;
    this.#answered++;
    this.#objects += index;
    const headers = { "Content-Type": "application/json" };
    if (size <= WHOLE_ANSWER_BYTES) {
      return new Response(new Blob(parts as Uint8Array<ArrayBuffer>[]), { status: 200, headers: { ...headers, "Content-Length": String(size) } });
    }
    let next = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts[next];
        // Each part is let go of once handed over.
        parts[next++] = undefined;
        if (part) controller.enqueue(part);
        if (next === parts.length) controller.close();
      },
    });
    return new Response(stream, { status: 200, headers });
  }

  #tooLargeBody(detail: string): Response {
    const max = this.#limits.maxBodyBytes;
    this.#tooLarge++;
    this.#deps.log?.("warn", `REST lookup refused: body over ${max} bytes (StatusEndpoint > MaxLookupBodySize): ${detail}`);
    return error(413, `Request body too large: expected at most ${max} bytes (StatusEndpoint > MaxLookupBodySize)`);
  }

  #refuse(problem: LookupBodyProblem): Response {
    if (problem.status === 413) {
      this.#tooLarge++;
      this.#deps.log?.("warn", `REST lookup refused: more than ${this.#limits.maxObjects} objects (StatusEndpoint > MaxLookupObjects)`);
    }
    return error(problem.status, problem.error);
  }
}

/** Byte ranges of a body kept as the chunks it arrived in; ranges are asked for in order. */
class ChunkCursor {
  readonly #chunks: readonly Uint8Array[];
  /** Index of the chunk that holds `#at`, and that chunk's offset in the body. */
  #index = 0;
  #at = 0;

  constructor(chunks: readonly Uint8Array[]) {
    this.#chunks = chunks;
  }

  /** Bytes `start` to `end` (at or after the previous range): a view, or a copy across chunks. */
  bytes(start: number, end: number): Uint8Array {
    while (start >= this.#at + this.#chunks[this.#index]!.byteLength) this.#at += this.#chunks[this.#index++]!.byteLength;
    const first = this.#chunks[this.#index]!;
    if (end <= this.#at + first.byteLength) return first.subarray(start - this.#at, end - this.#at);
    const out = new Uint8Array(end - start);
    let written = 0;
    for (let i = this.#index, offset = this.#at; written < out.length; offset += this.#chunks[i++]!.byteLength) {
      const chunk = this.#chunks[i]!;
      const from = Math.max(0, start - offset);
      const to = Math.min(chunk.byteLength, end - offset);
      out.set(chunk.subarray(from, to), written);
      written += to - from;
    }
    return out;
  }
}

function error(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: message }), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** The values of one slice (`{"object": …}, {"object": …}`), or what is wrong with it. `first`
 *  is the index of its first item in the whole body, for messages. Content-Type is not
 *  checked: clients that forget the header still send JSON. */
function parseSlice(decoder: TextDecoder, bytes: Uint8Array, first: number): string[] | string {
  let items: unknown[];
  try {
    items = JSON.parse(`[${decoder.decode(bytes)}]`) as unknown[];
  } catch (err) {
    const what = err instanceof TypeError ? "not UTF-8" : err instanceof Error ? err.message : String(err);
    return `Malformed lookup body: items ${first} and after: ${what}`;
  }
  const values: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    const value = typeof item === "object" && item !== null ? (item as { object?: unknown }).object : undefined;
    if (typeof value !== "string") {
      return `Malformed lookup body: item ${first + i} has no string "object", expected {"object": "<value>"}`;
    }
    values.push(value);
  }
  return values;
}
