import { describe, expect, test } from "bun:test";
import { formatIPv4, formatIPv6, formatIpPrefix } from "../../src/matching/format_ip.ts";
import { parseCidr, parseIPv4, parseIPv6 } from "../../src/matching/parse_ip.ts";

describe("parseIPv4()", () => {
  test.each([
    ["192.0.2.1", 0xc0000201],
    ["0.0.0.0", 0],
    ["255.255.255.255", 0xffffffff],
    ["010.001.002.003", 0x0a010203],
  ])("reads %p as dotted decimal", (text, expected) => {
    expect(parseIPv4(text)).toBe(expected);
  });

  test.each(["1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.", ".1.2.3", "1..2.3", "1.2.3.4 ", "0x7f.0.0.1", "1234.1.1.1", "", "a.b.c.d"])(
    "refuses %p",
    (text) => {
      expect(parseIPv4(text)).toBeUndefined();
    },
  );

  test("parses a slice of a longer string", () => {
    expect(parseIPv4("[203.0.113.9]", 1, 12)).toBe(0xcb007109);
  });
});

describe("parseIPv6()", () => {
  test.each([
    ["2001:db8::1", [0x20010db8, 0, 0, 1]],
    ["::", [0, 0, 0, 0]],
    ["::1", [0, 0, 0, 1]],
    ["1::", [0x00010000, 0, 0, 0]],
    ["2001:DB8:0:0:8:800:200C:417A", [0x20010db8, 0, 0x00080800, 0x200c417a]],
    ["::ffff:192.0.2.1", [0, 0, 0xffff, 0xc0000201]],
    ["fe80::bdd9:fd11:ea3f:a4", [0xfe800000, 0, 0xbdd9fd11, 0xea3f00a4]],
  ])("reads %p into four words", (text, expected) => {
    const words = new Uint32Array(4);
    expect(parseIPv6(text, words)).toBe(true);
    expect([...words]).toEqual(expected);
  });

  test.each(["1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:::2", "12345::", "fe80::1%eth0", "1.2.3.4", "g::1", "1:"])(
    "refuses %p",
    (text) => {
      expect(parseIPv6(text, new Uint32Array(4))).toBe(false);
    },
  );
});

describe("parseCidr()", () => {
  test.each([
    ["203.0.113.0/24", { version: 4, address: 0xcb007100, prefix: 24 }],
    ["203.0.113.77/24", { version: 4, address: 0xcb007100, prefix: 24 }],
    ["198.51.100.9", { version: 4, address: 0xc6336409, prefix: 32 }],
    ["0.0.0.0/0", { version: 4, address: 0, prefix: 0 }],
    [" 192.0.2.1 ", { version: 4, address: 0xc0000201, prefix: 32 }],
  ] as const)("reads the IPv4 network %p with host bits cleared", (text, expected) => {
    expect(parseCidr(text)).toEqual(expected);
  });

  test.each([
    ["2001:db8::/32", [0x20010db8, 0, 0, 0], 32],
    ["2001:db8:ffff::1/33", [0x20010db8, 0x80000000, 0, 0], 33],
    ["[2001:db8::1]", [0x20010db8, 0, 0, 1], 128],
    ["FE80::/10", [0xfe800000, 0, 0, 0], 10],
  ])("reads the IPv6 network %p", (text, words, prefix) => {
    const p = parseCidr(text);
    expect(typeof p === "object" && p.version === 6 ? { words: [...p.words], prefix: p.prefix } : p).toEqual({
      words,
      prefix,
    });
  });

  test.each([
    ["1.2.3", 'not an IPv4 or IPv6 address: "1.2.3"'],
    ["evil.example", 'not an IPv4 or IPv6 address: "evil.example"'],
    ["10.0.0.0/33", 'CIDR prefix length must be 0 to 32 for IPv4: "10.0.0.0/33"'],
    ["2001:db8::/129", 'CIDR prefix length must be 0 to 128 for IPv6: "2001:db8::/129"'],
    ["10.0.0.0/x", 'invalid CIDR prefix length: "10.0.0.0/x"'],
    ["95.129.236.208:443", 'not an IPv4 or IPv6 address: "95.129.236.208:443"'],
  ])("explains why %p is refused", (text, reason) => {
    expect(parseCidr(text)).toBe(reason);
  });
});

describe("formatIPv6()", () => {
  test.each([
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["::ffff:c000:0201", "::ffff:192.0.2.1"],
    ["FE80::A4", "fe80::a4"],
  ])("prints %p as %p (RFC 5952)", (text, expected) => {
    const words = new Uint32Array(4);
    parseIPv6(text, words);
    expect(formatIPv6(words)).toBe(expected);
  });
});

describe("formatIpPrefix()", () => {
  test("omits the length of a single address and keeps it for a network", () => {
    expect([formatIPv4(0xc0000201), formatIpPrefix({ version: 4, address: 0xcb007100, prefix: 24 })]).toEqual([
      "192.0.2.1",
      "203.0.113.0/24",
    ]);
  });
});
