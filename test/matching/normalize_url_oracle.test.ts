import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { normalizeUrl, normalizeUrlSpan, URL_SPAN } from "../../src/matching/normalize_url.ts";

// Rows copied from the shared oracle (Kaspersky's normaliser run over Maltrail trails and
// generated variants); licences in test/fixtures/url-normalization/LICENSE.md.
const FIXTURE = new URL("../fixtures/url-normalization/oracle_excerpt.tsv", import.meta.url);

interface OracleRow {
  readonly line: number;
  readonly input: string;
  /** undefined = the reference rejects the input. */
  readonly expected: string | undefined;
}

function readRows(): OracleRow[] {
  const text = readFileSync(FIXTURE, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((row, k) => {
    const tab = row.indexOf("\t");
    if (tab < 0) throw new Error(`oracle_excerpt.tsv:${k + 1}: row has no TAB: ${JSON.stringify(row)}`);
    const expected = row.slice(tab + 1);
    return {
      line: k + 1,
      input: row.slice(0, tab),
      expected: expected.startsWith("!ERROR: ") ? undefined : expected,
    };
  });
}

// Deliberate difference: IDN hosts become punycode (CyberTrace docs, spec §4.4 rule 4); the Go
// reference leaves them as Unicode. Path-only trails (`/Госуслуги.apk`) count too, because both
// normalisers read their first segment as the host. Each entry is our expected output.
const IDN_TO_PUNYCODE = new Map<string, string>([
  ["/2000×2000.php", "xn--20002000-rwa.php"],
  ["/1-ПК/courageous/", "xn--1--3lct/courageous"],
  ["/1-ПК/courageous/courageous.69alf", "xn--1--3lct/courageous/courageous.69alf"],
  ["/78230_Video_Oynatıcı.apk", "xn--78230_video_oynatc-u0cb.apk"],
  ["/HediyeKartınıKullan.apk", "xn--hediyekartnkullan-lvcb.apk"],
  ["/Hızlandır.apk", "xn--hzlandr-rfbf.apk"],
  ["/%D0%AE%D0%9B%D0%AF-%D0%9F%D0%9A/alongside/", "xn----ttbbr6eh/alongside"],
  [
    "/%E3%81%82%E3%82%93%E3%81%97%E3%82%93%E3%82%BB%E3%82%AD%E3%83%A5%E3%83%AA%E3%83%86%E3%82%A3.apk",
    "xn--l8jzb9jb4ftc7e0dsnwb.apk",
  ],
  ["пример.рф", "xn--e1afmkfd.xn--p1ai"],
  ["ПРИМЕР.РФ/JAMES/FRE.PHP", "xn--e1afmkfd.xn--p1ai/james/fre.php"],
  ["http://www.пример.рф:8080/james/fre.php?Q=Ä", "xn--e1afmkfd.xn--p1ai/james/fre.php?q=ä"],
  ["https://пример.рф/%D0%9F%C3%9C", "xn--e1afmkfd.xn--p1ai/пü"],
  ["bücher.de", "xn--bcher-kva.de"],
  ["BÜCHER.DE/PATH", "xn--bcher-kva.de/path"],
  ["http://www.bücher.de:8080/Path?Q=Ä", "xn--bcher-kva.de/path?q=ä"],
  ["https://bücher.de/%D0%9F%C3%9C", "xn--bcher-kva.de/пü"],
  ["例え.テスト", "xn--r8jz45g.xn--zckzah"],
  ["例え.テスト/PATH", "xn--r8jz45g.xn--zckzah/path"],
  ["http://www.例え.テスト:8080/Path?Q=Ä", "xn--r8jz45g.xn--zckzah/path?q=ä"],
  ["https://例え.テスト/%D0%9F%C3%9C", "xn--r8jz45g.xn--zckzah/пü"],
  // UTS #46 mapping also folds full-width letters in the host (the path keeps them).
  ["ＥＸＡＭＰＬＥ.com/Ａ", "example.com/ａ"],
  ["ǅ.example", "xn--d-toa.example"],
  ["straße.example/STRASSE", "xn--strae-oqa.example/strasse"],
  ["http://%D0%BF%D1%80.com/", "xn--o1ac.com"],
]);

const rows = readRows();
const agreeing = rows.filter((r) => !IDN_TO_PUNYCODE.has(r.input));
const differing = rows.filter((r) => IDN_TO_PUNYCODE.has(r.input));

describe("normalizeUrl() against the Kaspersky oracle excerpt", () => {
  test("the excerpt is the committed one", () => {
    expect({ rows: rows.length, differing: differing.length }).toEqual({ rows: 385, differing: 24 });
  });

  test.each(agreeing.map((r) => [r.line, r.input, r.expected] as const))(
    "row %d: %j gives the reference output",
    (_line, input, expected) => {
      expect(normalizeUrl(input)).toBe(expected);
    },
  );

  test.each(differing.map((r) => [r.line, r.input, r.expected] as const))(
    "row %d: %j turns its IDN host into punycode where the reference keeps Unicode",
    (_line, input, reference) => {
      const ours = normalizeUrl(input);
      expect(ours).toBe(IDN_TO_PUNYCODE.get(input)!);
      // Same output as the reference once its host is converted: the only difference is IDN.
      const cut = (s: string) => s.search(/[/?]|$/);
      expect(ours!.slice(cut(ours!))).toBe(reference!.slice(cut(reference!)));
    },
  );
});

describe("normalizeUrlSpan() against normalizeUrl()", () => {
  test("claims a span only when normalizeUrl of the slice is that span, for every oracle input inside text", () => {
    let spans = 0;
    const befores = ["", " ", "GET ", "url=", "ж ", "😀"];
    const afters = ["", " ", "\"", "é", "/x y", "?"];
    const inputs = [...rows.map((r) => r.input), "http:/", "http://", "https://www.a.b/c/"];
    // Every mix of the parts the fast path decides on, in both cases.
    for (const scheme of ["", "http://", "https://", "HTTP://", "ftp://"]) {
      for (const host of ["example.com", "www.example.com", "a.b.example.org", "WWW.X.TEST", "10.0.0.1", "1.2", "x-y.test", "xn--e1afmkfd.xn--p1ai", "münchen.de", "a..b", "mailto"]) {
        for (const port of ["", ":80", ":8080", ":x"]) {
          for (const path of ["", "/", "/a/b", "/a//b", "/a/./b", "/A/b.php", "/%41", "/x.", "/*"]) {
            for (const tail of ["", "?q=1", "?Q=A", "?a=%2F", "?", "?x//y", "#f", "?q#%zz", "#?"]) inputs.push(scheme + host + port + path + tail);
          }
        }
      }
    }
    inputs.forEach((input, k) => {
      const before = befores[k % befores.length]!;
      const text = before + input + afters[(k >> 1) % afters.length]!;
      const start = before.length;
      const end = start + input.length;
      if (!normalizeUrlSpan(text, start, end)) return;
      spans++;
      const got = text.slice(URL_SPAN[0]!, URL_SPAN[1]!);
      if (got !== normalizeUrl(input)) expect({ input, got: got as string | undefined }).toEqual({ input, got: normalizeUrl(input) });
    });
    expect(spans).toBeGreaterThan(250);
  });
});
