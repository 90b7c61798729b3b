/**
 * Canonical text for addresses and networks: dotted decimal for IPv4, RFC 5952 for IPv6
 * (lower-case, longest run of two or more zero groups compressed, leftmost on a tie).
 */
import type { IpPrefix } from "./parse_ip.ts";

/**
 * Dotted-decimal text of an unsigned 32-bit IPv4 address.
 *
 * @example
 * ```ts
 * formatIPv4(3221225985); // "192.0.2.1"
 * ```
 */
export function formatIPv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/**
 * RFC 5952 text of an IPv6 address given as four u32 words; IPv4-mapped addresses keep their
 * dotted tail (`::ffff:192.0.2.1`).
 *
 * @example
 * ```ts
 * formatIPv6(new Uint32Array([0x20010db8, 0, 0, 1])); // "2001:db8::1"
 * ```
 */
export function formatIPv6(words: ArrayLike<number>): string {
  const g: number[] = [];
  for (let w = 0; w < 4; w++) g.push(words[w]! >>> 16, words[w]! & 0xffff);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(words[3]! >>> 0)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((v) => v.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/**
 * Canonical text of an address (no suffix for /32 and /128) or network (`2001:db8::/32`).
 *
 * @example
 * ```ts
 * formatIpPrefix({ version: 4, address: 3325256704, prefix: 24 }); // "198.51.100.0/24"
 * ```
 */
export function formatIpPrefix(p: IpPrefix): string {
  if (p.version === 4) return p.prefix === 32 ? formatIPv4(p.address) : `${formatIPv4(p.address)}/${p.prefix}`;
  return p.prefix === 128 ? formatIPv6(p.words) : `${formatIPv6(p.words)}/${p.prefix}`;
}
