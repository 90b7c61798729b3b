/**
 * Decides which indicator kind a feed value is, for a field typed AUTO or HASH, and splits
 * `address:port` values so IP feeds carrying ports (Maltrail, ThreatFox) still index the address.
 */
import type { FeedFieldType } from "./feed_config.ts";
import type { IndicatorKind } from "../matching/types.ts";

/** A value ready for the index; `port` is set when one was cut off an address. */
export interface Classified {
  readonly kind: IndicatorKind;
  readonly value: string;
  readonly port?: string;
}

const HEX = /^[0-9a-fA-F]+$/;
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV4_CIDR = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\/(\d{1,3})$/;
const IPV4_PORT = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d+)$/;
const IPV6_PORT = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/;
const IPV6 = /^[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*(\/\d{1,3})?$/;
const HOST_PORT = /^[^:/\s]+:\d+$/;
const NUMERIC_DOTTED = /^[\d.]+$/;
// a host name: no white space, no URL or quoting punctuation; a leading dot names a zone (`.xyz`)
const DOMAIN = /^[^\s/\\:@?#*"'<>,;|()[\]{}`]+$/;

/** The service cuts events at 64 KiB (spec §2.1): a longer indicator could never match, only take memory. */
const MAX_INDICATOR_CHARS = 65_536;

/** MD5, SHA1 or SHA256 by length, for hex text only. */
export function hashKind(value: string): "MD5" | "SHA1" | "SHA256" | undefined {
  const kind = value.length === 32 ? "MD5" : value.length === 40 ? "SHA1" : value.length === 64 ? "SHA256" : undefined;
  return kind !== undefined && HEX.test(value) ? kind : undefined;
}

/** A value for a message: JSON-quoted and cut to 60 characters (a field may be a megabyte). */
export function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/**
 * The entry kind and value for `raw` read from a field of type `type`, or why it cannot be
 * one. Concrete types pass through (the index validates them); IP also drops a port.
 */
export function classifyValue(type: FeedFieldType, raw: string): Classified | string {
  const value = raw.trim();
  if (value === "") return "empty indicator";
  if (value.length > MAX_INDICATOR_CHARS) return `too long to match any event: got ${value.length} characters, expected at most ${MAX_INDICATOR_CHARS}`;
  switch (type) {
    case "AUTO":
      return detect(value);
    case "HASH": {
      const kind = hashKind(value);
      return kind === undefined ? `not an MD5, SHA1 or SHA256 hash: ${quote(value)}` : { kind, value };
    }
    case "IP":
      return splitPort(value) ?? { kind: "IP", value };
    default:
      return { kind: type, value };
  }
}

/** AUTO: URL if it has a scheme or a `/`, IPv4/IPv6 (CIDR too), hash by length, else domain. */
function detect(value: string): Classified | string {
  if (SCHEME.test(value)) return { kind: "URL", value };
  if (IPV4.test(value)) return validIpv4(value) ? { kind: "IP", value } : `not a valid IPv4 address: ${quote(value)}`;
  const cidr = IPV4_CIDR.exec(value);
  if (cidr !== null) {
    return validIpv4(cidr[1]!) && Number(cidr[2]) <= 32 ? { kind: "IP", value } : `not a valid IPv4 network: ${quote(value)}`;
  }
  const withPort = splitPort(value);
  if (withPort !== undefined) return withPort;
  if (IPV6.test(value)) return { kind: "IP", value };
  const hash = hashKind(value);
  if (hash !== undefined) return { kind: hash, value };
  if (value.includes("/") || value.includes("*") || HOST_PORT.test(value)) return { kind: "URL", value };
  if (NUMERIC_DOTTED.test(value)) return `not a valid IPv4 address: ${quote(value)}`;
  if (value.length >= 32 && HEX.test(value)) return `not an MD5, SHA1 or SHA256 hash: ${quote(value)} has ${value.length} digits`;
  if (DOMAIN.test(value)) return { kind: "DOMAIN", value };
  return `not a URL, domain, IP address or hash: ${quote(value)}`;
}

/** `192.0.2.1:443` or `[2001:db8::1]:443` as an IP entry with its port, why the port is
 *  invalid, or undefined when the value has no such shape. */
export function splitPort(value: string): Classified | string | undefined {
  const match = IPV4_PORT.exec(value) ?? IPV6_PORT.exec(value);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `port outside 1-65535: ${quote(value)}`;
  return { kind: "IP", value: match[1]!, port: String(port) };
}

/** Every dot-separated part of `value` (digits only, as the caller's pattern ensures) is at most 255. */
function validIpv4(value: string): boolean {
  let part = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) part = 0;
    else if ((part = part * 10 + c - 48) > 255) return false;
  }
  return true;
}
