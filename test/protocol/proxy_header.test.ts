import { describe, expect, test } from "bun:test";
import { concatBytes } from "../../src/io/concat_bytes.ts";
import { PROXY_V1_LOCAL, ProxyHeaderParser, type ProxyHeaderOutcome } from "../../src/protocol/proxy_header.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes from space-separated hex pairs, as a hex dump shows them. */
function hex(text: string): Uint8Array {
  return new Uint8Array(text.trim().split(/\s+/).map((b) => parseInt(b, 16)));
}

/** The outcome with `rest` as text, for one toEqual; an invalid one's `data` is checked to be every byte, then left out. */
function readable(outcome: ProxyHeaderOutcome | undefined, input?: Uint8Array): unknown {
  if (outcome === undefined) return outcome;
  if (outcome.kind === "invalid") {
    if (input !== undefined) expect(outcome.data).toEqual(input);
    const { data: _data, ...rest } = outcome;
    return rest;
  }
  return { ...outcome, rest: dec.decode(outcome.rest) };
}

function parseWhole(bytes: Uint8Array): unknown {
  return readable(new ProxyHeaderParser().push(bytes), bytes);
}

/** The v2 signature (spec §2.2). */
const SIG = "0d 0a 0d 0a 00 0d 0a 51 55 49 54 0a";
/** A 108-byte NUL-padded Unix path field. */
function unixPath(path: string): Uint8Array {
  const out = new Uint8Array(108);
  out.set(enc.encode(path));
  return out;
}

describe("ProxyHeaderParser: version 1", () => {
  test.each([
    [
      "TCP4 (the spec's example) with the first event in the same read",
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nurl=http://a.example\n",
      { version: 1, command: "PROXY", family: "TCP4", source: { address: "192.168.0.1", port: 56324 }, destination: { address: "192.168.0.11", port: 443 } },
      "url=http://a.example\n",
    ],
    [
      "TCP6 at the spec's longest (104 bytes), addresses in canonical text",
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
      {
        version: 1,
        command: "PROXY",
        family: "TCP6",
        source: { address: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535 },
        destination: { address: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535 },
      },
      "",
    ],
    [
      "TCP6 compressed and upper-case",
      "PROXY TCP6 2001:DB8:0:0:0:0:0:7 ::1 40000 9999\r\nX-KF-ReplyBack",
      { version: 1, command: "PROXY", family: "TCP6", source: { address: "2001:db8::7", port: 40000 }, destination: { address: "::1", port: 9999 } },
      "X-KF-ReplyBack",
    ],
    ["UNKNOWN: the proxy's own connection", "PROXY UNKNOWN\r\nX-KF-ReplyBackPING", { version: 1, command: "LOCAL", family: "UNKNOWN" }, "X-KF-ReplyBackPING"],
    [
      "UNKNOWN ignores the rest of its line (spec §2.1)",
      "PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\nx\n",
      { version: 1, command: "LOCAL", family: "UNKNOWN" },
      "x\n",
    ],
  ])("%s", (_name, input, header, rest) => {
    expect(parseWhole(enc.encode(input))).toEqual({ kind: "header", header, rest });
  });

  test("the watchdog's header is v1 UNKNOWN", () => {
    expect(parseWhole(enc.encode(PROXY_V1_LOCAL))).toEqual({ kind: "header", header: { version: 1, command: "LOCAL", family: "UNKNOWN" }, rest: "" });
  });

  test.each([
    ["an unknown protocol", "PROXY TCP5 192.168.0.1 192.168.0.11 56324 443\r\n", 'PROXY v1 header: protocol "TCP5", expected TCP4, TCP6 or UNKNOWN'],
    ["LF without CR", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n", "PROXY v1 header: the line ends with LF, expected CRLF"],
    ["a missing port", "PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n", "PROXY v1 header: 3 fields after TCP4 (separated by single spaces), expected 4"],
    ["two spaces", "PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n", "PROXY v1 header: 5 fields after TCP4 (separated by single spaces), expected 4"],
    ["an IPv4 octet over 255", "PROXY TCP4 192.168.0.256 192.168.0.11 56324 443\r\n", 'PROXY v1 header: source address "192.168.0.256" is not valid for TCP4'],
    ["an IPv6 address under TCP4", "PROXY TCP4 192.168.0.1 ::1 56324 443\r\n", 'PROXY v1 header: destination address "::1" is not valid for TCP4'],
    ["a port over 65535", "PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n", 'PROXY v1 header: source port "65536" is not valid for TCP4'],
    ["a signed port", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 +443\r\n", 'PROXY v1 header: destination port "+443" is not valid for TCP4'],
    ["a port with a heading zero (spec §2.1: no octal confusion)", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 0443\r\n", 'PROXY v1 header: destination port "0443" is not valid for TCP4'],
    ["an IPv4 octet with a heading zero", "PROXY TCP4 192.168.0.01 192.168.0.11 56324 443\r\n", 'PROXY v1 header: source address "192.168.0.01" is not valid for TCP4'],
    ["no CRLF within 107 bytes", `PROXY TCP4 ${"1".repeat(120)}`, "PROXY v1 header: no CRLF within 107 bytes"],
  ])("refuses %s", (_name, input, reason) => {
    expect(parseWhole(enc.encode(input))).toEqual({ kind: "invalid", version: 1, reason });
  });
});

describe("ProxyHeaderParser: version 2", () => {
  test("INET over STREAM, as HAProxy writes it, then the client's bytes", () => {
    const bytes = concatBytes([hex(`${SIG} 21 11 00 0c  ac 13 00 01  ac 13 00 03  a6 52  00 50`), enc.encode("X-KF-ReplyBack")]);
    expect(parseWhole(bytes)).toEqual({
      kind: "header",
      header: { version: 2, command: "PROXY", family: "TCP4", source: { address: "172.19.0.1", port: 42578 }, destination: { address: "172.19.0.3", port: 80 } },
      rest: "X-KF-ReplyBack",
    });
  });

  test("INET6 over STREAM", () => {
    const bytes = hex(`${SIG} 21 21 00 24
      20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 07
      00 00 00 00 00 00 00 00 00 00 ff ff c0 00 02 01
      9c 40  27 0f`);
    expect(parseWhole(bytes)).toEqual({
      kind: "header",
      header: { version: 2, command: "PROXY", family: "TCP6", source: { address: "2001:db8::7", port: 40000 }, destination: { address: "::ffff:192.0.2.1", port: 9999 } },
      rest: "",
    });
  });

  test("UNIX: the two 108-byte paths", () => {
    const bytes = concatBytes([hex(`${SIG} 21 31 00 d8`), unixPath("/run/client.sock"), unixPath("/run/ioclens.sock"), enc.encode("x\n")]);
    expect(parseWhole(bytes)).toEqual({
      kind: "header",
      header: { version: 2, command: "PROXY", family: "UNIX", source: { path: "/run/client.sock" }, destination: { path: "/run/ioclens.sock" } },
      rest: "x\n",
    });
  });

  test("TLVs after the addresses are skipped (ALPN, then a 300-byte NOOP)", () => {
    const noop = new Uint8Array(3 + 300);
    noop.set([0x04, 0x01, 0x2c]);
    const length = 12 + 5 + noop.length; // 320 = 0x0140
    const bytes = concatBytes([hex(`${SIG} 21 11 01 40  c0 00 02 07  c0 00 02 01  9c 40  27 0f  01 00 02 68 32`), noop, enc.encode("ip=192.0.2.9\n")]);
    expect(bytes.length).toBe(16 + length + 13);
    expect(parseWhole(bytes)).toEqual({
      kind: "header",
      header: { version: 2, command: "PROXY", family: "TCP4", source: { address: "192.0.2.7", port: 40000 }, destination: { address: "192.0.2.1", port: 9999 } },
      rest: "ip=192.0.2.9\n",
    });
  });

  test.each([
    ["LOCAL with no address block", `${SIG} 20 00 00 00`],
    ["LOCAL with an address block, which is discarded (spec §2.2)", `${SIG} 20 11 00 0c  c0 00 02 07  c0 00 02 01  9c 40  27 0f`],
  ])("%s: the connection's own addresses apply", (_name, bytes) => {
    expect(parseWhole(concatBytes([hex(bytes), enc.encode("X-KF-ReplyBackPING")]))).toEqual({
      kind: "header",
      header: { version: 2, command: "LOCAL", family: "UNKNOWN" },
      rest: "X-KF-ReplyBackPING",
    });
  });

  test("PROXY with UNSPEC family names no client", () => {
    expect(parseWhole(hex(`${SIG} 21 00 00 00`))).toEqual({ kind: "header", header: { version: 2, command: "PROXY", family: "UNKNOWN" }, rest: "" });
  });

  test.each([
    ["version 1 in the binary form", `${SIG} 11 11 00 0c`, "PROXY v2 header: version 1, expected 2"],
    ["command 2", `${SIG} 22 11 00 0c`, "PROXY v2 header: command 2, expected 0 (LOCAL) or 1 (PROXY)"],
    ["family 4", `${SIG} 21 41 00 0c`, "PROXY v2 header: address family 4, expected 0 to 3"],
    ["transport 3", `${SIG} 21 13 00 0c`, "PROXY v2 header: transport 3, expected 0 to 2"],
    ["an INET block too short", `${SIG} 21 11 00 08  c0 00 02 07  c0 00 02 01`, "PROXY v2 header: 8 bytes of addresses for TCP4, expected at least 12"],
    ["an INET6 block of INET size", `${SIG} 21 21 00 0c  c0 00 02 07  c0 00 02 01  9c 40  27 0f`, "PROXY v2 header: 12 bytes of addresses for TCP6, expected at least 36"],
  ])("refuses %s", (_name, bytes, reason) => {
    expect(parseWhole(hex(bytes))).toEqual({ kind: "invalid", version: 2, reason });
  });
});

describe("ProxyHeaderParser: split reads, absent headers, garbage", () => {
  test.each([
    ["v1", enc.encode("PROXY TCP4 192.0.2.7 192.0.2.1 40000 9999\r\nx\n"), 2],
    ["v2", concatBytes([hex(`${SIG} 21 11 00 0c  c0 00 02 07  c0 00 02 01  9c 40  27 0f`), enc.encode("x\n")]), 2],
  ])("a %s header split into single bytes decides on its last byte", (_name, bytes, restLength) => {
    const parser = new ProxyHeaderParser();
    const headerLength = bytes.length - restLength;
    for (let i = 0; i < headerLength - 1; i++) expect(parser.push(bytes.subarray(i, i + 1))).toBeUndefined();
    const outcome = parser.push(bytes.subarray(headerLength - 1));
    expect(readable(outcome)).toEqual({
      kind: "header",
      header: { version: expect.any(Number), command: "PROXY", family: "TCP4", source: { address: "192.0.2.7", port: 40000 }, destination: { address: "192.0.2.1", port: 9999 } },
      rest: "x\n",
    });
  });

  test.each([
    ["a preamble", "X-KF-ReplyBackPING"],
    ["a log line", "Feb  2 11:57:59 host x\n"],
    ["a word that begins like the signature", "PROXIMITY alert\n"],
    ["CRLF that begins like the v2 signature", "\r\n\r\nx\n"],
  ])("%s is no header: every byte is returned", (_name, text) => {
    expect(parseWhole(enc.encode(text))).toEqual({ kind: "absent", rest: text });
  });

  test("bytes that could still begin a signature wait; at the end they are data", () => {
    const parser = new ProxyHeaderParser();
    expect(parser.push(enc.encode("PRO"))).toBeUndefined();
    expect(readable(parser.end())).toEqual({ kind: "absent", rest: "PRO" });
  });

  test.each([
    ["v1", enc.encode("PROXY TCP4 192.0.2.7")],
    ["v2", hex(`${SIG} 21 11 00 0c c0 00`)],
  ])("a %s header cut by the end of the connection is refused", (_name, bytes) => {
    const parser = new ProxyHeaderParser();
    expect(parser.push(bytes)).toBeUndefined();
    expect(readable(parser.end(), bytes)).toEqual({ kind: "invalid", version: bytes[0] === 0x50 ? 1 : 2, reason: `the connection ended inside a PROXY header after ${bytes.length} bytes` });
  });

  test("binary garbage after the v2 signature is refused, not waited on", () => {
    expect(parseWhole(concatBytes([hex(SIG), new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3])]))).toEqual({ kind: "invalid", version: 2, reason: "PROXY v2 header: version 15, expected 2" });
  });
});
