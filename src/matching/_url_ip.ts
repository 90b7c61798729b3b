/**
 * IP literals in URL hosts, rewritten the way Kaspersky's URL normaliser does (spec §4.4 rule 3),
 * quirks included so that feed keys and event URLs agree with its output.
 */
import { formatIPv6 } from "./format_ip.ts";

// Go's unicode.IsSpace, which the reference trims with before reading an IPv4 host.
function isGoSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) || c === 32 || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
    c === 0x205f || c === 0x3000
  );
}

const MAX_PART = [0, 255, 255 ** 2, 255 ** 3, 255 ** 4];

// Reads one part of `s[start, end)`: `0x` hex, leading-`0` octal or decimal, at most 2^32 - 1.
function parsePart(s: string, start: number, end: number): number {
  let base = 10;
  if (end - start >= 2 && s.charCodeAt(start) === 48) {
    if (s.charCodeAt(start + 1) === 120) {
      base = 16;
      start += 2;
    } else {
      base = 8;
      start += 1;
    }
  }
  if (start === end) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    if (d >= base) return -1;
    n = n * base + d;
    if (n > 0xffffffff) return -1;
  }
  return n;
}

/**
 * Rewrites a host made of 1–4 dot-separated numbers (decimal, `0x` hex, leading-`0` octal) in
 * dotted decimal, the last number filling the remaining bytes; undefined when it is not one.
 * The last number's limit is 255^k rather than 256^k − 1: the reference's quirk, kept on purpose.
 */
export function rewriteIPv4(host: string): string | undefined {
  let start = 0;
  let end = host.length;
  while (start < end && isGoSpace(host.charCodeAt(start))) start++;
  while (end > start && isGoSpace(host.charCodeAt(end - 1))) end--;
  if (start === end) return undefined;
  const c0 = host.charCodeAt(start);
  if (c0 < 48 || c0 > 57) return undefined; // every form starts with a digit
  let parts = 1;
  for (let i = start; i < end; i++) if (host.charCodeAt(i) === 46) parts++;
  if (parts > 4) return undefined;
  let out = "";
  let from = start;
  for (let k = 1; k < parts; k++) {
    const dot = host.indexOf(".", from);
    const n = parsePart(host, from, dot);
    if (n < 0 || n > 255) return undefined;
    out += n + ".";
    from = dot + 1;
  }
  const last = parsePart(host, from, end);
  if (last < 0 || last > MAX_PART[5 - parts]!) return undefined;
  for (let k = 4 - parts; k >= 0; k--) {
    out += Math.floor(last / 256 ** k) % 256;
    if (k > 0) out += ".";
  }
  return out;
}

// Strict dotted quad for the tail of an IPv6 literal: no leading zeros, as Go's parser.
function parseQuad(s: string, out: number[]): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p.charCodeAt(0) === 48)) return false;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 48 || c > 57) return false;
      n = n * 10 + c - 48;
    }
    if (n > 255) return false;
    out.push(n);
  }
  return true;
}

/** Parses an IPv6 address (no brackets, no zone) into 8 groups; undefined when invalid. */
function parseIPv6Groups(s: string): number[] | undefined {
  const head: number[] = [];
  const tail: number[] = [];
  let target = head;
  let ellipsis = false;
  let i = 0;
  if (s.startsWith("::")) {
    ellipsis = true;
    target = tail;
    i = 2;
    if (s.length === 2) return [0, 0, 0, 0, 0, 0, 0, 0];
  }
  for (;;) {
    let j = i;
    let n = 0;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      n = n * 16 + d;
      if (n > 0xffff) return undefined;
      j++;
    }
    if (j === i) return undefined;
    if (s.charCodeAt(j) === 46) {
      const quad: number[] = [];
      if (head.length + tail.length > 6 || (!ellipsis && head.length !== 6)) return undefined;
      if (!parseQuad(s.slice(i), quad)) return undefined;
      target.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
      break;
    }
    target.push(n);
    if (head.length + tail.length > 8) return undefined;
    if (j === s.length) break;
    if (s.charCodeAt(j) !== 58 || j + 1 === s.length) return undefined;
    i = j + 1;
    if (s.charCodeAt(i) === 58) {
      if (ellipsis) return undefined;
      ellipsis = true;
      target = tail;
      i++;
      if (i === s.length) break;
    }
  }
  const filled = head.length + tail.length;
  if (filled > 8 || (ellipsis ? filled === 8 : filled !== 8)) return undefined;
  const zeros = new Array<number>(8 - filled).fill(0);
  return head.concat(zeros, tail);
}

/** RFC 5952 text of eight groups; an IPv4-mapped address prints as a dotted quad, as Go does. */
function formatGroups(g: number[]): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  const words = [0, 0, 0, 0];
  for (let w = 0; w < 4; w++) words[w] = ((g[2 * w]! << 16) | g[2 * w + 1]!) >>> 0;
  return formatIPv6(words);
}

/**
 * Canonicalises an IPv6 literal (RFC 5952 compression, lower case; IPv4-mapped addresses print
 * as dotted quads), keeping whichever of the brackets the text had; undefined when invalid.
 */
export function rewriteIPv6(text: string): string | undefined {
  const open = text.charCodeAt(0) === 91;
  const close = text.charCodeAt(text.length - 1) === 93;
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 91 || text.charCodeAt(start) === 93)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 91 || text.charCodeAt(end - 1) === 93)) end--;
  const groups = parseIPv6Groups(text.slice(start, end));
  if (groups === undefined) return undefined;
  const body = formatGroups(groups);
  return (open ? "[" : "") + body + (close ? "]" : "");
}
