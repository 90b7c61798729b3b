import { describe, expect, test } from "bun:test";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { compileSources } from "../../src/service/extract.ts";
import { directMatcher, NO_MATCH, RUN_REGEX } from "../../src/service/_direct_match.ts";
import { DEFAULT_RE_DOMAIN, DEFAULT_RE_IP, DEFAULT_RE_URL } from "../../src/service/_start_finder.ts";
import { colonChains, corpus, editRules, expectSameExtraction, fuzzStrings } from "./_log_lines.ts";

const KNOWN = { RE_URL: DEFAULT_RE_URL, RE_DOMAIN: DEFAULT_RE_DOMAIN, RE_IP: DEFAULT_RE_IP };

/** Hosts, ports, paths and file names around the edges the matchers decide: label and TLD lengths, excluded endings, ports, trailing punctuation. */
function hostEdges(): string[] {
  const label63 = "a".repeat(62) + "b";
  const label64 = "a".repeat(63) + "b";
  const ends = ["", " ", ".", ". ", ".x", ".-", "_", "-", "/", "/p", "/p.", "/p),", ":80/", ":123456/", ":8080", "@", ":", "?", "\u00a0", "\u2003x", "😀"];
  const hosts = ["a.bc", "a.b", "a.b1", "a.1b", "x.html", "x.htm", "x.HTML", "x.php5", "x.php55", "x.class", "x.classy", "a.b.exe", "a-b.c-d", "a-.bc", "-a.bc", "a_b.cd", `${label63}.com`, `${label64}.com`, `x.${label63}`, `x.c${label63}`, "1.2.3.4", "01.2.3.4", "1.2.3.256", "255.255.255.255", "1.2.3.4.5", "1.2.3", "10.0.0.1a", "a.b.", "a..b", "ab.cd.ef.gh"];
  // Every ending RE_DOMAIN refuses as a TLD, and near misses.
  const files = "html htm php php7 aspx asp jsp js json xml txt log conf cfg ini yaml yml csv tsv exe dll sys gz tgz jpeg jpg png gif svg ico css bat ps1 java class jar tmp bak pdf docx doc xlsx xls jss phpx ym Exe".split(" ");
  hosts.push(...files.map((f) => `x.${f}`));
  const before = ["", " ", "x", "_", "-", ".", "@", "/", ":", "\\", "url=", "Url=", " url=", "|URL=", "xurl=", "\"url=", "\u00a0url=", "http://", "HTTPS://", "ftp://", "httpsx://", "htt://", "=", "😀"];
  const out: string[] = [];
  for (const b of before) for (const h of hosts) for (const e of ends) out.push(b + h + e);
  return out;
}

const texts = [...corpus(3000, 41), ...fuzzStrings(20_000, 29), ...colonChains(5000, 13), ...hostEdges()];

describe("directMatcher()", () => {
  test("exists for the embedded default RE_URL, RE_DOMAIN and RE_IP only", () => {
    expect(Object.values(KNOWN).map((p) => directMatcher(p) !== undefined)).toEqual([true, true, true]);
    expect(directMatcher(DEFAULT_RE_DOMAIN + "|x")).toBeUndefined();
  });

  test.each(Object.entries(KNOWN))("answers what the sticky %s answers at every position it decides", (name, pattern) => {
    const match = directMatcher(pattern)!;
    let decided = 0;
    let matched = 0;
    for (const flags of ["uy", "y"]) {
      const sticky = new RegExp(pattern, flags);
      for (const text of texts) {
        // With `u`, text with astral characters is the regex's alone (the service runs the `u` regex there).
        if (flags === "uy" && /[\uD800-\uDFFF]/.test(text)) continue;
        for (let p = 0; p < text.length; p++) {
          const end = match(text, p);
          if (end === RUN_REGEX) continue;
          decided++;
          sticky.lastIndex = p;
          const m = sticky.exec(text);
          const want = m === null || m.index !== p ? NO_MATCH : p + m[0].length;
          if (want >= 0) matched++;
          if (end !== want) expect({ name, text, p, end }).toEqual({ name, text, p, end: want });
        }
      }
    }
    expect({ name, decided: decided > 100_000, matched: matched > 2000 }).toEqual({ name, decided: true, matched: true });
  });

  test("leaves IPv6 starts to the regex", () => {
    const match = directMatcher(DEFAULT_RE_IP)!;
    expect(["fe80::1", "::1", "2001:db8::5"].map((t) => match(t, 0))).toEqual([RUN_REGEX, RUN_REGEX, RUN_REGEX]);
    expect(match("ip 10.0.0.1.", 3)).toBe(11);
  });
});

describe("extract() with direct matchers", () => {
  test("extracts exactly what the regexes at the same candidates extract", () => {
    const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
    const fast = compileSources(config.input);
    const withoutDirect = editRules(fast, (r) => ({ ...r, direct: undefined }));
    const plain = editRules(fast, (r) => ({ ...r, starts: undefined, direct: undefined }));
    expect(fast.fallback.rules.filter((r) => r.direct !== undefined).map((r) => r.name)).toEqual(["RE_URL", "RE_DOMAIN", "RE_IP"]);
    expect(expectSameExtraction(fast, withoutDirect, texts)).toBeGreaterThan(20_000);
    expectSameExtraction(fast, plain, texts);
  });
});
