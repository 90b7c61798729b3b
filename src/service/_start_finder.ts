/**
 * Where a match of one of the embedded default regexes can start, found from the event's anchors
 * (one SIMD pass in WebAssembly for an ASCII event, `indexOf` for others) instead of letting the
 * regex engine try every position. RE_IP, RE_URL and RE_DOMAIN cost 1.3–2.2 µs
 * per 150-byte line when run over the whole line (docs/performance.md, "Where the time goes"),
 * mostly trying start positions where a lookbehind or the first character class already fails.
 * Every match of these patterns has an anchor near its start — the `.` or `:` after its first
 * label or group, the `://` after a scheme, the `=` of `url=` — and starts at a place fixed by
 * that anchor, so extraction can run the same regex as a sticky (`y`) regex at those places only.
 *
 * Running a regex sticky at each candidate in ascending order, from the end of the previous match,
 * finds exactly what a global `exec` loop finds whenever the candidates include every position
 * where the regex can match: a global `exec` returns the match at the first such position at or
 * after `lastIndex`, and the engine's attempt at one position is the same either way. The finders
 * below may return extra positions (the regex then fails there); they must never miss one. Each
 * is keyed on the exact pattern text, so an edited regex simply runs the ordinary way; the
 * differential test in test/service/start_finder.test.ts compares both ways on varied lines.
 */
import { ANCHOR_SCAN_WASM } from "./_anchor_scan_wasm.ts";

/** Writes ascending, distinct candidate start positions into `out`; returns how many, or -1 when `out` is too small. */
export type StartFinder = (text: string, out: Int32Array) => number;

/** The embedded defaults (src/config/defaults/default_service.conf); a test keeps them equal. */
export const DEFAULT_RE_URL = String.raw`((?<=(?:^|[\s|;,&?"'])[uU][rR][lL]=)[^\s"'|]+|(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP])://[^\s"'<>\x60]*[^\s"'<>\x60.,;:!?)\]}]|(?<![\w.@/:\\-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9](?::\d{1,5})?/(?:[^\s"'<>\x60]*[^\s"'<>\x60.,;:!?)\]}])?)`;
export const DEFAULT_RE_DOMAIN = String.raw`(?<![\w.@/:\\-])(?<![uU][rR][lL]=)((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?!(?:html?|php\d?|aspx?|jsp|js|json|xml|txt|log|conf|cfg|ini|ya?ml|csv|tsv|exe|dll|sys|gz|tgz|jpe?g|png|gif|svg|ico|css|bat|ps1|java|class|jar|tmp|bak|pdf|docx?|xlsx?)(?![A-Za-z0-9-]))[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9])(?![\w-]|\.[A-Za-z0-9-]|(?::\d{1,5})?/|@)`;
export const DEFAULT_RE_IP = String.raw`((?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)|(?<![\w.:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?=[0-9A-Fa-f:]*[0-9A-Fa-f])(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?)(?![\w:]|\.\d))`;

export const DEFAULT_RE_MD5 = String.raw`(?<![\w.-])([0-9A-Fa-f]{32})(?![\w-]|\.\w)`;
export const DEFAULT_RE_SHA1 = String.raw`(?<![\w.-])([0-9A-Fa-f]{40})(?![\w-]|\.\w)`;
export const DEFAULT_RE_SHA256 = String.raw`(?<![\w.-])([0-9A-Fa-f]{64})(?![\w-]|\.\w)`;

/**
 * The default hash regexes all need 32 hex digits in a row, which the prefilter analysis cannot
 * see (it only keeps short literal runs); one shared test on an event decides for all three.
 */
const HEX_RUN = /[0-9A-Fa-f]{32}/;
const PREFILTERS: ReadonlyMap<string, RegExp> = new Map([
  [DEFAULT_RE_MD5, HEX_RUN],
  [DEFAULT_RE_SHA1, HEX_RUN],
  [DEFAULT_RE_SHA256, HEX_RUN],
]);

/**
 * A prefilter for a default pattern that `regexPrefilter` finds none for; rules given the same
 * object share one test per event.
 *
 * @example
 * ```ts
 * knownPrefilter(DEFAULT_RE_SHA1) === knownPrefilter(DEFAULT_RE_MD5); // true
 * ```
 */
export function knownPrefilter(pattern: string): RegExp | undefined {
  return PREFILTERS.get(pattern);
}

// ASCII character classes as bit flags; everything from U+0080 up is in none of them.
const DIGIT = 1;
const HEX = 2;
/** `[A-Za-z0-9_-]`: `\w` and `-`, what may precede a label start only inside the same run. */
const LABEL = 4;
const WORD = 8;
const LETTER = 16;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/\d/.test(ch)) CLASS[c]! |= DIGIT;
  if (/[0-9A-Fa-f]/.test(ch)) CLASS[c]! |= HEX;
  if (/[\w-]/.test(ch)) CLASS[c]! |= LABEL;
  if (/\w/.test(ch)) CLASS[c]! |= WORD;
  if (/[A-Za-z]/.test(ch)) CLASS[c]! |= LETTER;
}

/**
 * The start finders' pass over an ASCII event in WebAssembly (anchor_scan.wat): 16 characters at
 * a time it finds the `.`, `:`, `=` and `/` that the JavaScript below finds with one `indexOf`
 * call each (a call costs 11–16 ns here, a typed-array loop 0.7 ns a byte), and derives from them
 * what `scanDots`, `scanColons`, `urlStarts` and `scanHashes` do. Those still serve events with
 * other characters (positions in bytes would not be positions in the string), longer events, and
 * runtimes without WebAssembly SIMD; test/service/anchor_scan.test.ts compares the two.
 */
// Addresses below are those of the memory map at the top of anchor_scan.wat.
/** The longest event the pass takes (its input area). */
const WASM_INPUT_MAX = 131_040;
const WASM = instantiateAnchorScan();
/** Zero bytes after an event in the byte buffers: reads a few past the end see no class, as `charCodeAt`'s NaN did. */
const PADDING = 16;
const WASM_INPUT = WASM === undefined ? undefined : new Uint8Array(WASM.memory.buffer, 16, WASM_INPUT_MAX + PADDING);
const WASM_COUNTS = list(153_600, 16);
const URL_VALUES = list(147_456, 1024);
const ENCODER = new TextEncoder();
let wasmEnabled = WASM !== undefined;
/** The text the last WebAssembly pass read, and the last one it could not (not ASCII, too long). */
let asciiText: string | undefined;
let refusedText: string | undefined;
let urlValueCount = 0;
let hasSlash = false;
/** The text `eventBytes` holds, and where. */
let bytesText: string | undefined;
let bytesView = new Uint8Array(PADDING);
let ownBytes = new Uint8Array(1024);

function instantiateAnchorScan(): { memory: WebAssembly.Memory; scan: (n: number) => void } | undefined {
  try {
    const bytes = Uint8Array.from(atob(ANCHOR_SCAN_WASM), (c) => c.charCodeAt(0));
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as { memory: WebAssembly.Memory; scan: (n: number) => void };
    new Uint8Array(exports.memory.buffer, 154_624, 256).set(CLASS);
    return exports;
  } catch {
    // No WebAssembly, or no SIMD in it: the JavaScript finders do all the work.
    return undefined;
  }
}

/** `length` i32s at `offset` of the WebAssembly memory, or an array of their own without it. */
function list(offset: number, length: number): Int32Array {
  return WASM === undefined ? new Int32Array(length) : new Int32Array(WASM.memory.buffer, offset, length);
}

/**
 * Runs the WebAssembly pass over `text` when it is ASCII and fits, leaving what every finder needs
 * in the lists and counts below as the JavaScript scans would; false when it cannot.
 */
function scanAscii(text: string): boolean {
  if (!wasmEnabled || text === refusedText) return false;
  const n = text.length;
  if (n > WASM_INPUT_MAX) {
    refusedText = text;
    return false;
  }
  const input = WASM_INPUT!;
  const r = ENCODER.encodeInto(text, input);
  // Any other character takes two bytes or more: as many bytes as characters means ASCII.
  if (r.read !== n || r.written !== n) {
    refusedText = text;
    if (bytesView === input) bytesText = undefined;
    return false;
  }
  input.fill(0, n, n + PADDING);
  bytesText = text;
  bytesView = input;
  WASM!.scan(n);
  const counts = WASM_COUNTS;
  labelCount = counts[0]!;
  ipv4Count = counts[1]!;
  dotLetter = counts[2] === 1;
  colonCount = counts[3]!;
  schemeCount = counts[4]!;
  lastDouble = counts[5]!;
  urlValueCount = counts[6]!;
  hasSlash = counts[7] === 1;
  hashCount = counts[8]!;
  asciiText = dotsText = colonText = hashText = text;
  return true;
}

/**
 * `text` one byte a UTF-16 unit, for the direct matchers (`_direct_match.ts`): ASCII as is, any
 * other unit 128 when JavaScript's `\s` matches it and 129 when not, then zero bytes. A typed array
 * reads in half the time of `charCodeAt` here. An ASCII event the finders just scanned is in the
 * WebAssembly pass's input already; others are written there (or, when longer, to an array of
 * their own). Valid until the next call with another text.
 */
export function eventBytes(text: string): Uint8Array {
  if (text === bytesText) return bytesView;
  const n = text.length;
  let bytes = WASM_INPUT !== undefined && n <= WASM_INPUT_MAX ? WASM_INPUT : ownBytes;
  if (bytes.length < n + PADDING) bytes = ownBytes = new Uint8Array(Math.max(2 * ownBytes.length, n + PADDING));
  // A text the pass refused is not ASCII (or too long for it): encoding it again would fail again.
  const r = text === refusedText ? undefined : ENCODER.encodeInto(text, bytes);
  if (r === undefined || r.read !== n || r.written !== n) {
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      bytes[i] = c < 128 ? c : isWideSpace(c) ? 128 : 129;
    }
  }
  bytes.fill(0, n, n + PADDING);
  bytesText = text;
  bytesView = bytes;
  return bytes;
}

/** JavaScript's `\s` above ASCII. */
function isWideSpace(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Turns the WebAssembly pass off or back on (tests compare it with the JavaScript finders); returns whether it is available. */
export function useAnchorScan(enabled: boolean): boolean {
  wasmEnabled = enabled && WASM !== undefined;
  asciiText = refusedText = dotsText = colonText = hashText = bytesText = undefined;
  return WASM !== undefined;
}

function is(text: string, i: number, flag: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && (CLASS[c]! & flag) !== 0;
}

/** Start of the run of `flag` characters ending just before `anchor`, if it is 1..`max` long; else -1. */
function runStart(text: string, anchor: number, flag: number, max: number): number {
  let p = anchor;
  while (p > 0 && is(text, p - 1, flag)) {
    p--;
    if (anchor - p > max) return -1;
  }
  return p === anchor ? -1 : p;
}

/** Sorts `out[0..n)` in place and drops repeats; returns the new count (n is small: anchors in one line). */
function sortDistinct(out: Int32Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const v = out[i]!;
    let j = i - 1;
    while (j >= 0 && out[j]! > v) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = v;
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (k === 0 || out[k - 1] !== out[i]) out[k++] = out[i]!;
  return k;
}

/**
 * One pass over the dots of an event for two finders. A host name's first label starts at a
 * letter or digit not preceded by `\w`, `-`, `.`, `@`, `/`, `:` or `\` (the lookbehind both
 * RE_DOMAIN and RE_URL's host branch open with) and runs, without a dot, 1–63 characters up to
 * the first `.`: so it starts where the `[\w-]` run before a dot does. An IPv4 match starts at the
 * 1–3 digits before its first `.`, not after `\w` or `.`; those digits end the same run, so one
 * walk back from each dot finds both (a separate pass for each cost a second `indexOf` loop and
 * walk per dot). The rest of the IPv4 shape is left to the direct matcher, which checks it anyway
 * (checking it here too cost more than the few extra candidates: version numbers, times).
 */
function scanDots(text: string): void {
  let labels = 0;
  let ipv4 = 0;
  let letter = false;
  for (let d = text.indexOf("."); d >= 0; d = text.indexOf(".", d + 1)) {
    if (!letter) {
      const next = text.charCodeAt(d + 1);
      letter = next < 128 && (CLASS[next]! & LETTER) !== 0;
    }
    // Walk back over `[\w-]`, at most 64 characters; `digits`: how many of them, from the dot, are digits.
    let p = d;
    let digits = -1;
    while (p > 0) {
      const c = text.charCodeAt(p - 1);
      if (c >= 128 || (CLASS[c]! & LABEL) === 0) break;
      if (digits < 0 && (CLASS[c]! & DIGIT) === 0) digits = d - p;
      p--;
      if (d - p > 63) break;
    }
    if (digits < 0) digits = d - p;
    if (p < d && d - p <= 63 && labels >= 0) {
      const b = p > 0 ? text.charCodeAt(p - 1) : 0;
      // . @ / : \
      if (b !== 46 && b !== 64 && b !== 47 && b !== 58 && b !== 92) {
        if (labels === LABELS.length) labels = -1;
        else LABELS[labels++] = p;
      }
    }
    const q = d - digits;
    if (digits < 1 || digits > 3 || ipv4 < 0) continue;
    if (q > 0) {
      const b = text.charCodeAt(q - 1);
      if (b === 46 || (b < 128 && (CLASS[b]! & WORD) !== 0)) continue;
    }
    if (ipv4 === IPV4_DOTS.length) ipv4 = -1;
    else IPV4_DOTS[ipv4++] = q;
  }
  dotsText = text;
  labelCount = labels;
  ipv4Count = ipv4;
  dotLetter = letter;
}

// RE_URL, RE_DOMAIN and RE_IP all need the dots of the same event: scanned once, copied out.
let dotsText: string | undefined;
let labelCount = 0;
let ipv4Count = 0;
/** A `.` followed by a letter: every RE_DOMAIN match has one before its TLD (its prefilter before this). */
let dotLetter = false;
const LABELS = list(131_072, 1024);
const IPV4_DOTS = list(135_168, 1024);

/** Label starts (see {@link scanDots}), remembered for the last text. */
function labelStarts(text: string, out: Int32Array): number {
  if (text !== dotsText && !scanAscii(text)) scanDots(text);
  if (labelCount < 0 || labelCount > out.length) return -1;
  for (let k = 0; k < labelCount; k++) out[k] = LABELS[k]!;
  return labelCount;
}

/** Length of the run of `flag` characters starting at `i`, counting at most `max + 1`. */
function runLength(text: string, i: number, flag: number, max: number): number {
  let k = 0;
  while (k <= max && i + k < text.length && is(text, i + k, flag)) k++;
  return k;
}

/** Whether `text` at `p` reads `groups` runs of 1–`max` `flag` characters, each followed by `separator`, then one more such character. */
function groupsShape(text: string, p: number, groups: number, flag: number, max: number, separator: number): boolean {
  let i = p;
  for (let group = 0; group < groups; group++) {
    const k = runLength(text, i, flag, max);
    if (k === 0 || k > max || text.charCodeAt(i + k) !== separator) return false;
    i += k + 1;
  }
  return is(text, i, flag);
}

/** The colons of the current chain, by chain position mod 8. */
const CHAIN = new Int32Array(8);
/** The positions of an event's colons. */
const COLONS = list(139_264, 1024);
/** The colons of the event that start a `://`. */
const SCHEME_COLONS = list(143_360, 1024);
let colonText: string | undefined;
/** -1: more colons than fit. */
let colonCount = 0;
let schemeCount = 0;
/** The first colon of the event's last `::`, or -1. */
let lastDouble = -1;

/**
 * One pass over the colons of an event for RE_IP (IPv6 starts) and RE_URL (`://` after a
 * scheme): a multi-character `indexOf("://")` scan cost as much as the whole colon pass.
 */
function scanColons(text: string): void {
  let colons = 0;
  let schemes = 0;
  let double = -1;
  for (let d = text.indexOf(":"); d >= 0; d = text.indexOf(":", d + 1)) {
    if (colons === COLONS.length) {
      colons = -1;
      break;
    }
    if (colons > 0 && COLONS[colons - 1] === d - 1) double = d - 1;
    COLONS[colons++] = d;
    if (text.charCodeAt(d + 1) === 47 && text.charCodeAt(d + 2) === 47) SCHEME_COLONS[schemes++] = d;
  }
  colonText = text;
  colonCount = colons;
  schemeCount = schemes;
  lastDouble = double;
}

/**
 * RE_IP: an IPv4 match starts at the 1–3 digits before its first `.` (see {@link scanDots}); an IPv6 match at the 1–4 hex digits before its first `:`, or at
 * that `:` itself (`::1`), not after `\w`, `.` or `:`, and holds `::` or eight full groups.
 */
const ipStarts: StartFinder = (text, out) => {
  if (text !== dotsText && !scanAscii(text)) scanDots(text);
  if (ipv4Count < 0 || ipv4Count > out.length) return -1;
  let n = ipv4Count;
  for (let k = 0; k < n; k++) out[k] = IPV4_DOTS[k]!;
  const dots = n;
  let mixed = false;
  // A compressed match holds the last `::` of the text or an earlier one, so it starts at or
  // before the last. Found from the colons' positions: `lastIndexOf("::")` alone cost more than
  // this whole pass (0.24 µs a line).
  if (text !== colonText && !scanAscii(text)) scanColons(text);
  const colons = colonCount;
  if (colons < 0) return -1;
  // Without `::`, a match is eight full groups: seven colons, each 2–5 characters after the one
  // before. Timestamps and MAC addresses have shorter chains, so they cost no shape check.
  let chain = 0;
  let previous = -8;
  for (let k = 0; k < colons; k++) {
    const d = COLONS[k]!;
    const gap = d - previous;
    previous = d;
    chain = gap >= 2 && gap <= 5 ? chain + 1 : 1;
    CHAIN[chain & 7] = d;
    if (d - 4 <= lastDouble) {
      const start = ipv6Start(text, d);
      if (start >= 0 && start <= lastDouble) {
        if (n === out.length) return -1;
        out[n++] = start;
      }
    }
    if (chain >= 7) {
      const start = ipv6Start(text, CHAIN[(chain - 6) & 7]!);
      if (start >= 0 && groupsShape(text, start, 7, HEX, 4, 58)) {
        if (n === out.length) return -1;
        out[n++] = start;
        mixed = true;
      }
    }
  }
  // Each pass is ascending on its own; only a mix needs sorting.
  return mixed || (dots > 0 && n > dots) ? sortDistinct(out, n) : n;
};

/** Where an IPv6 match whose first `:` is at `d` would start: the 1–4 hex digits before it, or `d`; -1 when the lookbehind forbids it. */
function ipv6Start(text: string, d: number): number {
  const p = runStart(text, d, HEX, 4);
  const start = p >= 0 ? p : d;
  if (start > 0) {
    const b = text.charCodeAt(start - 1);
    if (is(text, start - 1, WORD) || b === 46 || b === 58) return -1;
  }
  return start;
}

/** RE_DOMAIN: the label starts (see {@link scanDots}); none without a `.` and a letter after it. */
const domainStarts: StartFinder = (text, out) => {
  const n = labelStarts(text, out);
  return dotLetter ? n : 0;
};

/**
 * RE_URL: the value after `url=` (any case), a scheme (`http`, `https`, `ftp`) ending just
 * before `://`, or a host name's first label (as for RE_DOMAIN). Every match but a `url=` value
 * holds a `/`: without one only those are looked for (a prefilter regex did this before).
 */
const urlStarts: StartFinder = (text, out) => {
  if (text !== asciiText && !scanAscii(text)) scanUrlValues(text);
  let n = 0;
  let hosts = 0;
  if (hasSlash) {
    n = hosts = labelStarts(text, out);
    if (n < 0) return -1;
    if (text !== colonText) scanColons(text);
    if (colonCount < 0) return -1;
    for (let k = 0; k < schemeCount; k++) {
      const d = SCHEME_COLONS[k]!;
      for (let p = d - 5; p <= d - 3; p++) {
        if (p < 0) continue;
        if (n === out.length) return -1;
        out[n++] = p;
      }
    }
  }
  if (urlValueCount < 0) return -1;
  for (let k = 0; k < urlValueCount; k++) {
    if (n === out.length) return -1;
    out[n++] = URL_VALUES[k]!;
  }
  // Host labels come sorted; schemes and `url=` values join them in any order.
  return n > hosts ? sortDistinct(out, n) : n;
};

/** Whether the text holds a `/`, and where values after `url=` (any case) start: the WebAssembly pass's part for `urlStarts`. */
function scanUrlValues(text: string): void {
  hasSlash = text.indexOf("/") >= 0;
  let urls = 0;
  for (let d = text.indexOf("="); d >= 0; d = text.indexOf("=", d + 1)) {
    if (d < 3 || (text.charCodeAt(d - 1) | 32) !== 108 || (text.charCodeAt(d - 2) | 32) !== 114 || (text.charCodeAt(d - 3) | 32) !== 117) continue;
    if (urls === URL_VALUES.length) {
      urls = -1;
      break;
    }
    URL_VALUES[urls++] = d + 1;
  }
  urlValueCount = urls;
}

/**
 * The three default hash regexes in one: a match of any of them is a whole `[\w-]` run of 32, 40
 * or 64 hex digits (the lookbehind and lookahead refuse `\w` and `-` on both sides), and this
 * tries 64, then 40, then 32 digits at each start. One scan of the event for all three instead of
 * a prefilter and then three regexes.
 */
const ANY_HASH = /(?<![\w.-])[0-9A-Fa-f]{32}(?:[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?)?(?![\w-]|\.\w)/g;
let hashText: string | undefined;
/** Start and length of each match of {@link ANY_HASH} in `hashText`; -1: more than fit. */
let hashCount = 0;
const HASH_STARTS = list(151_552, 256);
const HASH_LENGTHS = list(152_576, 256);

function scanHashes(text: string): void {
  let n = 0;
  ANY_HASH.lastIndex = 0;
  for (let m = ANY_HASH.exec(text); m !== null; m = ANY_HASH.exec(text)) {
    if (n === HASH_STARTS.length) {
      n = -1;
      break;
    }
    HASH_STARTS[n] = m.index;
    HASH_LENGTHS[n++] = m[0].length;
  }
  hashText = text;
  hashCount = n;
}

/** A default hash regex of `length` digits: the matches of {@link ANY_HASH} of that length, which are exactly its matches. */
function hashStarts(length: number): StartFinder {
  return (text, out) => {
    if (text !== hashText && !scanAscii(text)) scanHashes(text);
    if (hashCount < 0) return -1;
    let n = 0;
    for (let k = 0; k < hashCount; k++) {
      if (HASH_LENGTHS[k] !== length) continue;
      if (n === out.length) return -1;
      out[n++] = HASH_STARTS[k]!;
    }
    return n;
  };
}

const FINDERS: ReadonlyMap<string, StartFinder> = new Map([
  [DEFAULT_RE_IP, ipStarts],
  [DEFAULT_RE_DOMAIN, domainStarts],
  [DEFAULT_RE_URL, urlStarts],
  [DEFAULT_RE_MD5, hashStarts(32)],
  [DEFAULT_RE_SHA1, hashStarts(40)],
  [DEFAULT_RE_SHA256, hashStarts(64)],
]);

/**
 * The start finder for a pattern, when it is one of the embedded defaults written exactly so.
 *
 * @example
 * ```ts
 * const find = startFinder(DEFAULT_RE_IP)!;
 * const out = new Int32Array(64);
 * out.subarray(0, find("from 10.0.0.1 port 22", out)); // Int32Array [5]
 * ```
 */
export function startFinder(pattern: string): StartFinder | undefined {
  return FINDERS.get(pattern);
}
