/**
 * The host half of URL normalisation (spec §4.4 rules 3–4): lower case, IDN to punycode, dot
 * runs collapsed, one leading `www.` dropped, IP literals rewritten. Input is a host whose
 * characters the caller has already validated and percent-decoded.
 */

import { domainToASCII } from "node:url";
import { rewriteIPv4, rewriteIPv6 } from "./_url_ip.ts";
import { goLower } from "./_url_text.ts";

// ASCII that may sit next to non-ASCII in a host handed to the IDN converter. Anything else
// (`[`, `%`, `*`, ...) makes Bun's converter fail and Deno's pass, so such hosts stay Unicode.
function isIdnSafe(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95;
}

/**
 * Converts a lower-cased host holding non-ASCII to its ASCII (punycode) form with the WHATWG /
 * UTS #46 mapping; undefined when the host cannot be converted.
 */
function toAsciiHost(host: string): string | undefined {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c < 0x80 && !isIdnSafe(c)) return undefined;
  }
  // The ".a" suffix keeps a numeric last label (`пр.123`) from being read as an IPv4 address by
  // the WHATWG host parser, which Bun applies and Deno does not.
  const ascii = domainToASCII(host + ".a");
  if (!ascii.endsWith(".a")) return undefined;
  const out = ascii.slice(0, -2);
  if (out === "") return undefined;
  for (let i = 0; i < out.length; i++) {
    if (!isIdnSafe(out.charCodeAt(i))) return undefined;
  }
  return out;
}

/** Drops empty labels (leading, trailing and doubled dots) and then one leading `www.`. */
function tidyLabels(host: string): string {
  let h = host;
  if (h.indexOf("..") >= 0 || h.charCodeAt(0) === 46 || h.charCodeAt(h.length - 1) === 46) {
    h = h.split(".").filter((label) => label !== "").join(".");
  }
  return h.startsWith("www.") ? h.slice(4) : h;
}

/**
 * Normalises a decoded host, with an optional `:port` that is dropped. Returns undefined when the
 * text has two or more colons but is not an IPv6 address.
 */
export function finishHost(raw: string): string | undefined {
  if (raw === "") return "";
  let host = goLower(raw);
  const colon = host.indexOf(":");
  if (colon >= 0) {
    if (host.indexOf(":", colon + 1) >= 0) return rewriteIPv6(raw);
    host = host.slice(0, colon);
  }
  for (let i = 0; i < host.length; i++) {
    if (host.charCodeAt(i) >= 0x80) {
      host = toAsciiHost(host) ?? host;
      break;
    }
  }
  host = tidyLabels(host);
  return rewriteIPv4(host) ?? host;
}
