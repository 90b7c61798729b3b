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
import { DEFAULT_RE_DOMAIN, DEFAULT_RE_IP, DEFAULT_RE_URL } from "./_start_finder.ts";

/** At candidate `p`: the end of the match starting there, {@link NO_MATCH}, or {@link RUN_REGEX}. */
export type DirectMatcher = (text: string, p: number) => number;
export const NO_MATCH = -1;
/** The matcher does not decide this start (an IPv6 candidate): run the sticky regex. */
export const RUN_REGEX = -2;

// ASCII classes as bit flags; nothing from U+0080 up is in any of them (these patterns use ASCII
// classes only, and `\w` without the `i` flag is ASCII with or without `u`).
const DIGIT = 1;
const ALNUM = 2;
/** `[A-Za-z0-9-]`: a host label's characters. */
const LABEL = 4;
/** `\w` and `-`. */
const WORD_DASH = 8;
const LETTER = 16;
/** `[\s"'<>\x60]` minus its non-ASCII spaces: what ends a URL (`isSpace` handles the rest). */
const URL_END = 32;
/** `[.,;:!?)\]}]`: what a URL may not end with. */
const PUNCT = 64;
/** `[\s|;,&?"']` minus its non-ASCII spaces: what may precede `url=`. */
const BEFORE_URL = 128;
const WORD = 256;
/** `[\s"'|]` minus its non-ASCII spaces: what ends the value after `url=`. */
const VALUE_END = 512;
const CLASS = new Uint16Array(128);
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

/** Whether the code unit at `i` is in class `flag` (false past either end). */
function is(text: string, i: number, flag: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && (CLASS[c]! & flag) !== 0;
}

/** JavaScript's `\s` above ASCII (the ASCII ones are in the table). */
function isWideSpace(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Whether the code unit at `i` (inside the text) is in `[\s…]` of a class whose ASCII part is `flag`. */
function isWithSpaces(text: string, i: number, flag: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 ? (CLASS[c]! & flag) !== 0 : isWideSpace(c);
}

/** End of the run of `flag` characters from `i`. */
function runEnd(text: string, i: number, flag: number): number {
  let e = i;
  while (e < text.length && is(text, e, flag)) e++;
  return e;
}

/**
 * `[^\s"'<>\x60]*[^\s"'<>\x60.,;:!?)\]}]` at `i`, greedy with backtracking: the run up to its last
 * character that is not trailing punctuation; -1 when there is none.
 */
function urlTail(text: string, i: number): number {
  let e = i;
  while (e < text.length && !isWithSpaces(text, e, URL_END)) e++;
  while (e > i && is(text, e - 1, PUNCT)) e--;
  return e > i ? e : -1;
}

/** The 4 characters before `p` read `url=` in any case. */
function afterUrlEquals(text: string, p: number): boolean {
  return p >= 4 && text.charCodeAt(p - 1) === 61 && (text.charCodeAt(p - 2) | 32) === 108 && (text.charCodeAt(p - 3) | 32) === 114 && (text.charCodeAt(p - 4) | 32) === 117;
}

/**
 * The host labels `(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+` from `p`: a label can
 * only end at a `.`, so the chain is fixed; writes the start after each label's dot into `AFTER`
 * and returns how many labels there are.
 */
const AFTER = new Int32Array(64);
function labelChain(text: string, p: number): number {
  let k = 0;
  let i = p;
  for (;;) {
    const e = runEnd(text, i, LABEL);
    if (text.charCodeAt(e) !== 46 || e === i || e - i > 63 || !is(text, i, ALNUM) || !is(text, e - 1, ALNUM)) return k;
    i = e + 1;
    if (k === AFTER.length) return -1;
    AFTER[k++] = i;
  }
}

/** `[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]` as the whole label run from `i` to `e`. */
function isTld(text: string, i: number, e: number): boolean {
  return e - i >= 2 && e - i <= 63 && is(text, i, LETTER) && is(text, e - 1, ALNUM);
}

/** RE_DOMAIN's file-name endings: `html?|php\d?|aspx?|…` spelled out (the pattern has no `i`). */
const NOT_TLD = new Set(
  "html htm php aspx asp jsp js json xml txt log conf cfg ini yaml yml csv tsv exe dll sys gz tgz jpeg jpg png gif svg ico css bat ps1 java class jar tmp bak pdf docx doc xlsx xls"
    .split(" ")
    .concat(Array.from({ length: 10 }, (_, d) => `php${d}`)),
);

/** RE_DOMAIN's closing lookahead at `e`: `(?![\w-]|\.[A-Za-z0-9-]|(?::\d{1,5})?/|@)`. */
function domainMayEnd(text: string, e: number): boolean {
  if (e >= text.length) return true;
  const c = text.charCodeAt(e);
  if (is(text, e, WORD_DASH) || c === 47 || c === 64) return false;
  if (c === 46) return !is(text, e + 1, LABEL);
  if (c === 58) {
    const d = runEnd(text, e + 1, DIGIT);
    return !(d > e + 1 && d - e - 1 <= 5 && text.charCodeAt(d) === 47);
  }
  return true;
}

/** The TLD run at `i` as RE_DOMAIN takes it: its end, or -1. */
function domainTld(text: string, i: number): number {
  const e = runEnd(text, i, LABEL);
  if (!isTld(text, i, e) || !domainMayEnd(text, e)) return -1;
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
  if (!mayStartHost(text, p) || afterUrlEquals(text, p)) return NO_MATCH;
  const k = labelChain(text, p);
  if (k < 0) return RUN_REGEX;
  if (k === 0) return NO_MATCH;
  const e = domainTld(text, AFTER[k - 1]!);
  if (e >= 0) return e;
  if (k === 1 || is(text, AFTER[k - 1]!, LABEL)) return NO_MATCH;
  const f = domainTld(text, AFTER[k - 2]!);
  return f >= 0 ? f : NO_MATCH;
};

/**
 * RE_URL's three branches in order at `p`: the value after `url=` (preceded by the start or
 * `[\s|;,&?"']`), a scheme URL, a host with a port or path. In the host branch the TLD is followed
 * by `:port/` or `/`, so it is the whole label run after all the labels.
 */
const urlMatch: DirectMatcher = (text, p) => {
  if (afterUrlEquals(text, p) && (p === 4 || isWithSpaces(text, p - 5, BEFORE_URL))) {
    let e = p;
    while (e < text.length && !isWithSpaces(text, e, VALUE_END)) e++;
    if (e > p) return e;
  }
  const scheme = schemeLength(text, p);
  if (scheme > 0) {
    const e = urlTail(text, p + scheme);
    if (e >= 0) return e;
  }
  if (!mayStartHost(text, p)) return NO_MATCH;
  const k = labelChain(text, p);
  if (k < 0) return RUN_REGEX;
  if (k === 0) return NO_MATCH;
  const i = AFTER[k - 1]!;
  let e = runEnd(text, i, LABEL);
  if (!isTld(text, i, e)) return NO_MATCH;
  if (text.charCodeAt(e) === 58) {
    const d = runEnd(text, e + 1, DIGIT);
    if (d === e + 1 || d - e - 1 > 5) return NO_MATCH;
    e = d;
  }
  if (text.charCodeAt(e) !== 47) return NO_MATCH;
  const tail = urlTail(text, e + 1);
  return tail >= 0 ? tail : e + 1;
};

/** The lookbehind of a host name in both patterns: `(?<![\w.@/:\\-])`. */
function mayStartHost(text: string, p: number): boolean {
  if (p === 0) return true;
  const c = text.charCodeAt(p - 1);
  return !(is(text, p - 1, WORD_DASH) || c === 46 || c === 64 || c === 47 || c === 58 || c === 92);
}

/** `(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP])://` at `p`: its length, or 0. */
function schemeLength(text: string, p: number): number {
  const c0 = text.charCodeAt(p) | 32;
  let n = 0;
  if (c0 === 104 && (text.charCodeAt(p + 1) | 32) === 116 && (text.charCodeAt(p + 2) | 32) === 116 && (text.charCodeAt(p + 3) | 32) === 112) {
    n = (text.charCodeAt(p + 4) | 32) === 115 && text.startsWith("://", p + 5) ? 5 : 4;
  } else if (c0 === 102 && (text.charCodeAt(p + 1) | 32) === 116 && (text.charCodeAt(p + 2) | 32) === 112) n = 3;
  return n > 0 && text.startsWith("://", p + n) ? n + 3 : 0;
}

/** `25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d` as a whole digit run from `i` to `e`. */
function isOctet(text: string, i: number, e: number): boolean {
  const n = e - i;
  if (n === 1) return true;
  const a = text.charCodeAt(i) - 48;
  if (n === 2) return a !== 0;
  if (n !== 3) return false;
  return a === 1 || (a === 2 && (text.charCodeAt(i + 1) - 48) * 10 + text.charCodeAt(i + 2) - 48 <= 55);
}

/**
 * RE_IP at a candidate: a start whose digits run into a `.` can only be the IPv4 branch (the IPv6
 * branch needs a `:` after its first hex digits, or `::` at the start), decided here: each octet
 * is its whole digit run (a shorter one is followed by a digit, which `\.` and the closing
 * lookahead refuse), and what follows is neither `\w` nor `.` and a digit. Other candidates are
 * IPv6 ones: the regex decides those.
 */
const ipMatch: DirectMatcher = (text, p) => {
  const first = runEnd(text, p, DIGIT);
  if (first === p || text.charCodeAt(first) !== 46) return RUN_REGEX;
  if (p > 0 && (is(text, p - 1, WORD) || text.charCodeAt(p - 1) === 46)) return NO_MATCH;
  let i = p;
  for (let octet = 0; octet < 4; octet++) {
    const e = runEnd(text, i, DIGIT);
    if (!isOctet(text, i, e)) return NO_MATCH;
    if (octet === 3) {
      if (is(text, e, WORD)) return NO_MATCH;
      return text.charCodeAt(e) === 46 && is(text, e + 1, DIGIT) ? NO_MATCH : e;
    }
    if (text.charCodeAt(e) !== 46) return NO_MATCH;
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
