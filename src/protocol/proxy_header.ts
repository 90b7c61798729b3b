/**
 * Reads the PROXY protocol header a load balancer (HAProxy `send-proxy`, `send-proxy-v2`) puts
 * before the client's bytes, so the service knows the real client behind it. Versions 1 (text)
 * and 2 (binary), as written in HAProxy's doc/proxy-protocol.txt; the service accepts it only
 * when ServiceSettings > ProxyProtocol is on (docs/scale-out.md).
 */
import { concatBytes } from "../io/concat_bytes.ts";
import { formatIPv4, formatIPv6 } from "../matching/format_ip.ts";
import { parseIPv4, parseIPv6 } from "../matching/parse_ip.ts";

/** One end of the proxied connection: an IP address and port, or a Unix socket path. */
export type ProxyEndpoint = { readonly address: string; readonly port: number } | { readonly path: string };

/** What a valid header said. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * `LOCAL` (v2), or v1's `UNKNOWN` protocol: the proxy opened the connection itself (a health
   * check); the connection's own addresses apply and `source` is absent.
   */
  readonly command: "PROXY" | "LOCAL";
  /** v1 protocol or v2 family: `UNKNOWN` for v1 UNKNOWN and v2 UNSPEC (addresses not given). */
  readonly family: "TCP4" | "TCP6" | "UNIX" | "UNKNOWN";
  /** The real client, when the header names one. */
  readonly source?: ProxyEndpoint;
  /** The address the client connected to (the proxy's front), when the header names one. */
  readonly destination?: ProxyEndpoint;
}

/**
 * The parser's decision: a header and the bytes after it; no header at all (the bytes do not
 * begin with either signature, and are all returned); or a signature followed by bytes the
 * spec does not allow (`data`: every byte received, since a line that merely begins with
 * `PROXY ` may be an ordinary event to a service that expects no header).
 */
export type ProxyHeaderOutcome =
  | { readonly kind: "header"; readonly header: ProxyHeader; readonly rest: Uint8Array }
  | { readonly kind: "absent"; readonly rest: Uint8Array }
  | { readonly kind: "invalid"; readonly version: 1 | 2; readonly reason: string; readonly data: Uint8Array };

/** What the version parsers return; `decide` adds the version and the bytes. */
type Parsed = Exclude<ProxyHeaderOutcome, { kind: "invalid" }> | { readonly kind: "invalid"; readonly reason: string };

/** v2's 12-byte signature (spec §2.2): `\r\n\r\n\0\r\nQUIT\n`. */
const V2_SIGNATURE = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** v1's signature (spec §2.1): `PROXY` and one space. */
const V1_SIGNATURE = new TextEncoder().encode("PROXY ");
/** v1: the longest header, CRLF included (spec §2.1: "a receiver ... 107 characters"). */
const V1_MAX = 107;
/** v2: signature, ver_cmd, fam, and the 16-bit length of what follows. */
const V2_FIXED = 16;
/** v2 address block sizes per family (spec §2.2): INET 4+4+2+2, INET6 16+16+2+2, UNIX 108+108. */
const V2_ADDRESS_BYTES = [0, 12, 36, 216] as const;
const V2_FAMILIES = ["UNKNOWN", "TCP4", "TCP6", "UNIX"] as const;

/**
 * The header the watchdog's own probe sends when ProxyProtocol is on: v1 `UNKNOWN`, which says
 * "no client behind me" (spec §2.1), like HAProxy's own health checks.
 */
export const PROXY_V1_LOCAL = "PROXY UNKNOWN\r\n";

/**
 * Incremental parser of the first bytes of a connection: `push` returns the outcome once the
 * bytes seen decide it, or `undefined` while a header may still be arriving (it can be split
 * across TCP packets). Holds at most one header (v2: 16 + 65 535 bytes). Once decided, the
 * parser must not be pushed again.
 *
 * @example A v1 header and the first event in one read
 * ```ts
 * const p = new ProxyHeaderParser();
 * const out = p.push(new TextEncoder().encode("PROXY TCP4 192.0.2.7 192.0.2.1 51000 9999\r\nurl=x\n"));
 * out?.kind === "header" && out.header.source; // { address: "192.0.2.7", port: 51000 }
 * ```
 */
export class ProxyHeaderParser {
  #held: Uint8Array = new Uint8Array(0);

  /** Adds `chunk`; the outcome once decided, else `undefined`. */
  push(chunk: Uint8Array): ProxyHeaderOutcome | undefined {
    const held = this.#held.length === 0 ? chunk : concatBytes([this.#held, chunk]);
    const outcome = decide(held);
    this.#held = outcome === undefined ? held : new Uint8Array(0);
    return outcome;
  }

  /** The connection ended: what was held is data (no whole signature) or a header cut short. */
  end(): ProxyHeaderOutcome {
    const held = this.#held;
    this.#held = new Uint8Array(0);
    const version = startsWithPart(held, V2_SIGNATURE) === "yes" ? 2 : startsWithPart(held, V1_SIGNATURE) === "yes" ? 1 : undefined;
    if (version === undefined) return { kind: "absent", rest: held };
    return { kind: "invalid", version, reason: `the connection ended inside a PROXY header after ${held.length} bytes`, data: held };
  }
}

function decide(data: Uint8Array): ProxyHeaderOutcome | undefined {
  const v2 = startsWithPart(data, V2_SIGNATURE);
  const v1 = startsWithPart(data, V1_SIGNATURE);
  if (v1 === "no" && v2 === "no") return { kind: "absent", rest: data };
  const version = v2 === "yes" ? 2 : v1 === "yes" ? 1 : undefined;
  if (version === undefined) return undefined;
  const parsed = version === 2 ? parseV2(data) : parseV1(data);
  return parsed?.kind === "invalid" ? { ...parsed, version, data } : parsed;
}

/** Whether `data` begins with `signature`, begins with part of it (too short to tell), or not. */
function startsWithPart(data: Uint8Array, signature: Uint8Array): "yes" | "partial" | "no" {
  const n = Math.min(data.length, signature.length);
  for (let i = 0; i < n; i++) if (data[i] !== signature[i]) return "no";
  return data.length >= signature.length ? "yes" : "partial";
}

/** v1: `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`, or `PROXY UNKNOWN<anything>\r\n`. */
function parseV1(data: Uint8Array): Parsed | undefined {
  let lf = -1;
  for (let i = V1_SIGNATURE.length; i < Math.min(data.length, V1_MAX); i++) {
    if (data[i] === 0x0a) {
      lf = i;
      break;
    }
  }
  if (lf < 0) return data.length >= V1_MAX ? { kind: "invalid", reason: `PROXY v1 header: no CRLF within ${V1_MAX} bytes` } : undefined;
  if (data[lf - 1] !== 0x0d) return { kind: "invalid", reason: "PROXY v1 header: the line ends with LF, expected CRLF" };
  const rest = data.subarray(lf + 1);
  const line = new TextDecoder("latin1").decode(data.subarray(0, lf - 1));
  const fields = line.split(" ");
  const protocol = fields[1];
  if (protocol === "UNKNOWN") return { kind: "header", header: { version: 1, command: "LOCAL", family: "UNKNOWN" }, rest };
  if (protocol !== "TCP4" && protocol !== "TCP6") return { kind: "invalid", reason: `PROXY v1 header: protocol ${JSON.stringify(protocol ?? "")}, expected TCP4, TCP6 or UNKNOWN` };
  if (fields.length !== 6) return { kind: "invalid", reason: `PROXY v1 header: ${fields.length - 2} fields after ${protocol} (separated by single spaces), expected 4` };
  const source = v1Address(protocol, fields[2]!);
  const destination = v1Address(protocol, fields[3]!);
  const sourcePort = v1Port(fields[4]!);
  const destinationPort = v1Port(fields[5]!);
  const bad =
    source === undefined ? `source address "${fields[2]}"` :
    destination === undefined ? `destination address "${fields[3]}"` :
    sourcePort === undefined ? `source port "${fields[4]}"` :
    destinationPort === undefined ? `destination port "${fields[5]}"` : undefined;
  if (bad !== undefined) return { kind: "invalid", reason: `PROXY v1 header: ${bad} is not valid for ${protocol}` };
  return {
    kind: "header",
    header: { version: 1, command: "PROXY", family: protocol, source: { address: source!, port: sourcePort! }, destination: { address: destination!, port: destinationPort! } },
    rest,
  };
}

/**
 * The canonical text of a v1 address, if it is one of `protocol`'s family. IPv4 must already be
 * canonical: "Heading zeroes are not permitted ... to avoid any possible confusion with octal
 * numbers" (spec §2.1).
 */
function v1Address(protocol: "TCP4" | "TCP6", text: string): string | undefined {
  if (protocol === "TCP4") {
    const v4 = parseIPv4(text);
    return v4 === undefined || formatIPv4(v4) !== text ? undefined : text;
  }
  const words = new Uint32Array(4);
  return parseIPv6(text, words) ? formatIPv6(words) : undefined;
}

/** A decimal port from 0 to 65535, without heading zeroes (spec §2.1). */
function v1Port(text: string): number | undefined {
  if (!/^(?:0|[1-9]\d{0,4})$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** v2: 16 fixed bytes, then `len` bytes of addresses and TLVs (skipped). */
function parseV2(data: Uint8Array): Parsed | undefined {
  if (data.length < V2_FIXED) return undefined;
  const version = data[12]! >> 4;
  const command = data[12]! & 0x0f;
  const family = data[13]! >> 4;
  const transport = data[13]! & 0x0f;
  const length = (data[14]! << 8) | data[15]!;
  if (version !== 2) return { kind: "invalid", reason: `PROXY v2 header: version ${version}, expected 2` };
  if (command > 1) return { kind: "invalid", reason: `PROXY v2 header: command ${command}, expected 0 (LOCAL) or 1 (PROXY)` };
  if (family > 3) return { kind: "invalid", reason: `PROXY v2 header: address family ${family}, expected 0 to 3` };
  if (transport > 2) return { kind: "invalid", reason: `PROXY v2 header: transport ${transport}, expected 0 to 2` };
  if (data.length < V2_FIXED + length) return undefined;
  const rest = data.subarray(V2_FIXED + length);
  // LOCAL (spec §2.2): "the receiver must accept this connection as valid and must use the real
  // connection endpoints and discard the protocol block including the family".
  if (command === 0) return { kind: "header", header: { version: 2, command: "LOCAL", family: "UNKNOWN" }, rest };
  const needed = V2_ADDRESS_BYTES[family as 0 | 1 | 2 | 3];
  if (length < needed) return { kind: "invalid", reason: `PROXY v2 header: ${length} bytes of addresses for ${V2_FAMILIES[family]}, expected at least ${needed}` };
  const block = data.subarray(V2_FIXED, V2_FIXED + needed);
  const header: ProxyHeader =
    family === 1 ? { version: 2, command: "PROXY", family: "TCP4", ...v2Inet(block, 4) } :
    family === 2 ? { version: 2, command: "PROXY", family: "TCP6", ...v2Inet(block, 16) } :
    family === 3 ? { version: 2, command: "PROXY", family: "UNIX", source: { path: v2Path(block, 0) }, destination: { path: v2Path(block, 108) } } :
    { version: 2, command: "PROXY", family: "UNKNOWN" };
  return { kind: "header", header, rest };
}

/** Source and destination of an INET (4-byte) or INET6 (16-byte) address block. */
function v2Inet(block: Uint8Array, size: 4 | 16): { source: ProxyEndpoint; destination: ProxyEndpoint } {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const address = (at: number): string =>
    size === 4 ? formatIPv4(view.getUint32(at)) : formatIPv6([view.getUint32(at), view.getUint32(at + 4), view.getUint32(at + 8), view.getUint32(at + 12)]);
  return {
    source: { address: address(0), port: view.getUint16(2 * size) },
    destination: { address: address(size), port: view.getUint16(2 * size + 2) },
  };
}

/** A 108-byte, NUL-padded Unix socket path. */
function v2Path(block: Uint8Array, at: number): string {
  const bytes = block.subarray(at, at + 108);
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}
