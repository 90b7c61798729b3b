/**
 * Lookups of values in place (`IndicatorIndex.lookupRange`, `Extraction.spans`): the event path
 * looks up values where they sit in the event instead of slicing them, and must find exactly what
 * a lookup of the sliced value finds, with the same indicator texts in the records.
 */
import { describe, expect, test } from "bun:test";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { IndexReader, IndicatorKind, LookupResult, LookupType } from "../../src/matching/types.ts";
import { compileSources, extract } from "../../src/service/extract.ts";
import { compilePipeline, processEvent } from "../../src/service/process_event.ts";
import { corpus, fuzzStrings } from "./_log_lines.ts";

const NOW = Date.UTC(2025, 0, 1);
const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
const lines = [...corpus(4000, 17), ...fuzzStrings(4000, 23)];

/** Every fourth value the default regexes extract from `lines`, as an indicator of its type, plus zones, masks and networks around them. */
function indexOfLines(): IndicatorIndex {
  const index = new IndicatorIndex();
  const feed = index.addFeed({ name: "demo", category: "demo_category", confidence: 100, allowList: false, loadedAt: NOW, indicatorLifetimeMinutes: 0 });
  const sources = compileSources(config.input);
  let k = 0;
  for (const line of lines) {
    for (const v of extract(sources, line, undefined).values) {
      if (k++ % 4 !== 0) continue;
      index.add(feed, { kind: v.type === "HASH" ? "MD5" : (v.type as IndicatorKind), value: v.value, fields: [] });
      if (v.type === "DOMAIN") index.add(feed, { kind: "DOMAIN", value: `.${v.value.split(".").slice(-2).join(".")}`, fields: [] });
      if (v.type === "IP" && v.value.includes(".")) index.add(feed, { kind: "IP", value: `${v.value.split(".").slice(0, 3).join(".")}.0/24`, fields: [] });
    }
  }
  for (const mask of ["*.example.com/*", "*.test", "10.0.*"]) index.add(feed, { kind: "URL", value: mask, fields: [] });
  // The edge cases below hit, so their records' indicator texts are compared too.
  for (const [kind, value] of [["DOMAIN", "example.com"], ["DOMAIN", "münchen.de"], ["IP", "10.0.0.1"], ["IP", "2001:db8::1"], ["MD5", "a".repeat(32)], ["SHA1", "A".repeat(40)], ["SHA256", "0f".repeat(32)]] as const) {
    index.add(feed, { kind, value, fields: [] });
  }
  return index;
}

const index = indexOfLines();

/** A result as plain data, records in order. */
function plain(r: LookupResult): unknown {
  return { suppressed: r.suppressed, records: r.records.map((x) => [x.feed.name, x.kind, x.category, x.indicator]) };
}

describe("IndicatorIndex.lookupRange()", () => {
  test("finds what lookup() of the slice finds, for values inside text with anything around them", () => {
    const values: [LookupType, string][] = [];
    const sources = compileSources(config.input);
    for (const line of lines) for (const v of extract(sources, line, undefined).values) values.push([v.type, v.value]);
    // Edges the range readers handle themselves: padding, `www.`, trailing dots, case, brackets, mapped IPv4.
    for (const d of ["example.com", " example.com ", "WWW.Example.COM.", "www.", ".", " ", "", "a..b", "münchen.de", "x.test."]) values.push(["DOMAIN", d]);
    for (const ip of ["10.0.0.1", "[2001:db8::1]", "[]", "[", "::ffff:10.0.0.1", "1.2.3", "[10.0.0.1]", "fe80::1"]) values.push(["IP", ip]);
    for (const h of ["a".repeat(32), "A".repeat(40), "0f".repeat(32), "g".repeat(32), "a".repeat(31)]) for (const t of ["MD5", "SHA1", "SHA256", "HASH"] as const) values.push([t, h]);
    let hits = 0;
    for (const [i, [type, value]] of values.entries()) {
      const before = ["", " ", "x=", "ж", "😀"][i % 5]!;
      const after = ["", " ", ".", "/x", "é"][(i >> 2) % 5]!;
      const want = plain(index.lookup(type, value, NOW));
      const got = plain(index.lookupRange(type, before + value + after, before.length, before.length + value.length, NOW));
      if (JSON.stringify(got) !== JSON.stringify(want)) expect({ type, value, got }).toEqual({ type, value, got: want });
      if ((want as { records: unknown[] }).records.length > 0) hits++;
    }
    expect(hits).toBeGreaterThan(1000);
  });
});

describe("Extraction.spans", () => {
  test("places every default-pattern value where it sits in the event, and marks the others -1", () => {
    const input = { ...config.input, sources: config.input.sources.map((s) => ({ ...s, regexes: [...s.regexes, { name: "RE_USER", pattern: "user=(\\w+)", type: "DOMAIN" as const, extract: "all" as const, useForRetroscan: false, line: 1 }] })) };
    const sources = compileSources(input);
    let placed = 0;
    let other = 0;
    for (const line of lines) {
      const x = extract(sources, line, undefined);
      x.values.forEach((v, i) => {
        const start = x.spans[2 * i]!;
        if (start < 0) {
          other++;
          expect(v.slot).toBe(sources.slotNames.indexOf("RE_USER"));
          return;
        }
        placed++;
        if (x.event.slice(start, x.spans[2 * i + 1]!) !== v.value) expect({ line, i, value: x.event.slice(start, x.spans[2 * i + 1]!) }).toEqual({ line, i, value: v.value });
      });
    }
    expect({ placed: placed > 5000, other: other > 50 }).toEqual({ placed: true, other: true });
  });
});

describe("processEvent() with in-place lookups", () => {
  test("renders exactly what it renders with lookups of sliced values, duplicates and all", () => {
    const sliced: IndexReader = { lookup: (t, v, now) => index.lookup(t, v, now), counts: () => index.counts() };
    const pipeline = compilePipeline(config);
    const options = { now: NOW, sendFinished: true };
    // Repeated values (the dedupe compares them in place) and the corpus.
    const events = [...lines, ...lines.slice(0, 500).map((l) => `${l} ${l}`)];
    let detections = 0;
    for (const line of events) {
      // Checked values: the distinct (type, value) pairs, counted here without the event path's in-place comparison.
      const distinct = new Set(extract(pipeline.sources, line, undefined).values.map((v) => `${v.type} ${v.value}`)).size;
      const a = processEvent(pipeline, index, line, options);
      expect({ line, checked: a.checked }).toEqual({ line, checked: distinct });
      const b = processEvent(pipeline, sliced, line, options);
      detections += b.detections;
      if (JSON.stringify([a.lines, a.checked, a.suppressed]) !== JSON.stringify([b.lines, b.checked, b.suppressed])) {
        expect({ line, lines: a.lines, checked: a.checked }).toEqual({ line, lines: b.lines, checked: b.checked });
      }
    }
    expect(detections).toBeGreaterThan(1000);
  });
});
