/**
 * The embedded default RE_URL, RE_DOMAIN and RE_IP decided in plain code at a candidate start
 * (see `_start_finder.ts`), without running the regex: a sticky `exec` at each candidate was 45%
 * of extraction's time (docs/performance.md, "Where the time goes", third round), mostly the call
 * and its result array, at starts where the regex then fails (an IP's first label, a version
 * number). Each matcher answers what the sticky regex answers at that start: where the match
 * ends, or that there is none; RE_IP leaves IPv6 candidates to the regex. The value of all three
 * patterns is their whole match (group 1 is the whole match). test/service/direct_match.test.ts
 * compares every matcher with its regex at every position of varied and fuzzed text.
 */
import { DEFAULT_RE_DOMAIN, DEFAULT_RE_IP, DEFAULT_RE_URL, eventBytes } from "./_start_finder.ts";

/** At candidate `p`: the end of the match starting there, {@link NO_MATCH}, or {@link RUN_REGEX}. */
export type DirectMatcher = (text: string, p: number) => number;
export const NO_MATCH = -1;
/** The matcher does not decide this start (an IPv6 candidate): run the sticky regex. */
export const RUN_REGEX = -2;

// ASCII classes as bit flags, for the event's bytes (`eventBytes`): a character from U+0080 up
// is 128 when JavaScript's `\s` matches it, in the classes that include `\s` (these patterns use
// ASCII classes only otherwise, and `\w` without the `i` flag is ASCII with or without `u`), and
// 129 when not, in none; 0 (past the end) is in none.
const DIGIT = 1;
const ALNUM = 2;
/** `[A-Za-z0-9-]`: a host label's characters. */
const LABEL = 4;
/** `\w` and `-`. */
const WORD_DASH = 8;
const LETTER = 16;
/** `[\s"'<>\x60]`: what ends a URL. */
const URL_END = 32;
/** `[.,;:!?)\]}]`: what a URL may not end with. */
const PUNCT = 64;
/** `[\s|;,&?"']`: what may precede `url=`. */
const BEFORE_URL = 128;
const WORD = 256;
/** `[\s"'|]`: what ends the value after `url=`. */
const VALUE_END = 512;
const CLASS = new Uint16Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/\d/.test(ch)) CLASS[c]! |= DIGIT;
  if (/[A-Za-z0-9]/.test(ch)) CLASS[c]! |= ALNUM;
  if (/[A-Za-z0-9-]/.test(ch)) CLASS[c]! |= LABEL;
  if (/[\w-]/.test(ch)) CLASS[c]! |= WORD_DASH;
  if (/[A-Za-z]/.test(ch)) CLASS[c]! |= LETTER;
  if (/[\s"'<>\x60]/.test(ch)) CLASS[c]! |= URL_END;
  if (/[.,;:!?)\]}]/.test(ch)) CLASS[c]! |= PUNCT;
  if (/[\s|;,&?"']/.test(ch)) CLASS[c]! |= BEFORE_URL;
  if (/\w/.test(ch)) CLASS[c]! |= WORD;
  if (/[\s"'|]/.test(ch)) CLASS[c]! |= VALUE_END;
}
CLASS[128] = URL_END | BEFORE_URL | VALUE_END;

/** Whether the byte at `i` is in class `flag` (none past the end: the bytes end in zeros). */
function is(b: Uint8Array, i: number, flag: number): boolean {
  return (CLASS[b[i]!]! & flag) !== 0;
}

/** End of the run of `flag` characters from `i` (the zeros after the event end it). */
function runEnd(b: Uint8Array, i: number, flag: number): number {
  let e = i;
  while (is(b, e, flag)) e++;
  return e;
}

/**
 * `[^\s"'<>\x60]*[^\s"'<>\x60.,;:!?)\]}]` at `i` of an event `n` long, greedy with backtracking:
 * the run up to its last character that is not trailing punctuation; -1 when there is none.
 */
function urlTail(b: Uint8Array, n: number, i: number): number {
  let e = i;
  while (e < n && !is(b, e, URL_END)) e++;
  while (e > i && is(b, e - 1, PUNCT)) e--;
  return e > i ? e : -1;
}

/** The 4 characters before `p` read `url=` in any case. */
function afterUrlEquals(b: Uint8Array, p: number): boolean {
  return p >= 4 && b[p - 1] === 61 && (b[p - 2]! | 32) === 108 && (b[p - 3]! | 32) === 114 && (b[p - 4]! | 32) === 117;
}

/**
 * The host labels `(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+` from `p`: a label can
 * only end at a `.`, so the chain is fixed; writes the start after each label's dot into `AFTER`
 * and returns how many labels there are.
 */
const AFTER = new Int32Array(64);
function labelChain(b: Uint8Array, p: number): number {
  let k = 0;
  let i = p;
  for (;;) {
    const e = runEnd(b, i, LABEL);
    if (b[e] !== 46 || e === i || e - i > 63 || !is(b, i, ALNUM) || !is(b, e - 1, ALNUM)) return k;
    i = e + 1;
    if (k === AFTER.length) return -1;
    AFTER[k++] = i;
  }
}

/** `[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]` as the whole label run from `i` to `e`. */
function isTld(b: Uint8Array, i: number, e: number): boolean {
  return e - i >= 2 && e - i <= 63 && is(b, i, LETTER) && is(b, e - 1, ALNUM);
}

/** RE_DOMAIN's file-name endings: `html?|php\d?|aspx?|…` spelled out (the pattern has no `i`). */
const NOT_TLD = new Set(
  "html htm php aspx asp jsp js json xml txt log conf cfg ini yaml yml csv tsv exe dll sys gz tgz jpeg jpg png gif svg ico css bat ps1 java class jar tmp bak pdf docx doc xlsx xls"
    .split(" ")
    .concat(Array.from({ length: 10 }, (_, d) => `php${d}`)),
);

/** RE_DOMAIN's closing lookahead at `e`: `(?![\w-]|\.[A-Za-z0-9-]|(?::\d{1,5})?/|@)`. */
function domainMayEnd(b: Uint8Array, e: number): boolean {
  const c = b[e]!;
  if (is(b, e, WORD_DASH) || c === 47 || c === 64) return false;
  if (c === 46) return !is(b, e + 1, LABEL);
  if (c === 58) {
    const d = runEnd(b, e + 1, DIGIT);
    return !(d > e + 1 && d - e - 1 <= 5 && b[d] === 47);
  }
  return true;
}

/** The TLD run at `i` as RE_DOMAIN takes it: its end, or -1. */
function domainTld(text: string, b: Uint8Array, i: number): number {
  const e = runEnd(b, i, LABEL);
  if (!isTld(b, i, e) || !domainMayEnd(b, e)) return -1;
  return e - i > 5 || !NOT_TLD.has(text.slice(i, e)) ? e : -1;
}

/**
 * RE_DOMAIN at a label start (the start finder already checked the first lookbehind). With `k`
 * labels the TLD must be the whole label run after the last one (a shorter TLD is followed by a
 * label character, which the closing lookahead refuses); with fewer labels the TLD is followed by
 * `.` and a label character, refused too, except when the `k`-th label is the last thing before
 * its dot: then `k - 1` labels and the `k`-th as TLD are tried, as the regex backtracks.
 */
const domainMatch: DirectMatcher = (text, p) => {
  const b = eventBytes(text);
  if (!mayStartHost(b, p) || afterUrlEquals(b, p)) return NO_MATCH;
  const k = labelChain(b, p);
  if (k < 0) return RUN_REGEX;
  if (k === 0) return NO_MATCH;
  const e = domainTld(text, b, AFTER[k - 1]!);
  if (e >= 0) return e;
  if (k === 1 || is(b, AFTER[k - 1]!, LABEL)) return NO_MATCH;
  const f = domainTld(text, b, AFTER[k - 2]!);
  return f >= 0 ? f : NO_MATCH;
};

/**
 * RE_URL's three branches in order at `p`: the value after `url=` (preceded by the start or
 * `[\s|;,&?"']`), a scheme URL, a host with a port or path. In the host branch the TLD is followed
 * by `:port/` or `/`, so it is the whole label run after all the labels.
 */
const urlMatch: DirectMatcher = (text, p) => {
  const b = eventBytes(text);
  const n = text.length;
  if (afterUrlEquals(b, p) && (p === 4 || is(b, p - 5, BEFORE_URL))) {
    let e = p;
    while (e < n && !is(b, e, VALUE_END)) e++;
    if (e > p) return e;
  }
  const scheme = schemeLength(b, p);
  if (scheme > 0) {
    const e = urlTail(b, n, p + scheme);
    if (e >= 0) return e;
  }
  if (!mayStartHost(b, p)) return NO_MATCH;
  const k = labelChain(b, p);
  if (k < 0) return RUN_REGEX;
  if (k === 0) return NO_MATCH;
  const i = AFTER[k - 1]!;
  let e = runEnd(b, i, LABEL);
  if (!isTld(b, i, e)) return NO_MATCH;
  if (b[e] === 58) {
    const d = runEnd(b, e + 1, DIGIT);
    if (d === e + 1 || d - e - 1 > 5) return NO_MATCH;
    e = d;
  }
  if (b[e] !== 47) return NO_MATCH;
  const tail = urlTail(b, n, e + 1);
  return tail >= 0 ? tail : e + 1;
};

/** The lookbehind of a host name in both patterns: `(?<![\w.@/:\\-])`. */
function mayStartHost(b: Uint8Array, p: number): boolean {
  if (p === 0) return true;
  const c = b[p - 1]!;
  return !(is(b, p - 1, WORD_DASH) || c === 46 || c === 64 || c === 47 || c === 58 || c === 92);
}

/** `(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP])://` at `p`: its length, or 0. */
function schemeLength(b: Uint8Array, p: number): number {
  const c0 = b[p]! | 32;
  let n = 0;
  if (c0 === 104 && (b[p + 1]! | 32) === 116 && (b[p + 2]! | 32) === 116 && (b[p + 3]! | 32) === 112) {
    n = (b[p + 4]! | 32) === 115 && b[p + 5] === 58 && b[p + 6] === 47 && b[p + 7] === 47 ? 5 : 4;
  } else if (c0 === 102 && (b[p + 1]! | 32) === 116 && (b[p + 2]! | 32) === 112) n = 3;
  return n > 0 && b[p + n] === 58 && b[p + n + 1] === 47 && b[p + n + 2] === 47 ? n + 3 : 0;
}

/** `25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d` as a whole digit run from `i` to `e`. */
function isOctet(b: Uint8Array, i: number, e: number): boolean {
  const n = e - i;
  if (n === 1) return true;
  const a = b[i]! - 48;
  if (n === 2) return a !== 0;
  if (n !== 3) return false;
  return a === 1 || (a === 2 && (b[i + 1]! - 48) * 10 + b[i + 2]! - 48 <= 55);
}

/**
 * RE_IP at a candidate: a start whose digits run into a `.` can only be the IPv4 branch (the IPv6
 * branch needs a `:` after its first hex digits, or `::` at the start), decided here: each octet
 * is its whole digit run (a shorter one is followed by a digit, which `\.` and the closing
 * lookahead refuse), and what follows is neither `\w` nor `.` and a digit. Other candidates are
 * IPv6 ones: the regex decides those.
 */
const ipMatch: DirectMatcher = (text, p) => {
  const b = eventBytes(text);
  const first = runEnd(b, p, DIGIT);
  if (first === p || b[first] !== 46) return RUN_REGEX;
  if (p > 0 && (is(b, p - 1, WORD) || b[p - 1] === 46)) return NO_MATCH;
  let i = p;
  for (let octet = 0; octet < 4; octet++) {
    const e = runEnd(b, i, DIGIT);
    if (!isOctet(b, i, e)) return NO_MATCH;
    if (octet === 3) {
      if (is(b, e, WORD)) return NO_MATCH;
      return b[e] === 46 && is(b, e + 1, DIGIT) ? NO_MATCH : e;
    }
    if (b[e] !== 46) return NO_MATCH;
    i = e + 1;
  }
  return NO_MATCH;
};

const MATCHERS: ReadonlyMap<string, DirectMatcher> = new Map([
  [DEFAULT_RE_IP, ipMatch],
  [DEFAULT_RE_DOMAIN, domainMatch],
  [DEFAULT_RE_URL, urlMatch],
]);

/**
 * The direct matcher of a pattern, when it is one of the embedded defaults written exactly so.
 *
 * @example
 * ```ts
 * const match = directMatcher(DEFAULT_RE_IP)!;
 * match("from 10.0.0.1 port 22", 5); // 13
 * ```
 */
export function directMatcher(pattern: string): DirectMatcher | undefined {
  return MATCHERS.get(pattern);
}
