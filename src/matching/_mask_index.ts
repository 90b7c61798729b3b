/**
 * URL masks (`*.evil.example/dl/*.exe`, `*` + `/admin/gate.php`) bucketed so that a lookup only
 * evaluates the glob on a few candidates (spec cybertrace-service.md §4.5):
 *
 * - a literal host (`bad.example/x/*`)          → bucket keyed by the host;
 * - a host with `*` and a literal label suffix   → bucket keyed by the labels after the last `*`
 *   (`*.evil.example`, `cdn*.evil.example` → `evil.example`), probed with every proper
 *   label suffix of the looked-up host;
 * - any host (`*`, `*` + `/path`, Maltrail path trails) → keyed by the literal rest when it has no
 *   `*`, else by its literal prefix up to the last `/` before the first `*`, probed with every
 *   `/`-ended prefix of the looked-up path.
 *
 * The host part and the rest (from the first `/` or `?`) are matched separately: a `*` in the
 * host never runs into the path. In the rest, a trailing `/*` also matches nothing at all, so
 * `example.com/*` matches `example.com` and `example.com/dir/*` matches `example.com/dir`
 * (the normaliser drops trailing slashes).
 */
import { HASH_SEED, KeyTable, grow32, hashBytes, hashStep } from "./_key_table.ts";

const STAR = 42;
const SLASH = 47;
const DOT = 46;
const QUESTION = 63;
/**
 * Bit of a `bucketNext` word: the pattern matches whenever its bucket is found, so `check` runs
 * no glob. Set for host `*` with a literal rest (Maltrail's 92 k path trails), found by that rest.
 */
const SURE = 0x80000000;
const LINK_MASK = 0x7fffffff;

/** Where the host of a normalised URL in `buf[0, end)` ends (first `/` or `?`). */
export function hostEnd(buf: Uint8Array, end: number): number {
  for (let i = 0; i < end; i++) {
    const c = buf[i]!;
    if (c === SLASH || c === QUESTION) return i;
  }
  return end;
}

/**
 * `*`-glob of `p[ps, pe)` against `t[ts, te)`, anchored at both ends. With `rest`, a pattern
 * tail of `/` followed only by stars also matches the end of the text.
 */
export function globMatch(
  p: Uint8Array, ps: number, pe: number, t: Uint8Array, ts: number, te: number, rest: boolean,
): boolean {
  let pi = ps;
  let ti = ts;
  let starP = -1;
  let starT = 0;
  while (ti < te) {
    if (pi < pe) {
      const c = p[pi]!;
      if (c === STAR) {
        starP = ++pi;
        starT = ti;
        continue;
      }
      if (c === t[ti]) {
        pi++;
        ti++;
        continue;
      }
    }
    if (starP < 0) return false;
    pi = starP;
    ti = ++starT;
  }
  while (pi < pe && p[pi] === STAR) pi++;
  if (pi === pe) return true;
  if (!rest || p[pi] !== SLASH) return false;
  let k = pi + 1;
  while (k < pe && p[k] === STAR) k++;
  return k === pe && k > pi + 1;
}

/** Masked URL patterns, each with a u32 payload (`patterns.heads`), found by bucket. */
export class MaskIndex {
  /** Distinct patterns; `patterns.heads[id]` is the owner's payload. */
  readonly patterns = new KeyTable();
  private patternHostEnd = new Uint32Array(16);
  private bucketNext = new Uint32Array(16);
  private readonly byHost = new KeyTable();
  private readonly bySuffix = new KeyTable();
  private readonly byRest = new KeyTable();
  private readonly byRestPrefix = new KeyTable();
  /**
   * Bit L set when a `byRestPrefix` key is L bytes long (L < 32; bit 31 = any longer), so a
   * lookup probes only the prefixes of lengths present: Maltrail has 2 such keys, and probing
   * every `/`-ended prefix of every looked-up path cost ≈ 10 % of a URL lookup.
   */
  private restPrefixLengths = 0;
  /** Patterns that can match a bare host (rest empty, `/*` or `*`); 0 lets host lookups skip. */
  hostCapable = 0;
  /** Ids of the patterns the last `match` found. */
  hits = new Uint32Array(64);

  /** Adds the normalised mask `buf[0, end)`; returns its pattern id (shared by duplicates). */
  add(buf: Uint8Array, end: number): number {
    const before = this.patterns.size;
    const id = this.patterns.intern(buf, 0, end, hashBytes(buf, 0, end));
    if (id < before) return id;
    if (id >= this.patternHostEnd.length) {
      const cap = Math.ceil(this.patternHostEnd.length * 1.5) + 16;
      this.patternHostEnd = grow32(this.patternHostEnd, cap);
      this.bucketNext = grow32(this.bucketNext, cap);
    }
    const he = hostEnd(buf, end);
    this.patternHostEnd[id] = he;
    if (globMatch(buf, he, end, buf, end, end, true)) this.hostCapable++;
    let lastStar = -1;
    for (let i = 0; i < he; i++) if (buf[i] === STAR) lastStar = i;
    if (lastStar < 0) {
      this.link(this.byHost, buf, 0, he, id);
      return id;
    }
    let dot = lastStar + 1;
    while (dot < he && buf[dot] !== DOT) dot++;
    if (dot + 1 < he) {
      this.link(this.bySuffix, buf, dot + 1, he, id);
      return id;
    }
    let firstStar = -1;
    for (let i = he; i < end; i++) {
      if (buf[i] === STAR) {
        firstStar = i;
        break;
      }
    }
    if (firstStar < 0) {
      this.link(this.byRest, buf, he, end, id, he === 1);
      return id;
    }
    let cut = firstStar;
    while (cut > he && buf[cut - 1] !== SLASH) cut--;
    this.link(this.byRestPrefix, buf, he, cut, id);
    this.restPrefixLengths |= 1 << Math.min(cut - he, 31);
    return id;
  }

  /**
   * Finds every pattern matching the normalised URL in `t[0, end)` whose host ends at `he`;
   * fills `hits` and returns how many. `t` must have one spare byte after `end`.
   */
  match(t: Uint8Array, he: number, end: number): number {
    let n = 0;
    let k = this.byHost.size === 0 ? -1 : this.byHost.find(t, 0, he, hashBytes(t, 0, he));
    if (k >= 0) n = this.check(this.byHost.heads[k]!, t, he, end, n);
    if (this.bySuffix.size > 0) {
      let h = HASH_SEED;
      for (let i = he - 1; i > 0; i--) {
        h = hashStep(h, t[i]!);
        if (t[i - 1] === DOT) {
          k = this.bySuffix.find(t, i, he, h);
          if (k >= 0) n = this.check(this.bySuffix.heads[k]!, t, he, end, n);
        }
      }
    }
    if (this.byRest.size > 0) {
      k = this.byRest.find(t, he, end, hashBytes(t, he, end));
      if (k >= 0) n = this.check(this.byRest.heads[k]!, t, he, end, n);
    }
    if (this.byRestPrefix.size > 0) {
      const table = this.byRestPrefix;
      const lengths = this.restPrefixLengths;
      if ((lengths & 1) !== 0) {
        k = table.find(t, he, he, HASH_SEED);
        if (k >= 0) n = this.check(table.heads[k]!, t, he, end, n);
      }
      const saved = t[end]!;
      // A virtual trailing `/` lets `dir/*` masks find the normalised `dir` (no slash).
      t[end] = SLASH;
      for (let i = he; i <= end; i++) {
        if (t[i] !== SLASH || (lengths & (1 << Math.min(i + 1 - he, 31))) === 0) continue;
        k = table.find(t, he, i + 1, hashBytes(t, he, i + 1));
        if (k >= 0) n = this.check(table.heads[k]!, t, he, end, n);
      }
      t[end] = saved;
    }
    return n;
  }

  /** Number of distinct patterns. */
  get size(): number {
    return this.patterns.size;
  }

  /** Bytes held by the typed arrays. */
  byteSize(): number {
    return (
      this.patterns.byteSize() + this.patternHostEnd.byteLength + this.bucketNext.byteLength +
      this.byHost.byteSize() + this.bySuffix.byteSize() + this.byRest.byteSize() + this.byRestPrefix.byteSize()
    );
  }

  private link(table: KeyTable, buf: Uint8Array, start: number, end: number, id: number, sure = false): void {
    const b = table.intern(buf, start, end, hashBytes(buf, start, end));
    this.bucketNext[id] = sure ? (table.heads[b]! | SURE) >>> 0 : table.heads[b]!;
    table.heads[b] = id + 1;
  }

  private check(first: number, t: Uint8Array, he: number, end: number, n: number): number {
    const arena = this.patterns.arena;
    const offsets = this.patterns.offsets;
    for (let m = first; m !== 0; ) {
      const id = m - 1;
      const link = this.bucketNext[id]!;
      m = link & LINK_MASK;
      if ((link & SURE) === 0) {
        const ps = offsets[id]!;
        const pe = offsets[id + 1]!;
        const phe = ps + this.patternHostEnd[id]!;
        if (!globMatch(arena, ps, phe, t, 0, he, false) || !globMatch(arena, phe, pe, t, he, end, true)) continue;
      }
      if (n === this.hits.length) this.hits = grow32(this.hits, n * 2);
      this.hits[n++] = id;
    }
    return n;
  }
}
