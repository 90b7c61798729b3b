import { describe, expect, test } from "bun:test";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { compileSources } from "../../src/service/extract.ts";
import { regexPrefilter } from "../../src/service/_regex_prefilter.ts";
import { corpus, editRules, expectSameExtraction } from "./_log_lines.ts";

const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
const lines = corpus(20_000);

describe("regexPrefilter()", () => {
  test.each([
    [String.raw`(?<=url=)\S+|https?://\S+`, "url=|http"],
    [String.raw`a\.b`, "a.b"],
    [String.raw`(?:\d{1,3}\.){3}\d{1,3}`, "[0123456789]."],
    [String.raw`(?=.*@)[^@\s]+`, "@"],
  ])("derives a requirement for %s", (pattern, expected) => {
    const pre = regexPrefilter(new RegExp(pattern, "gu"));
    const shown = pre?.source.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    expect(shown).toBe(expected);
  });

  test.each([
    [String.raw`abc`, "i"],
    [String.raw`[^a]+`, "u"],
    [String.raw`\s+|x`, "u"],
    [String.raw`a?b*`, "u"],
    [String.raw`(a?)\1`, "u"],
    [String.raw`\p{L}\.`, "u"],
    [String.raw`a\=b`, ""],
    [String.raw`.*`, "su"],
  ])("gives none for %s with flags %s", (pattern, flags) => {
    expect(regexPrefilter(new RegExp(pattern, flags))).toBeUndefined();
  });

  test("never rejects a line on which its regex matches", () => {
    const patterns = [
      ...config.input.sources[0]!.regexes.map((r) => r.pattern),
      String.raw`(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)`,
      String.raw`(?:[a-z]+:)?//[\w.]+`,
      String.raw`(\d+)\s*ms\b`,
      String.raw`(?<![\w.])(?:x|yz|\.\.)(?=[A-Z])`,
      String.raw`[=:]{2,}|@[a-z]{2}`,
      String.raw`(?:ab|a)(?:c|)d`,
    ];
    let rejected = 0;
    for (const p of patterns) {
      const re = new RegExp(p, "u");
      const pre = regexPrefilter(re);
      if (pre === undefined) continue;
      for (const line of lines) {
        if (pre.test(line)) continue;
        rejected++;
        expect({ pattern: p, line, match: re.exec(line)?.[0] }).toEqual({ pattern: p, line, match: undefined });
      }
    }
    expect(rejected).toBeGreaterThan(10_000);
  });
});

describe("extract() with prefilters", () => {
  test("extracts exactly what the regexes alone extract from 20k varied lines with the default config", () => {
    // Without their start finders, whose one pass over the event stands in for the prefilters.
    const fast = editRules(compileSources(config.input), (r) => ({ ...r, starts: undefined }));
    const slow = editRules(fast, (r) => ({ ...r, pre: undefined }));
    expect(fast.fallback.rules.filter((r) => r.pre !== undefined).map((r) => r.name)).toEqual(["RE_URL", "RE_DOMAIN", "RE_MD5", "RE_SHA1", "RE_SHA256"]);
    const values = expectSameExtraction(fast, slow, lines);
    expect(values).toBeGreaterThan(20_000);
  });
});
