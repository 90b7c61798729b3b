import { describe, expect, test } from "bun:test";
import { normalizeHost, normalizeUrl } from "../../src/matching/normalize_url.ts";

type Case = readonly [input: string, expected: string | undefined];

// Grouped by the rules of spec §4.4 and the oracle README; expected values follow Kaspersky's
// normaliser except where docs/matching.md lists a deliberate difference (IDN → punycode).
describe("normalizeUrl()", () => {
  describe("schemes", () => {
    test.each<Case>([
      ["http://example.com/a", "example.com/a"],
      ["HTTPS://example.com/a", "example.com/a"],
      ["hxxp://example.com/a", "example.com/a"],
      ["hxxps://example.com/a", "example.com/a"],
      ["ftp://example.com/a", "example.com/a"],
      ["http:example.com/a", "example.com/a"],
      ["http:/example.com/a", "example.com/a"],
      ["http:////example.com/a", "example.com/a"],
      ["mailto:user@example.com", "example.com"],
      ["about:blank", "blank"],
      ["example:8080/Some/Path", "0.0.31.144/some/path"],
      ["machineProvisioningProgressReporter://x/Y", "machineprovisioningprogressreporter/x/y"],
    ])("drops a registered scheme and the slashes after it: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each<Case>([
      ["foo://example.com/lmh/", "foo/example.com/lmh"],
      ["shttp://example.com/a", "shttp/example.com/a"],
      ["javascript://example.com/a", "javascript/example.com/a"],
      ["hxxp[://]example.com/a", "hxxp[/]example.com/a"],
      ["http//example.com/a", "http/example.com/a"],
    ])("reads an unregistered scheme as part of the host: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each<Case>([
      ["ftp", ""],
      ["HTTP", ""],
      ["ftpx", "ftpx"],
    ])("treats a bare registered scheme name as a scheme with nothing after it: %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("inputs without a scheme", () => {
    test.each<Case>([
      ["example.com/a", "example.com/a"],
      ["/nha/gate.php", "nha/gate.php"],
      ["//example.com/a", "example.com/a"],
      ["/CobaltStrikee%204.9e%20Crackede%20uCare@Pwn3rzs.7z", "pwn3rzs.7z"],
      ["?q=1", "?q=1"],
      ["://x", "x"],
    ])("drops leading slashes and reads the rest as http://…: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("ports", () => {
    test.each<Case>([
      ["http://example.com:80/a", "example.com/a"],
      ["https://example.com:8443/a?b=1", "example.com/a?b=1"],
      ["http://example.com:99999/a", "example.com/a"],
      ["http://example.com:/a", "example.com/a"],
      ["example.com:8080", "example.com"],
      ["http://www.example.com:8080/index.php", "example.com/index.php"],
    ])("drops any numeric port: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each(["http://example.com:0x50/a", "javascript:alert(1)", "C:\\Windows\\x.exe", "a.com:8a/x"])(
      "rejects a port that is not all digits: %j",
      (input) => {
        expect(normalizeUrl(input)).toBeUndefined();
      },
    );
  });

  describe("userinfo", () => {
    test.each<Case>([
      ["http://user:pass@example.com/a", "example.com/a"],
      ["user@example.com/a", "example.com/a"],
      ["http://a:b@c@example.com/", "example.com"],
      ["http://@example.com/", "example.com"],
      ["http://example.org@evil.example/", "evil.example"],
      ["github.com@520966948", "31.13.83.36"],
    ])("drops userinfo: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test("rejects userinfo with characters a URL cannot carry there", () => {
      expect(normalizeUrl("http://us er@example.com/")).toBeUndefined();
    });
  });

  describe("host", () => {
    test.each<Case>([
      ["EXAMPLE.COM/a", "example.com/a"],
      ["a..b...c", "a.b.c"],
      ["example.com./a", "example.com/a"],
      [".example.com", "example.com"],
      ["example.com-./a", "example.com-/a"],
      ["www.example.com", "example.com"],
      ["WWW.EXAMPLE.COM/a", "example.com/a"],
      ["www.www.example.com", "www.example.com"],
      ["www2.example.com", "www2.example.com"],
      ["wwww.example.com", "wwww.example.com"],
      ["www..example.com", "example.com"],
      [".www.example.com", "example.com"],
      ["www.com", "com"],
      ["WWW.", "www"],
      ["http://%77%77%77.example.com/", "%77%77%77.example.com"],
      ["İstanbul.example/İ", "istanbul.example/i"],
      ["example.com_x/a", "example.com_x/a"],
    ])("lower-cases, collapses dots and drops one www.: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each(["example.com\\a", "http:\\\\example.com\\x", "example.com ", " a.com /x", "http://a .com/", "(a|b)\\.com"])(
      "rejects a space, backslash or | in the host: %j",
      (input) => {
        expect(normalizeUrl(input)).toBeUndefined();
      },
    );
  });

  describe("IDN hosts (deliberate difference: punycode)", () => {
    test.each<Case>([
      ["пример.рф", "xn--e1afmkfd.xn--p1ai"],
      ["http://www.ПРИМЕР.рф:8080/A?Q=Ä", "xn--e1afmkfd.xn--p1ai/a?q=ä"],
      ["xn--e1afmkfd.xn--p1ai/x", "xn--e1afmkfd.xn--p1ai/x"],
      ["http://%D0%BF%D1%80.com/", "xn--o1ac.com"],
      ["ｗｗｗ．example．com", "example.com"],
      ["пр.123/x", "xn--o1ac.123/x"],
      ["\u00a0", "\u00a0"],
      ["\u3000", "\u3000"],
    ])("%j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("IPv4 forms", () => {
    test.each<Case>([
      ["3232235777", "192.168.1.1"],
      ["0xC0A80101", "192.168.1.1"],
      ["0300.0250.1.1", "192.168.1.1"],
      ["192.168.257", "192.168.1.1"],
      ["127.1", "127.0.0.1"],
      ["http://0x7f.1/x", "127.0.0.1/x"],
      ["1", "0.0.0.1"],
      ["00", "0.0.0.0"],
      ["123.456", "123.0.1.200"],
      ["1..2", "1.0.0.2"],
      ["010.010.010.010", "8.8.8.8"],
      ["161.35.76.001", "161.35.76.1"],
      ["www.1.0.0.229/x", "1.0.0.229/x"],
      ["4228250625", "252.5.252.1"],
      // already dotted decimal: the single-scan path keeps it
      ["http://147.78.103.91:8080/Gate.PHP?A=1#x", "147.78.103.91/gate.php?a=1"],
      ["0.0.0.0/", "0.0.0.0"],
    ])("rewrites 1–4 numbers in dotted decimal: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each<Case>([
      ["4294967295", "4294967295"],
      ["4228250626", "4228250626"],
      ["192.168.65026", "192.168.65026"],
      ["51.15.231.096", "51.15.231.096"],
      ["09.1.1.1", "09.1.1.1"],
      ["256.1.1.1", "256.1.1.1"],
      ["1.2.3.4.5", "1.2.3.4.5"],
      ["0x", "0x"],
    ])("leaves the host as text past the 255^k limit or when a part does not parse: %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("IPv6 literals", () => {
    test.each<Case>([
      ["http://[2001:DB8::1]/x", "[2001:db8::1]/x"],
      ["[::1]", "[::1]"],
      ["https://[2001:db8:0:0:1:0:0:1]/?Q=1", "[2001:db8::1:0:0:1]/?q=1"],
      ["http://[::ffff:192.168.1.1]/a", "[192.168.1.1]/a"],
      ["2001:0DB8:0000:0000:0000:0000:0000:0001/Path", "2001:db8::1/path"],
      ["http://[1.2.3.4]/", "[1.2.3.4]"],
    ])("compresses and lower-cases, keeping brackets: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each([
      "http://[::1]:8080/",
      "[2001:db8::1]:443/p",
      "http://[fe80::1%25eth0]/",
      "http://[::1/x",
      "2604:a880:cad:d0::d5e:f001",
      "http://[1:2:3]/",
    ])("rejects a port, a zone, a missing ] or a bare address ending in hex: %j", (input) => {
      expect(normalizeUrl(input)).toBeUndefined();
    });
  });

  describe("path", () => {
    test.each<Case>([
      ["example.com/a/../b/./c", "example.com/b/c"],
      ["example.com/../../x", "example.com/x"],
      ["example.com/a/b/../../..", "example.com"],
      ["HTTP://WWW.Example.COM/A/../B/./C.HTML", "example.com/b/c.html"],
      ["example.com/a/.../b", "example.com/a/.../b"],
      ["example.com//a///b", "example.com/a/b"],
      ["example.com/a/", "example.com/a"],
      ["example.com///", "example.com"],
      ["example.com/a\\..\\b", "example.com/a\\..\\b"],
      ["example.com/a b", "example.com/a b"],
      ["example.com/*", "example.com"],
      ["example.com/Some/PATH", "example.com/some/path"],
    ])("resolves dot-segments, collapses slashes, lower-cases: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each<Case>([
      ["example.com/%41%42c", "example.com/abc"],
      ["example.com/a%2Fb", "example.com/a/b"],
      ["example.com/a%2F..%2Fb", "example.com/a/../b"],
      ["example.com/%2e%2e/x", "example.com/../x"],
      ["example.com/A%2fB/../C", "example.com/c"],
      ["example.com/a%2525b", "example.com/a%25b"],
      ["example.com/a%3Fb?c", "example.com/a?b?c"],
      ["example.com/%E2%82%AC", "example.com/€"],
      ["example.com/%C3%A9T%C3%89", "example.com/été"],
      ["example.com/%FF", "example.com/\ufffd"],
      ["example.com/a b/%2e%2e/c", "example.com/c"],
    ])("percent-decodes each segment once, after resolving: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each<Case>([
      ["example.com/%zz", "example.com/%zz"],
      ["example.com/a%", "example.com/a%"],
      ["example.com/%41%zz?q=%42", "example.com/%41%zz?q=%42"],
      ["example.com/%41#%zz", "example.com/%41"],
      ["http://u%zz@example.com/%41?q=%42", "example.com/%41?q=%42"],
      ["/Steal%20Browser.ps1", "steal%20browser.ps1"],
    ])("switches decoding off for the whole URL after an invalid escape outside the query: %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("query", () => {
    test.each<Case>([
      ["example.com/?Q=A+B", "example.com/?q=a+b"],
      ["example.com/s?q=a+b%2Bc", "example.com/s?q=a+b+c"],
      ["example.com/?q=a%20b", "example.com/?q=a b"],
      ["example.com/?q=a%00b", "example.com/?q=ab"],
      ["example.com/?q=%2F%2f", "example.com/?q=/"],
      ["example.com/x?a=//b//c", "example.com/x?a=/b/c"],
      ["example.com/?a=1&&b=2", "example.com/?a=1&&b=2"],
      ["example.com/?=", "example.com/?="],
      ["example.com/?&", "example.com/?&"],
      ["example.com/??", "example.com/??"],
      ["example.com/?a=%E2%82%AC", "example.com/?a=€"],
      ["example.com/a?q=%zz&r=%42", "example.com/a?q=%zz&r=%42"],
      ["example.com/%41?q=%zz&r=%42", "example.com/a?q=%zz&r=%42"],
      ["https://login.example.com/in?to=https%3A%2F%2Fexample.com%2Fhome", "login.example.com/in?to=https:/example.com/home"],
    ])("keeps the query, decoded once and lower-cased, + kept: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("trailing / and ?", () => {
    test.each<Case>([
      ["example.com/a?", "example.com/a?"],
      ["example.com/a/?", "example.com/a"],
      ["example.com/a/?b=1", "example.com/a/?b=1"],
      ["example.com/a/.?x=1", "example.com/a/?x=1"],
      ["example.com/a/b/..?x=1", "example.com/a/?x=1"],
      ["http://A.com/x/#f?", "a.com/x/"],
      ["example.com?", "example.com?"],
      ["example.com/?q", "example.com/?q"],
    ])("%j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("fragments", () => {
    test.each<Case>([
      ["example.com/Some/Path#Frag", "example.com/some/path"],
      ["example.com#/path", "example.com"],
      ["http://example.com/#!/route", "example.com"],
      ["example.com/a#b?c=d", "example.com/a"],
      ["example.com/fre.php?#x", "example.com/fre.php?"],
      ["example.com/a?b=C#D", "example.com/a?b=c"],
    ])("drops the fragment: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });
  });

  describe("whitespace, control characters and degenerate inputs", () => {
    test.each<Case>([
      ["  http://example.com/a", "example.com/a"],
      ["", ""],
      [" ", ""],
      ["http://", ""],
      [":80", ""],
      ["#x", ""],
      ["/", ""],
      ["//", ""],
      [".", ""],
      ["..", ""],
      ["*", "*"],
      ["localhost", "localhost"],
    ])("%j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test.each(["example.com/a\u0001b", "exa\u007fmple.com"])("rejects a control character before the fragment: %j", (input) => {
      expect(normalizeUrl(input)).toBeUndefined();
    });

    test("allows a control character inside the dropped fragment", () => {
      expect(normalizeUrl("example.com/a#\u0001")).toBe("example.com/a");
    });
  });

  describe("fast path", () => {
    test.each<Case>([
      ["http://example.com/path/to/file.php?id=123", "example.com/path/to/file.php?id=123"],
      ["https://Cdn.Example.COM/Some/Path/Index.HTML", "cdn.example.com/some/path/index.html"],
      ["http://www.example.com:8080/dir/", "example.com/dir"],
      ["evil.example.org/gate.php", "evil.example.org/gate.php"],
    ])("returns the same result for already-normal URLs: %j → %j", (input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    });

    test("returns the input itself when nothing changes", () => {
      const input = "evil.example.org/gate.php?id=1";
      expect(normalizeUrl(input)).toBe(input);
    });
  });
});

describe("normalizeHost()", () => {
  test.each<Case>([
    ["example.com", "example.com"],
    ["WWW.Example.COM.", "example.com"],
    ["www.www.example.com", "www.example.com"],
    ["a..b", "a.b"],
    ["0x7f.1", "127.0.0.1"],
    ["3232235777", "192.168.1.1"],
    ["пример.рф", "xn--e1afmkfd.xn--p1ai"],
    ["*.example.com", "*.example.com"],
    ["2001:0DB8::1", "2001:db8::1"],
    ["[2001:DB8::1]", "[2001:db8::1]"],
  ])("normalises a host like a URL's host: %j → %j", (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  test.each(["", ".", "example.com/x", "example.com:80", "a b.com", "user@example.com", "a%41.com", "[::1", "[a:b]", "a:b:c"])(
    "rejects what is not a host: %j",
    (input) => {
      expect(normalizeHost(input)).toBeUndefined();
    },
  );

  test("agrees with normalizeUrl() on bare hosts", () => {
    for (const host of ["Example.COM", "www.a.b", "1.2.3", "пр.com", "x-y_z.co"]) {
      expect(normalizeHost(host)).toBe(normalizeUrl(host));
    }
  });
});
