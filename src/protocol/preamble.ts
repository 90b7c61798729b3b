/**
 * Reads the control preamble a client may send as the very first bytes of a connection
 * (spec cybertrace-service.md §2.2): `X-KF-ReplyBack`, `X-KF-SendFinishedEvent`,
 * `X-KF-SaveStatistic` in any order, then optionally `PING`, with no separator required.
 * `X-IOCLENS-FinishedBack` is ours (docs/protocol.md §2): finished events come back on the
 * connection while detections go to the output, so `ioclens scan` without `-r` knows when each
 * line is done.
 */

/** What the preamble asked for, and the bytes after it (ordinary event data). */
export interface Preamble {
  readonly replyBack: boolean;
  readonly sendFinished: boolean;
  readonly saveStatistic: boolean;
  /** Ours: finished events come back on this connection even without ReplyBack. */
  readonly finishedBack: boolean;
  /** Health probe: answer `PONG\n`. */
  readonly ping: boolean;
  /** Bytes received after the preamble; a newline ending the preamble stays here (the framer skips the empty event). */
  readonly rest: Uint8Array;
}

const encoder = new TextEncoder();
/** The preamble tokens, in the order of {@link Preamble}'s flags. */
export const PREAMBLE_TOKENS = ["X-KF-ReplyBack", "X-KF-SendFinishedEvent", "X-KF-SaveStatistic", "X-IOCLENS-FinishedBack"] as const;
/**
 * The preamble a client sends, built from the flags it wants (the client half of this file).
 *
 * @example
 * ```ts
 * buildPreamble({ replyBack: true, ping: true }); // "X-KF-ReplyBackPING"
 * ```
 */
export function buildPreamble(flags: Partial<Omit<Preamble, "rest">>): string {
  return (flags.sendFinished ? PREAMBLE_TOKENS[1] : "") +
    (flags.replyBack ? PREAMBLE_TOKENS[0] : "") +
    (flags.saveStatistic ? PREAMBLE_TOKENS[2] : "") +
    (flags.finishedBack ? PREAMBLE_TOKENS[3] : "") +
    (flags.ping ? "PING" : "");
}

/** The health probe (spec §2.2): a free scanner answers `PONG`. */
export const PING_PREAMBLE = buildPreamble({ replyBack: true, ping: true });

const FLAG_TOKENS = PREAMBLE_TOKENS.map((t) => encoder.encode(t));
const PING = encoder.encode("PING");
/** A partial token is all that is ever held back, so this bounds the buffer. */
const MAX_PENDING = Math.max(PING.length, ...FLAG_TOKENS.map((t) => t.length)) - 1;

const COMPLETE = 1;
const PARTIAL = 0;
const MISMATCH = -1;

function compareAt(data: Uint8Array, pos: number, token: Uint8Array): number {
  const avail = data.length - pos;
  const k = avail < token.length ? avail : token.length;
  for (let i = 0; i < k; i++) if (data[pos + i] !== token[i]) return MISMATCH;
  return avail >= token.length ? COMPLETE : PARTIAL;
}

/**
 * Incremental preamble parser: `push` returns the decision as soon as the bytes seen can no
 * longer continue a token, or `undefined` while they still might (`X-KF-Rep` + `lyBackPING`
 * decides on the second chunk). Holds at most {@link MAX_PENDING} bytes.
 *
 * A flag may repeat (it is simply set again). `PING` counts only after at least one flag, so
 * an ordinary first event that begins with "PING" stays an event. After `PING` nothing more is
 * parsed. Once decided, the parser must not be pushed again.
 *
 * @example Split across two reads
 * ```ts
 * const p = new PreambleParser();
 * p.push(new TextEncoder().encode("X-KF-Rep"));            // undefined
 * p.push(new TextEncoder().encode("lyBackPING"))?.ping;    // true
 * ```
 */
export class PreambleParser {
  readonly #pending = new Uint8Array(MAX_PENDING);
  #pendingLen = 0;
  #flags = [false, false, false, false];
  #decided = false;

  /** Consumes the next bytes; returns the decision, or `undefined` when more bytes are needed. */
  push(chunk: Uint8Array): Preamble | undefined {
    if (this.#decided) throw new Error("Preamble parser push failed: the preamble was already decided");
    let data = chunk;
    if (this.#pendingLen > 0) {
      data = new Uint8Array(this.#pendingLen + chunk.length);
      data.set(this.#pending.subarray(0, this.#pendingLen), 0);
      data.set(chunk, this.#pendingLen);
      this.#pendingLen = 0;
    }
    let pos = 0;
    for (;;) {
      if (pos === data.length) return undefined;
      let partial = false;
      let consumed = false;
      for (let t = 0; t < FLAG_TOKENS.length; t++) {
        const token = FLAG_TOKENS[t]!;
        const r = compareAt(data, pos, token);
        if (r === COMPLETE) {
          this.#flags[t] = true;
          pos += token.length;
          consumed = true;
          break;
        }
        if (r === PARTIAL) partial = true;
      }
      if (consumed) continue;
      const anyFlag = this.#flags.includes(true);
      if (anyFlag) {
        const r = compareAt(data, pos, PING);
        if (r === COMPLETE) return this.#decide(true, data.subarray(pos + PING.length));
        if (r === PARTIAL) partial = true;
      }
      if (partial) {
        this.#pending.set(data.subarray(pos), 0);
        this.#pendingLen = data.length - pos;
        return undefined;
      }
      return this.#decide(false, data.subarray(pos));
    }
  }

  /** The connection ended (or a read timed out): decide with what was received. */
  end(): Preamble {
    if (this.#decided) throw new Error("Preamble parser end failed: the preamble was already decided");
    return this.#decide(false, this.#pending.slice(0, this.#pendingLen));
  }

  #decide(ping: boolean, rest: Uint8Array): Preamble {
    this.#decided = true;
    this.#pendingLen = 0;
    const [replyBack, sendFinished, saveStatistic, finishedBack] = this.#flags as [boolean, boolean, boolean, boolean];
    return { replyBack, sendFinished, saveStatistic, finishedBack, ping, rest };
  }
}
