/**
 * URL normalisation for the indicator index (spec §4.4): turns any URL-ish text into the
 * `host[/path][?query]` key that feeds and events are compared on, in agreement with Kaspersky's
 * published normaliser except for the deliberate differences listed in docs/matching.md.
 */

import { finishHost } from "./_url_host.ts";
import { rewriteIPv6 } from "./_url_ip.ts";
import { URL_SCHEMES } from "./_url_schemes.ts";
import { collapseSlashes, goLower, hasBadEscape, hexValue, percentDecode } from "./_url_text.ts";

// Character classes, one bit each, for ASCII codes.
const FAST_PATH = 1; // may stay as is in an already-normal path or query
const FAST_HOST = 2; // may stay as is in an already-normal host (dots handled apart)
const UPPER = 4;
const HOST_OK = 8; // allowed literally in a host (Go's url.parseHost)
const USER_OK = 16; // allowed in userinfo (Go's validUserinfo)
const PATH_OK = 32; // path needs no re-escaping (Go's validEncoded): decoding waits for Clean

const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  const alnum = alpha || (c >= 48 && c <= 57);
  const ch = String.fromCharCode(c);
  let k = 0;
  if (alnum || "-_.~!$&'()*+,;=:@".includes(ch)) k |= FAST_PATH;
  if (alnum || ch === "-" || ch === "_") k |= FAST_HOST;
  if (c >= 65 && c <= 90) k |= UPPER;
  if (alnum || "-_.~!$&'()*+,;=:[]<>\"".includes(ch)) k |= HOST_OK;
  if (alnum || "-._:~!$&'()*+,;=%@".includes(ch)) k |= USER_OK;
  if (alnum || "-_.~!$&'()*+,/:;=@[]%".includes(ch)) k |= PATH_OK;
  CLASS[c] = k;
}

/**
 * Normalises a URL, or any URL-ish indicator (`host/path`, `/path`, `ip:port`, defanged `hxxp`),
 * to the key the index is built on: `host[/path][?query]` with no scheme, userinfo, port or
 * fragment; host and path lower-cased and percent-decoded once; IPv4 in dotted decimal, IPv6
 * compressed; Unicode hosts in punycode. Returns undefined when the input is rejected (a space,
 * `\` or `|` in the host, a non-numeric port, a broken IPv6 literal, a control character).
 *
 * Typical URLs (already lower-case ASCII, nothing to decode or resolve) take a single scan and
 * return a slice of the input.
 *
 * @example Normalise an event URL
 * ```ts
 * normalizeUrl("HTTP://WWW.Example.COM:8080/A/../B/./C.HTML?X=1#top"); // "example.com/b/c.html?x=1"
 * normalizeUrl("hxxp://0x7f.1/x"); // "127.0.0.1/x"
 * normalizeUrl("http://bad host/"); // undefined
 * ```
 */
export function normalizeUrl(input: string): string | undefined {
  const fast = fastNormalize(input, 0, input.length, false);
  return fast === null ? slowNormalize(input) : (fast as string);
}

/** Where {@link normalizeUrlSpan} found the normalised text: `[URL_SPAN[0], URL_SPAN[1])`. */
export const URL_SPAN = new Int32Array(2);

/**
 * Whether `normalizeUrl(s.slice(start, end))` is a slice of `s` as it stands (the usual URL: a
 * scheme and a `www.` to drop at most, nothing to lower-case or decode); then its bounds are in
 * {@link URL_SPAN}. The index looks such URLs up in the event text without making either string
 * (each costs ≈ 40 ns when first read); on false the caller normalises the slice as usual.
 *
 * @example
 * ```ts
 * normalizeUrlSpan("GET http://www.example.com/a x", 4, 29); // true: URL_SPAN is [15, 29]
 * normalizeUrlSpan("GET HTTP://Example.COM/ x", 4, 23); // false: it needs lower-casing
 * ```
 */
export function normalizeUrlSpan(s: string, start: number, end: number): boolean {
  return fastNormalize(s, start, end, true) === undefined;
}

/**
 * Normalises a bare host name or IP address for DOMAIN and IP-in-URL lookups with the same host
 * rules as {@link normalizeUrl}: lower case, punycode, trailing and doubled dots dropped, one
 * leading `www.` dropped, IPv4 forms rewritten, IPv6 compressed. Returns undefined for an empty
 * result or for text that is not a host (`/`, `?`, `#`, `@`, `%`, a port, a space...).
 *
 * @example Normalise domains
 * ```ts
 * normalizeHost("WWW.Example.COM."); // "example.com"
 * normalizeHost("0x7f.1"); // "127.0.0.1"
 * normalizeHost("example.com/x"); // undefined
 * ```
 */
export function normalizeHost(host: string): string | undefined {
  const n = host.length;
  let labelStart = true;
  let digitLabels = true;
  let simple = n > 0;
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c === 46) {
      if (labelStart) simple = false;
      labelStart = true;
      continue;
    }
    if (c >= 128) {
      simple = false;
      continue;
    }
    const k = CLASS[c]!;
    if ((k & HOST_OK) === 0) return undefined;
    if ((k & FAST_HOST) === 0 || (k & UPPER) !== 0) simple = false;
    if (labelStart && (c < 48 || c > 57)) digitLabels = false;
    labelStart = false;
  }
  if (simple && !labelStart && !digitLabels && !startsWithWww(host, 0, n)) return host;
  if (host.charCodeAt(0) === 91) {
    return host.charCodeAt(n - 1) === 93 ? rewriteBracketed(host) : undefined;
  }
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i);
    // Brackets and quotes pass Go's host check but are no part of a host name.
    if (c === 91 || c === 93 || c === 60 || c === 62 || c === 34) return undefined;
  }
  const colon = host.indexOf(":");
  if (colon >= 0 && host.indexOf(":", colon + 1) < 0) return undefined; // a port, not a host
  const out = finishHost(host);
  return out === "" ? undefined : out;
}

function rewriteBracketed(host: string): string | undefined {
  const inner = host.slice(1, -1);
  if (inner.indexOf("[") >= 0 || inner.indexOf("]") >= 0) return undefined;
  return rewriteIPv6(host);
}

function startsWithWww(s: string, at: number, end: number): boolean {
  return (
    end - at > 4 &&
    s.charCodeAt(at + 3) === 46 &&
    (s.charCodeAt(at) | 32) === 119 &&
    (s.charCodeAt(at + 1) | 32) === 119 &&
    (s.charCodeAt(at + 2) | 32) === 119
  );
}

/** Length of a leading `http://` or `https://` in any case, else 0. */
function httpSchemeLength(s: string, p: number, end: number): number {
  if (
    end - p < 7 ||
    (s.charCodeAt(p) | 32) !== 104 ||
    (s.charCodeAt(p + 1) | 32) !== 116 ||
    (s.charCodeAt(p + 2) | 32) !== 116 ||
    (s.charCodeAt(p + 3) | 32) !== 112
  ) {
    return 0;
  }
  const at = (s.charCodeAt(p + 4) | 32) === 115 ? 5 : 4;
  return end - p >= at + 3 && s.charCodeAt(p + at) === 58 && s.charCodeAt(p + at + 1) === 47 && s.charCodeAt(p + at + 2) === 47
    ? at + 3
    : 0;
}

/**
 * The common case in one scan, measured at 0.1–0.3 µs against 2–5 µs for the full algorithm on
 * the 2-core reference box: `http(s)://` or no scheme; an ASCII host that is not an IP form,
 * with at most a `www.` and a numeric port to drop; a path without empty (but a final), dot or
 * dot-ending segments; a query; a fragment to drop. Percent-escapes are decoded here only when
 * they cannot change the structure. Returns null when some other rule might apply, and the full
 * algorithm runs instead; the two are fuzzed against each other. Reads `s[start, end)`; with
 * `span`, a result that is a slice of `s` unchanged is not made: its bounds go to `URL_SPAN` and
 * the answer is undefined.
 */
function fastNormalize(s: string, start: number, end: number, span: boolean): string | null | undefined {
  const n = end;
  let i = start + httpSchemeLength(s, start, end);
  const schemeGiven = i > start;
  const hostStart = i;
  let upper = false;
  let labelStart = true;
  let digitLabels = true;
  let c = 0;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c === 46) {
      if (labelStart) return null;
      labelStart = true;
      continue;
    }
    if (c === 47 || c === 63 || c === 35 || c === 58) break;
    if (c >= 128) return null;
    const k = CLASS[c]!;
    if ((k & FAST_HOST) === 0) return null;
    if (labelStart) {
      if (c < 48 || c > 57) digitLabels = false;
      labelStart = false;
    }
    if ((k & UPPER) !== 0) upper = true;
  }
  const hostEnd = i;
  // Empty host or trailing dot.
  if (labelStart) return null;
  let outStart = hostStart;
  if (startsWithWww(s, hostStart, hostEnd)) {
    outStart += 4;
    const d = s.charCodeAt(outStart);
    if (d >= 48 && d <= 57) return null; // maybe an IPv4 form behind the `www.`
  } else if (digitLabels && !isDottedDecimal(s, hostStart, hostEnd)) {
    return null; // every label starts with a digit: maybe an IPv4 form to rewrite
  }
  // Without a scheme, text before the first `:` (or all of it) may be a registered scheme.
  if (!schemeGiven && (i === n || c === 58) && (upper || URL_SCHEMES.has(s.slice(start, hostEnd)))) {
    return null;
  }
  if (c === 58 && i < n) {
    for (i++; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
    }
    if (i < n && c !== 47 && c !== 63 && c !== 35) return null;
  }
  const restStart = i;

  let pathPct = false;
  let trailingSlash = false;
  if (i < n && s.charCodeAt(i) === 47) {
    const pathStart = ++i;
    let segStart = i;
    for (; ; i++) {
      c = i < n ? s.charCodeAt(i) : 35;
      if (c === 47 || c === 63 || c === 35) {
        if (i === segStart) {
          if (c === 47) return null; // `//`
          trailingSlash = true;
          break;
        }
        // A segment ending in `.`: dot-segments, and the `x/a.?q` quirk.
        if (s.charCodeAt(i - 1) === 46) return null;
        if (c !== 47) break;
        segStart = i + 1;
        continue;
      }
      if (c === 37) {
        pathPct = true;
        continue;
      }
      if (c >= 128) return null;
      const k = CLASS[c]!;
      if ((k & FAST_PATH) === 0) return null;
      if ((k & UPPER) !== 0) upper = true;
    }
    const last = trailingSlash ? i - 1 : i;
    if (last === pathStart + 1 && s.charCodeAt(pathStart) === 42) return null; // path `*`
  }
  const pathEnd = i;

  let queryStart = -1;
  let queryWork = false; // escapes to decode or slash runs to collapse
  if (i < n && s.charCodeAt(i) === 63) {
    queryStart = ++i;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c === 35) break;
      if (c === 37 || (c === 47 && s.charCodeAt(i - 1) === 47)) {
        queryWork = true;
        continue;
      }
      if (c >= 128) return null;
      const k = CLASS[c]!;
      if (c !== 47 && (k & FAST_PATH) === 0) return null;
      if ((k & UPPER) !== 0) upper = true;
    }
    if (i === queryStart) return null; // `x?`: the trailing-`?` rules
    if (!queryWork && s.charCodeAt(i - 1) === 46 && s.charCodeAt(i - 2) === 47) return null;
  }
  const preEnd = i;
  // A final `?` (even in the fragment) and bad escapes in the fragment have effects.
  if (i < n && (s.charCodeAt(n - 1) === 63 || hasBadEscape(s.slice(i + 1, n)))) return null;

  if (!pathPct && !queryWork && restStart === hostEnd) {
    const outEnd = trailingSlash && queryStart < 0 ? pathEnd - 1 : preEnd;
    if (span && !upper) {
      URL_SPAN[0] = outStart;
      URL_SPAN[1] = outEnd;
      return undefined;
    }
    const out = outStart === 0 && outEnd === s.length ? s : s.slice(outStart, outEnd);
    return upper ? out.toLowerCase() : out;
  }
  let out = s.slice(outStart, hostEnd);
  if (upper) out = out.toLowerCase();
  let path = s.slice(restStart, trailingSlash ? pathEnd - 1 : pathEnd);
  if (pathPct) {
    if (hasBadEscape(path)) return null;
    path = goLower(percentDecode(path));
    const e = path.charCodeAt(path.length - 1);
    if (path.indexOf("//") >= 0 || e === 47 || e === 46) return null;
  } else if (upper) {
    path = path.toLowerCase();
  }
  out += path;
  if (queryStart >= 0) {
    if (trailingSlash) out += "/";
    if (queryWork) {
      const query = decodeQueryAscii(s, queryStart, preEnd);
      if (query === null) return null;
      out += "?" + query;
    } else {
      const query = s.slice(queryStart, preEnd);
      out += "?" + (upper ? query.toLowerCase() : query);
    }
  }
  return out;
}

let queryBytes = new Uint8Array(512);
const utf8 = new TextDecoder();

/**
 * Rule 9 in one pass for an ASCII query whose escapes all decode to ASCII other than NUL:
 * decode, collapse slash runs, lower-case. Null when that does not hold, or when the result
 * ends in `/.` (a final-trim quirk). A code-unit buffer read back by `TextDecoder` measured
 * 3x faster than the four string passes of `decodeQuery` (measured under Bun).
 */
function decodeQueryAscii(s: string, start: number, end: number): string | null {
  if (end - start > queryBytes.length) queryBytes = new Uint8Array(2 * (end - start));
  const buf = queryBytes;
  let len = 0;
  let prevSlash = false;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c === 37) {
      if (i + 2 >= end) return null;
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      // Bad escape, non-ASCII byte, or `%00` (deleted before decoding, which can splice).
      if (hi < 0 || lo < 0 || hi >= 8 || (hi | lo) === 0) return null;
      c = (hi << 4) | lo;
      i += 2;
    }
    if (c === 47) {
      if (prevSlash) continue;
      prevSlash = true;
    } else {
      prevSlash = false;
      if (c >= 65 && c <= 90) c += 32;
    }
    buf[len++] = c;
  }
  if (len >= 2 && buf[len - 1] === 46 && buf[len - 2] === 47) return null;
  return utf8.decode(buf.subarray(0, len));
}

/** Rule 9 for a query whose URL decodes: `+` kept, `%00` deleted, decoded once if valid. */
function decodeQuery(raw: string): string {
  let q = raw;
  if (q.indexOf("+") >= 0) q = q.replaceAll("+", "%2B");
  if (q.indexOf("%00") >= 0) q = q.replaceAll("%00", "");
  if (!hasBadEscape(q)) {
    const decoded = percentDecode(q);
    if (decoded !== "") q = decoded;
  }
  return goLower(collapseSlashes(q));
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127) return true;
  }
  return false;
}

// Host text check, as Go's url.parseHost: 0 = fine, 1 = rejected, 2 = percent-escape that
// switches decoding off for the whole URL (malformed, or an ASCII byte other than `%25`).
const HOST_FINE = 0;
const HOST_BAD = 1;
const HOST_NO_DECODE = 2;

function checkHostText(h: string, zoneFrom: number): number {
  let verdict = HOST_FINE;
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (c === 37) {
      const hi = hexValue(h.charCodeAt(i + 1));
      const lo = hexValue(h.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) {
        verdict = HOST_NO_DECODE;
      } else if (!(hi === 2 && lo === 5)) {
        if (i >= zoneFrom) {
          // RFC 6874 zone: any escape of a byte that could be written as is, or a space.
          const v = (hi << 4) | lo;
          if (v !== 32 && v < 128 && (CLASS[v]! & HOST_OK) === 0) verdict = HOST_NO_DECODE;
        } else if (hi < 8) {
          verdict = HOST_NO_DECODE;
        }
      }
      i += 2;
    } else if (c < 128 && (CLASS[c]! & HOST_OK) === 0) {
      return HOST_BAD;
    }
  }
  return verdict;
}

function validPort(s: string, from: number): boolean {
  if (from === s.length) return true;
  if (s.charCodeAt(from) !== 58) return false;
  for (let i = from + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function validUserinfo(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c]! & USER_OK) === 0) return false;
  }
  return true;
}

function pathNeedsNoEscaping(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c]! & PATH_OK) === 0) return false;
  }
  return true;
}

/** RFC 3986 §5.2.4 on a rooted path: segments left after dropping empty, `.` and `..`. */
function cleanSegments(path: string): string[] {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return out;
}

/**
 * Whether `s[start, end)` is an IPv4 address already in the form rule 6 writes (four decimal
 * numbers 0–255 without leading zeros), which it leaves as it is. 78 % of Maltrail's URL trails
 * are such a host (`147.78.103.91/`): the full algorithm took 2.7 µs for each.
 */
function isDottedDecimal(s: string, start: number, end: number): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || ++parts > 4) return false;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false; // a leading zero: octal
      value = value * 10 + c - 48;
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** The full algorithm; the reference's behaviours are numbered as in the oracle README. */
function slowNormalize(input: string): string | undefined {
  // Rule 12: only leading U+0020 spaces go.
  let from = 0;
  while (input.charCodeAt(from) === 32) from++;
  // Rule 1: the text before the first `:` (the whole text if none) is a scheme only when
  // registered; the scheme and all slashes after it go. Otherwise leading slashes go (rule 2).
  const colon = input.indexOf(":", from);
  const name = colon < 0 ? input.slice(from) : input.slice(from, colon);
  if (name.length <= 40 && URL_SCHEMES.has(goLower(name))) from = colon < 0 ? input.length : colon + 1;
  while (input.charCodeAt(from) === 47) from++;
  const body = input.slice(from);
  const endsWithQuestion = body.endsWith("?");

  // Rule 11: the fragment goes, but a bad escape in it still switches decoding off.
  const hash = body.indexOf("#");
  const beforeHash = hash < 0 ? body : body.slice(0, hash);
  const fragment = hash < 0 ? "" : body.slice(hash + 1);
  if (hasControl(beforeHash)) return undefined;

  let rest = beforeHash;
  let rawQuery = "";
  let forceQuery = false;
  const question = beforeHash.indexOf("?");
  if (question >= 0) {
    rest = beforeHash.slice(0, question);
    if (question === beforeHash.length - 1) forceQuery = true;
    else rawQuery = beforeHash.slice(question + 1);
  }
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const rawPath = slash < 0 ? "" : rest.slice(slash);
  const at = authority.lastIndexOf("@");
  const rawHost = authority.slice(at + 1);

  // Rules 3, 5, 7: what makes the host unacceptable.
  let noDecode = false;
  let zoneFrom = rawHost.length;
  if (rawHost.charCodeAt(0) === 91) {
    const close = rawHost.lastIndexOf("]");
    if (close < 0 || !validPort(rawHost, close + 1)) return undefined;
    const zone = rawHost.slice(0, close).indexOf("%25");
    if (zone >= 0) zoneFrom = zone;
  } else {
    const portColon = rawHost.lastIndexOf(":");
    if (portColon >= 0 && !validPort(rawHost, portColon)) return undefined;
  }
  const hostVerdict = checkHostText(rawHost, zoneFrom);
  if (hostVerdict === HOST_BAD) return undefined;
  if (hostVerdict === HOST_NO_DECODE) noDecode = true;
  // Rule 4: userinfo goes, but must be well-formed.
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!validUserinfo(userinfo)) return undefined;
    if (hasBadEscape(userinfo)) noDecode = true;
  }
  // Rule 8: one bad escape outside the query switches decoding off for the whole URL.
  if (hasBadEscape(rawPath) || (fragment !== "" && hasBadEscape(fragment))) noDecode = true;

  const host = finishHost(noDecode ? rawHost : percentDecode(rawHost));
  if (host === undefined) return undefined;

  // Rule 8: dot-segments and slash runs go, then segments are decoded once and lower-cased.
  // When the raw path holds characters that need escaping (space, `\`, non-ASCII...), the
  // reference decodes first, so `%2F` splits and `%2E%2E` climbs; otherwise Clean runs first.
  let path = "";
  let decodedPath = rawPath;
  if (rawPath !== "") {
    let segments: string[];
    if (noDecode) {
      segments = cleanSegments(rawPath);
    } else {
      decodedPath = percentDecode(rawPath);
      if (pathNeedsNoEscaping(rawPath)) {
        segments = cleanSegments(rawPath);
        for (let k = 0; k < segments.length; k++) segments[k] = percentDecode(segments[k]!);
      } else {
        segments = cleanSegments(decodedPath);
      }
    }
    path = goLower(segments.join("/"));
    if (path === "*") path = "";
  }

  // Rule 9: the query is decoded as a whole, `+` kept, `%00` deleted, slash runs collapsed.
  let query = "";
  if (rawQuery !== "") {
    query = noDecode ? goLower(collapseSlashes(rawQuery)) : decodeQuery(rawQuery);
  }

  // Rule 10: assembly, with the reference's trailing-slash and `?` quirks.
  let out = host;
  if (host !== "" && path !== "" && path.charCodeAt(0) !== 47) out += "/";
  out += path;
  const last = decodedPath.charCodeAt(decodedPath.length - 1);
  if ((rawQuery !== "" || endsWithQuestion) && (last === 47 || last === 46) && !path.endsWith("/")) {
    out += "/";
  }
  if (query !== "") out += "?" + query;
  else if (forceQuery) out += "?";
  out = collapseSlashes(out);
  if (query === "" && out.endsWith("/?")) out = out.slice(0, -2);
  if (out.endsWith("/.")) out = out.slice(0, -2);
  return out;
}
