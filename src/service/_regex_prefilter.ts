/**
 * A cheap regex that must match somewhere in any text on which a rule's regex matches, derived
 * from the rule's pattern. Extraction runs it first and skips the rule when it fails: the
 * default RE_URL/RE_DOMAIN cost 1–3 µs per line each even on lines with no URL or host name
 * (docs/performance.md, "Where the time goes"), while a test of `[uU][rR][lL]=|\/` costs about
 * 0.2 µs.
 *
 * The analysis is conservative: it only claims what every match must contain. It reads the
 * pattern's syntax tree and collects "factors", runs of character sets that must appear next to
 * each other in the text (a consumed run, or the body of a positive lookaround, which must match
 * in the text too). A concatenation needs each of its mandatory parts, so it keeps the most
 * selective one; an alternation needs one of its branches, so it needs the union of theirs.
 * Anything it does not model (negated classes, `\s`, `.`, back-references, the `i` flag,
 * non-`u` patterns with Annex B syntax, Unicode property escapes) yields no requirement, and a
 * pattern with no requirement gets no prefilter.
 */

/** A set of BMP characters as a string of distinct characters; null: unknown or too big to help. */
type CharSet = string | null;
/** Characters that must appear consecutively, one from each set. */
type Factor = readonly string[];

interface Summary {
  /** Can match the empty string. */
  readonly canEmpty: boolean;
  /** The exact sequence of sets it always consumes (`[]` for assertions), or null when it varies. */
  readonly exact: readonly string[] | null;
  /** Set of its first / last consumed character, when it never matches empty and that is known. */
  readonly first: CharSet;
  readonly last: CharSet;
  /** One of these factors is in the text whenever it matches; null: no requirement known. */
  readonly factors: readonly Factor[] | null;
}

class Unsupported extends Error {}

const MAX_SET = 96;
const MAX_FACTOR = 4;
const MAX_EXACT = 16;
/**
 * A prefilter that lets most lines through only adds a test (≈ 0.2 µs); skip it. With the
 * default regexes this keeps RE_URL (`/` or `url=`, 44% of corpus lines) and RE_DOMAIN
 * (`.` then a letter, 71%) and drops RE_IP (a digit then `.`, or a hex digit then `:`), which
 * every line with a `hh:mm:ss` time meets.
 */
const MAX_COST = 0.03;

const DIGITS = "0123456789";
const WORD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

/** Rough share of a log line's characters: only used to pick the most selective requirement. */
function charProb(c: string): number {
  if (c === " ") return 0.15;
  if ((c >= "a" && c <= "z") || (c >= "0" && c <= "9")) return 0.03;
  if (c >= "A" && c <= "Z") return 0.01;
  // Times (hh:mm:ss) put a colon after a digit on nearly every log line.
  if (c === ":") return 0.05;
  if (".-_=,".includes(c)) return 0.02;
  return 0.005;
}

function setProb(s: string): number {
  let p = 0;
  for (const c of s) p += charProb(c);
  // Below 1 so that a longer run never looks worse than its prefix.
  return Math.min(0.95, p);
}

function factorCost(f: Factor): number {
  let p = 1;
  for (const s of f) p *= setProb(s);
  return p;
}

function listCost(fs: readonly Factor[]): number {
  let c = 0;
  for (const f of fs) c += factorCost(f);
  return c;
}

/** The most selective window of at most MAX_FACTOR sets: any sub-run of a required run is required. */
function trim(f: Factor): Factor {
  if (f.length <= MAX_FACTOR) return f;
  let best = f.slice(0, MAX_FACTOR);
  for (let i = 1; i + MAX_FACTOR <= f.length; i++) {
    const w = f.slice(i, i + MAX_FACTOR);
    if (factorCost(w) < factorCost(best)) best = w;
  }
  return best;
}

function union(a: CharSet, b: CharSet): CharSet {
  if (a === null || b === null) return null;
  let s = a;
  for (const c of b) if (!s.includes(c)) s += c;
  return s.length > MAX_SET ? null : s;
}

function pickBest(cands: readonly (readonly Factor[])[]): readonly Factor[] | null {
  let best: readonly Factor[] | null = null;
  let bestCost = Infinity;
  for (const c of cands) {
    const cost = listCost(c);
    if (cost < bestCost) {
      best = c;
      bestCost = cost;
    }
  }
  return best;
}

const ASSERTION: Summary = { canEmpty: true, exact: [], first: null, last: null, factors: null };
const OPAQUE_EMPTY: Summary = { canEmpty: true, exact: null, first: null, last: null, factors: null };

function atom(set: CharSet): Summary {
  if (set === null) return { canEmpty: false, exact: null, first: null, last: null, factors: null };
  return { canEmpty: false, exact: [set], first: set, last: set, factors: [[set]] };
}

/** Recursive-descent reader of a `u`-mode pattern, summarizing as it goes. */
class Reader {
  #i = 0;
  constructor(readonly src: string) {}

  parse(): Summary {
    const s = this.#alternation();
    if (this.#i !== this.src.length) throw new Unsupported("trailing input");
    return s;
  }

  #peek(): string | undefined {
    return this.src[this.#i];
  }

  #alternation(): Summary {
    const alts = [this.#concat()];
    while (this.#peek() === "|") {
      this.#i++;
      alts.push(this.#concat());
    }
    if (alts.length === 1) return alts[0]!;
    let canEmpty = false;
    let first: CharSet = "";
    let last: CharSet = "";
    let factors: Factor[] | null = [];
    for (const a of alts) {
      canEmpty ||= a.canEmpty;
      first = a.canEmpty ? null : union(first, a.first);
      last = a.canEmpty ? null : union(last, a.last);
      factors = factors === null || a.factors === null ? null : [...factors, ...a.factors];
    }
    return { canEmpty, exact: null, first: canEmpty ? null : first, last: canEmpty ? null : last, factors };
  }

  #concat(): Summary {
    const items: Summary[] = [];
    while (this.#i < this.src.length && this.#peek() !== "|" && this.#peek() !== ")") {
      items.push(this.#quantified(this.#term()));
    }
    if (items.length === 1) return items[0]!;
    const cands: (readonly Factor[])[] = [];
    let run: string[] = [];
    const endRun = (): void => {
      if (run.length > 0) cands.push([trim(run)]);
      run = [];
    };
    let exact: string[] | null = [];
    let canEmpty = true;
    for (const it of items) {
      if (it.factors !== null) cands.push(it.factors);
      canEmpty &&= it.canEmpty;
      if (it.exact !== null) {
        run.push(...it.exact);
        if (exact !== null) exact.push(...it.exact);
        continue;
      }
      exact = null;
      if (it.canEmpty) {
        endRun();
        continue;
      }
      if (it.first !== null) run.push(it.first);
      endRun();
      if (it.last !== null) run.push(it.last);
    }
    endRun();
    let first: CharSet = null;
    for (const it of items) {
      if (it.exact !== null && it.exact.length === 0) continue;
      if (!it.canEmpty) first = it.exact !== null ? it.exact[0]! : it.first;
      break;
    }
    let last: CharSet = null;
    for (let k = items.length - 1; k >= 0; k--) {
      const it = items[k]!;
      if (it.exact !== null && it.exact.length === 0) continue;
      if (!it.canEmpty) last = it.exact !== null ? it.exact[it.exact.length - 1]! : it.last;
      break;
    }
    if (exact !== null && exact.length > MAX_EXACT) exact = null;
    return { canEmpty, exact, first, last, factors: pickBest(cands) };
  }

  #quantified(s: Summary): Summary {
    const c = this.#peek();
    let min: number;
    let max: number;
    if (c === "*") [min, max] = [0, Infinity];
    else if (c === "+") [min, max] = [1, Infinity];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.#i));
      if (m === null) throw new Unsupported("brace");
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      this.#i += m[0].length - 1;
    } else return s;
    this.#i++;
    if (this.#peek() === "?") this.#i++;
    if (min === 0) return max === 0 ? ASSERTION : OPAQUE_EMPTY;
    const cands: (readonly Factor[])[] = [];
    if (s.factors !== null) cands.push(s.factors);
    // Two repetitions meet: the last character of one is next to the first of the next.
    if (max >= 2 && min >= 2 && s.last !== null && s.first !== null) cands.push([[s.last, s.first]]);
    let exact: string[] | null = null;
    if (s.exact !== null && min === max && s.exact.length * min <= MAX_EXACT) {
      exact = [];
      for (let k = 0; k < min; k++) exact.push(...s.exact);
    }
    return { canEmpty: s.canEmpty, exact, first: s.first, last: s.last, factors: pickBest(cands) };
  }

  #term(): Summary {
    const c = this.src[this.#i++]!;
    switch (c) {
      case "^":
      case "$":
        return ASSERTION;
      case ".":
        return atom(null);
      case "[":
        return atom(this.#class());
      case "(":
        return this.#group();
      case "\\":
        return this.#escape();
      case "*":
      case "+":
      case "?":
      case "{":
      case "}":
      case "]":
      case ")":
        throw new Unsupported(`syntax ${c}`);
      default:
        return atom(this.#literal(c));
    }
  }

  #literal(c: string): string {
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) throw new Unsupported("surrogate");
    return c;
  }

  #group(): Summary {
    let kind: "group" | "ahead" | "nahead" = "group";
    if (this.#peek() === "?") {
      const rest = this.src.slice(this.#i, this.#i + 4);
      if (rest.startsWith("?:")) this.#i += 2;
      else if (rest.startsWith("?=") || rest.startsWith("?<=")) {
        kind = "ahead";
        this.#i += rest.startsWith("?=") ? 2 : 3;
      } else if (rest.startsWith("?!") || rest.startsWith("?<!")) {
        kind = "nahead";
        this.#i += rest.startsWith("?!") ? 2 : 3;
      } else if (rest.startsWith("?<")) {
        const end = this.src.indexOf(">", this.#i);
        if (end < 0) throw new Unsupported("group name");
        this.#i = end + 1;
      } else throw new Unsupported("group kind");
    }
    const inner = this.#alternation();
    if (this.src[this.#i++] !== ")") throw new Unsupported("unclosed group");
    // A lookaround consumes nothing, but a positive one must match in the text.
    if (kind === "ahead") return { ...ASSERTION, factors: inner.factors };
    if (kind === "nahead") return ASSERTION;
    return inner;
  }

  #escape(): Summary {
    const c = this.src[this.#i++];
    if (c === undefined) throw new Unsupported("trailing backslash");
    if (c === "b" || c === "B") return ASSERTION;
    if (c === "k" || (c >= "1" && c <= "9")) {
      if (c === "k") {
        const end = this.src.indexOf(">", this.#i);
        if (end < 0) throw new Unsupported("backreference");
        this.#i = end + 1;
      } else while (/\d/.test(this.#peek() ?? "")) this.#i++;
      return OPAQUE_EMPTY;
    }
    return atom(this.#escapeSet(c, false));
  }

  /** The set of an escape after its backslash (`c` already read). */
  #escapeSet(c: string, inClass: boolean): CharSet {
    switch (c) {
      case "d":
        return DIGITS;
      case "w":
        return WORD;
      case "D":
      case "W":
      case "s":
      case "S":
        return null;
      case "f":
        return "\f";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "v":
        return "\v";
      case "0":
        if (/\d/.test(this.#peek() ?? "")) throw new Unsupported("octal");
        return "\0";
      case "c": {
        const l = this.src[this.#i++] ?? "";
        if (!/^[A-Za-z]$/.test(l)) throw new Unsupported("control escape");
        return String.fromCharCode(l.charCodeAt(0) % 32);
      }
      case "x":
      case "u": {
        const n = c === "x" ? 2 : 4;
        const hex = this.src.slice(this.#i, this.#i + n);
        if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(hex)) throw new Unsupported("hex escape");
        this.#i += n;
        return this.#literal(String.fromCharCode(parseInt(hex, 16)));
      }
      default:
        if ("^$\\.*+?()[]{}|/".includes(c) || (inClass && c === "-")) return c;
        throw new Unsupported(`escape \\${c}`);
    }
  }

  /** A class after its `[`; null when negated or when it holds a set this does not model. */
  #class(): CharSet {
    let negated = false;
    if (this.#peek() === "^") {
      negated = true;
      this.#i++;
    }
    let set: CharSet = "";
    let known = true;
    const single = (): CharSet | "end" => {
      const c = this.src[this.#i++];
      if (c === undefined) throw new Unsupported("unclosed class");
      if (c === "]") return "end";
      if (c === "\\") return this.#escapeSet(this.src[this.#i++] ?? "", true);
      if (c === "[") throw new Unsupported("nested class");
      return this.#literal(c);
    };
    for (;;) {
      const a = single();
      if (a === "end") break;
      if (this.#peek() === "-" && this.src[this.#i + 1] !== "]") {
        this.#i++;
        const b = single();
        if (a === null || b === null || b === "end" || a.length !== 1 || b.length !== 1) throw new Unsupported("class range");
        const lo = a.charCodeAt(0);
        const hi = b.charCodeAt(0);
        if (hi - lo > MAX_SET) known = false;
        else for (let k = lo; k <= hi; k++) set = union(set, String.fromCharCode(k));
        continue;
      }
      if (a === null) known = false;
      else set = union(set, a);
      if (set === null) known = false;
    }
    return negated || !known || set === null || set === "" ? null : set;
  }
}

/** Every text holding `f` holds `g`: `g` matches a sub-run of `f` set by set. */
function covers(g: Factor, f: Factor): boolean {
  for (let off = 0; off + g.length <= f.length; off++) {
    let ok = true;
    for (let k = 0; k < g.length && ok; k++) {
      for (const ch of f[off + k]!) {
        if (!g[k]!.includes(ch)) {
          ok = false;
          break;
        }
      }
    }
    if (ok) return true;
  }
  return false;
}

function classSource(s: string): string {
  const esc = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
  if (s.length === 1) return esc(s);
  let out = "[";
  for (const ch of s) out += esc(ch);
  return out + "]";
}

/**
 * A regex that matches every text on which `re` can match, or undefined when the analysis finds
 * nothing selective enough to be worth a test. Works on `u`-flag regexes without `i` or `v`.
 * The result is a plain regex of short character runs: in Bun it tests a 150-byte line in about
 * 0.2 µs, little more than `indexOf` of one character (0.13 µs), so nothing cleverer pays.
 *
 * @example
 * ```ts
 * const pre = regexPrefilter(/(?<=url=)\S+|https?:\/\/\S+/gu);
 * pre?.test("GET /index.html"); // false: neither "url=" nor "://" is there
 * ```
 */
export function regexPrefilter(re: RegExp): RegExp | undefined {
  if (!re.unicode || re.ignoreCase || re.flags.includes("v")) return undefined;
  let summary: Summary;
  try {
    summary = new Reader(re.source).parse();
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const factors = summary.factors;
  if (factors === null || factors.length === 0 || listCost(factors) > MAX_COST) return undefined;
  const kept = factors.filter((f, i) => !factors.some((g, j) => j !== i && covers(g, f) && (!covers(f, g) || j < i)));
  return new RegExp([...new Set(kept.map((f) => f.map(classSource).join("")))].join("|"));
}
