/**
 * Differential test of the whole event path: extraction, lookups and rendering of detections and
 * finished events on a fixed corpus, against outputs recorded from the build before the CPU work
 * of issue 17 (test/fixtures/event_path/). Speed-ups of extraction or rendering must leave every
 * value and every rendered byte as it was. To re-record after an intended output change:
 * `IOCLENS_RECORD_GOLDEN=1 npx bun test test/service/event_path_golden.test.ts`.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import type { ServiceConfig } from "../../src/config/types.ts";
import type { FeedInfo, IndexReader, LookupResult, LookupType, MatchedRecord } from "../../src/matching/types.ts";
import { extract } from "../../src/service/extract.ts";
import { compilePipeline, processEvent } from "../../src/service/process_event.ts";

const DIR = join(import.meta.dir, "../fixtures/event_path");
const RECORD = process.env.IOCLENS_RECORD_GOLDEN === "1";
// Local time, so %Date% renders the same in every time zone.
const NOW = new Date(2026, 11, 4, 18, 30, 5, 250).getTime();

function feed(name: string, category: string): FeedInfo {
  return { name, category, confidence: 90, allowList: false, loadedAt: NOW, indicatorLifetimeMinutes: 0 };
}
const HASHES = feed("Malicious_Hash_Data_Feed.json", "KL_Malicious_Hash_MD5");
const FEEDS: Record<LookupType, FeedInfo> = {
  URL: feed("Malicious_URL_Data_Feed.json", "KL_Malicious_URL"),
  DOMAIN: feed("Phishing_URL_Data_Feed.json", "KL_Phishing_URL"),
  IP: feed("IP_Reputation_Data_Feed.json", "KL_IP_Reputation"),
  HASH: HASHES,
  MD5: HASHES,
  SHA1: HASHES,
  SHA256: HASHES,
};

/** FNV-1a of the text: which values "hit" depends on the value only, never on the code under test. */
function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** One value in four hits; one hit in seven has a second record; one in five is an allow-list hit. */
class HashIndex implements IndexReader {
  lookup(type: LookupType, value: string): LookupResult {
    const h = fnv(`${type}:${value}`);
    if (h % 5 === 1) return { records: [], suppressed: 1 };
    if (h % 4 !== 0) return { records: [], suppressed: 0 };
    const f = FEEDS[type];
    const kind = type === "HASH" ? "MD5" : type;
    const records: MatchedRecord[] = [{ feed: f, kind, category: f.category, indicator: value, fields: [["family", `fam"${h % 13}`], ["category", "test\\x"], ["note", "a=b|c\nd"]] }];
    if (h % 7 === 0) records.push({ ...records[0]!, category: "KL_Extra", indicator: `${value}/extra`, fields: [] });
    return { records, suppressed: 0 };
  }
  counts(): ReadonlyMap<string, number> {
    return new Map();
  }
}

function config(text: string): ServiceConfig {
  return parseServiceConfig(text, "<golden>").config;
}
const defaults = DEFAULT_SERVICE_CONFIG_TEXT;
/** Regex values and the Source id in the finished event, JSON and CEF escapes, actionable fields. */
const custom = defaults
  .replace(/<FinishedEventFormat enabled="true">[^\n]*<\/FinishedEventFormat>/, `<FinishedEventFormat enabled="true" escape="json"><![CDATA[{"d":"%Date%","src":"%SourceId%","url":"%RE_URL%","ip":"%RE_IP%"%RecordContext%}]]></FinishedEventFormat>`)
  .replace(/<EventFormat>[^\n]*<\/EventFormat>/, `<EventFormat escape="cef"><![CDATA[CEF:0|x|%Category%|%MatchedIndicator%|%Confidence%|dom=%RE_DOMAIN% ip=%RE_IP% r=%EventReceivedDate%%RecordContext%%ActionableFields%]]></EventFormat>`);
const CONFIGS = { default: config(defaults), custom: config(custom) };

const lines = readFileSync(join(DIR, "lines.txt"), "utf8").split("\n").filter((l) => l !== "");

/** What one line makes, as one JSON text per line of the golden file. */
function outputs(c: ServiceConfig): string[] {
  const pipeline = compilePipeline(c);
  const index = new HashIndex();
  return lines.map((line) => {
    const x = extract(pipeline.sources, line, undefined);
    const r = processEvent(pipeline, index, line, { now: NOW, receivedAt: NOW - 1500, sendFinished: true });
    return JSON.stringify({ values: x.values.map((v) => [v.slot, v.type, v.value]), first: x.firstValues, lines: r.lines, detections: r.detections, suppressed: r.suppressed, checked: r.checked });
  });
}

describe("the event path on the golden corpus", () => {
  test("the corpus is varied: values of every type, detections and astral characters", () => {
    expect(lines.length).toBeGreaterThan(2000);
    expect(lines.some((l) => /[\uD800-\uDFFF]/.test(l))).toBe(true);
  });

  test.each(Object.keys(CONFIGS))("extracts and renders exactly what the recorded build did (%s config)", (name) => {
    const file = join(DIR, `${name}.jsonl.gz`);
    const got = outputs(CONFIGS[name as keyof typeof CONFIGS]);
    if (RECORD) writeFileSync(file, gzipSync(got.join("\n") + "\n"));
    const want = gunzipSync(readFileSync(file)).toString("utf8").split("\n").slice(0, -1);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== want[i]) expect({ line: lines[i], got: JSON.parse(got[i]!) }).toEqual({ line: lines[i], got: JSON.parse(want[i]!) });
    }
    const detections = got.reduce((n, g) => n + (JSON.parse(g) as { detections: number }).detections, 0);
    expect(detections).toBeGreaterThan(500);
  });
});
