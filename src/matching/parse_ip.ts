/**
 * IP address and CIDR parsing for the indicator index: allocation-free parsers over a slice of a
 * string (the hot path parses lookup values in place), plus an allocating `parseCidr` for feeds.
 */

/**
 * Parses dotted-decimal IPv4 (`203.0.113.7`) in `s[start, end)` to an unsigned 32-bit number.
 * Exactly four parts of 1–3 digits, each ≤ 255; zero-padded parts (`010`) read as decimal,
 * as firewall logs pad them. Hex, octal and short forms are the URL normaliser's business.
 *
 * @example Parse an address
 * ```ts
 * parseIPv4("192.0.2.1"); // 3221225985
 * parseIPv4("1.2.3"); // undefined
 * ```
 */
export function parseIPv4(s: string, start = 0, end = s.length): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      part = part * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || part > 255 || parts === 3) return undefined;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || part > 255 || parts !== 3) return undefined;
  return value * 256 + part;
}

const groups = new Uint16Array(8);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Parses IPv6 text in `s[start, end)` (RFC 4291: `::` compression, an IPv4 tail such as
 * `::ffff:192.0.2.1`; no brackets, no zone) into `out[0..3]`, most significant word first.
 * Returns false, leaving `out` unspecified, when the text is not an IPv6 address.
 *
 * @example Parse into four words
 * ```ts
 * const words = new Uint32Array(4);
 * parseIPv6("2001:db8::1", words); // true; words = [0x20010db8, 0, 0, 1]
 * ```
 */
export function parseIPv6(s: string, out: Uint32Array, start = 0, end = s.length): boolean {
  if (end - start < 2) return false;
  let n = 0;
  let gap = -1;
  let i = start;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (n === 8) return false;
    let v = 0;
    let d = 0;
    let j = i;
    while (j < end && d < 5) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      d++;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      if (n > 6) return false;
      const v4 = parseIPv4(s, i, end);
      if (v4 === undefined) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      break;
    }
    if (d === 0 || d > 4) return false;
    groups[n++] = v;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58) return false;
    j++;
    if (j === end) return false;
    if (s.charCodeAt(j) === 58) {
      if (gap >= 0) return false;
      gap = n;
      j++;
    }
    i = j;
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return true;
}

/** An address or network: IPv4 as a u32, IPv6 as four u32 words; host bits are always clear. */
export type IpPrefix =
  | { readonly version: 4; readonly address: number; readonly prefix: number }
  | { readonly version: 6; readonly words: Uint32Array; readonly prefix: number };

/** Clears the bits of `address` below `prefix` (0–32). */
export function maskIPv4(address: number, prefix: number): number {
  return prefix === 0 ? 0 : (address & (0xffffffff << (32 - prefix))) >>> 0;
}

/** Clears, in place, the bits of the IPv6 `words` below `prefix` (0–128). */
export function maskIPv6(words: Uint32Array, prefix: number): void {
  for (let w = 0; w < 4; w++) {
    const keep = prefix - w * 32;
    if (keep <= 0) words[w] = 0;
    else if (keep < 32) words[w] = (words[w]! & (0xffffffff << (32 - keep))) >>> 0;
  }
}

/**
 * Parses an address or a CIDR network (`203.0.113.0/24`, `2001:db8::/32`, `[2001:db8::1]`).
 * A bare address is a /32 or /128. Host bits below the prefix are cleared rather than refused
 * (`192.0.2.77/24` is read as `192.0.2.0/24`), as feeds often write a member of the network.
 * Returns why the text was refused as a string, so loaders can report it.
 *
 * @example Parse a network
 * ```ts
 * parseCidr("198.51.100.9/24"); // { version: 4, address: 3325256704, prefix: 24 }
 * parseCidr("1.2.3"); // 'not an IPv4 or IPv6 address: "1.2.3"'
 * ```
 */
export function parseCidr(text: string): IpPrefix | string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 32) start++;
  while (end > start && text.charCodeAt(end - 1) <= 32) end--;
  const slash = text.indexOf("/", start);
  const addrEnd = slash >= 0 && slash < end ? slash : end;
  let prefix = -1;
  if (addrEnd < end) {
    const digits = text.slice(addrEnd + 1, end);
    if (!/^\d{1,3}$/.test(digits)) return `invalid CIDR prefix length: "${text}"`;
    prefix = Number(digits);
  }
  let a = start;
  let b = addrEnd;
  if (text.charCodeAt(a) === 91 && text.charCodeAt(b - 1) === 93) {
    a++;
    b--;
  }
  const v4 = parseIPv4(text, a, b);
  if (v4 !== undefined) {
    if (prefix > 32) return `CIDR prefix length must be 0 to 32 for IPv4: "${text}"`;
    const p = prefix < 0 ? 32 : prefix;
    return { version: 4, address: maskIPv4(v4, p), prefix: p };
  }
  const words = new Uint32Array(4);
  if (parseIPv6(text, words, a, b)) {
    if (prefix > 128) return `CIDR prefix length must be 0 to 128 for IPv6: "${text}"`;
    const p = prefix < 0 ? 128 : prefix;
    maskIPv6(words, p);
    return { version: 6, words, prefix: p };
  }
  return `not an IPv4 or IPv6 address: "${text}"`;
}
