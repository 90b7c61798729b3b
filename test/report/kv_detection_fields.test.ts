/**
 * kvDetectionFields is the scanner's fast path for the sidecar's `fields`; it must give exactly
 * (same keys, same order, same values) what the general parser gives: parseReportLine's record,
 * flattened by recordFields (the code parseDetectionFields ran for every line before the fast
 * path, moved unchanged). The lines come from the real template renderer (the embedded EventFormat,
 * every SIEM profile, custom key=value templates) with seeded random records, then mutated.
 */
import { describe, expect, test } from "bun:test";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { SIEM_NAMES, siemConfigText } from "../../src/config/siem_profiles.ts";
import type { FeedConfig, ServiceConfig } from "../../src/config/types.ts";
import { compileOutputTemplates, type OutputTemplates } from "../../src/events/compile_output_templates.ts";
import { renderDetection } from "../../src/events/render_detection.ts";
import type { MatchedRecord } from "../../src/matching/types.ts";
import { kvDetectionFields } from "../../src/report/kv_detection_fields.ts";
import { parseReportLine } from "../../src/report/parse_report_line.ts";
import { recordFields } from "../../src/report/record_fields.ts";
import { parseDetectionFields } from "../../src/scanner/parse_detection_fields.ts";
import { prng } from "../_support/child_processes.ts";
import { NOW } from "./_report_cli.ts";

/** The general path: parseReportLine's record, flattened by recordFields. */
function reference(text: string, now: number): Record<string, string> {
  const parsed = parseReportLine(text, { now });
  return parsed.kind === "detection" ? recordFields(parsed.record) : {};
}

const SLOT_NAMES = ["RE_URL", "RE_DOMAIN", "RE_IP", "RE_MD5", "RE_SHA1", "RE_SHA256", "RE_USERNAME"];

/** Field names: ordinary ones, the names the reader gives a meaning, names that clash, odd ones. */
const NAMES = [
  "threat", "geo", "popularity", "first_seen", "family", "group", "ports", "mask", "type", "file_type",
  "category", "Category", "eventName", "event_name", "cat", "matchedIndicator", "MatchedIndicator", "detected_indicator",
  "feed", "Feed", "feedName", "confidence", "Confidence", "indicatorType", "scanFile", "scanLine", "rt", "devTime",
  "devTimeFormat", "retroscan", "url", "src", "ip", "md5", "sha1", "sha256", "hash", "domain", "usrName", "source",
  "dst", "srcPort", "dstPort", "time", "record_category", "record_time", "actionable.cn1", "actionable.", "__proto__",
  "constructor", "toString", "a.b/c-d", "_x", "x1", "Ünïcode", "9lives", "cn1", "LEEF", "CEF",
];

/** Values: plain, empty, spaced, with `=`, `:` (actionable-looking), URLs, times, numbers, unicode and whitespace. */
const VALUES = [
  "", "x", "ru, ua, kz", "11.01.2016 07:17", "a=b", "k=v z=w", "cn1:Example Device", "http://bad.example/a?x=1",
  "bad.example/*", "192.0.2.1", "2001:db8::1", "44D88612FEA8A8F36DE82E1278ABB02F", "75", "075", "1e2", "-0", "NaN",
  " 5", "Infinity", "true", "TRUE", "false", "url", "ip", "md5", "1713175334000", "Apr 15 10:02:11", "2024-04-15T10:02:11Z",
  "Feb 30 10:00:00", "ünïcödé 日本語", "emoji 🙂 ok", "nbsp\u00a0", "ideo\u3000", "\u00a0lead", "tab\there", "trail ",
  "a : b", "x: y", "host:8080", "path/to:thing", "LookupFinished", "KL_ALERT_Test", "LEEF:1.0|x", "CEF:0|x",
  "a|MatchedIndicator=b", "Category=c|MatchedIndicator=d", "__proto__", "\\", "\"quoted\"", "{json}", "<13>",
];

/** Text that sends a line to the general parser (a mark of another dialect, a key it must handle). */
const OFF_PATH = /LookupFinished|KL_ALERT_|LEEF:|CEF:|MatchedIndicator=|__proto__|actionable\.|^</;
const PLAIN_NAMES = NAMES.filter((n) => !OFF_PATH.test(`${n}=`));
const PLAIN_VALUES = VALUES.filter((v) => !OFF_PATH.test(v));

const CATEGORIES = ["KL_Malicious_URL", "KL_IP_Reputation", "KL_Malicious_Hash_MD5", "Maltrail", "KL_Phishing_URL", "", "cat egory", "Ünï"];
const INDICATORS = ["bad.example/*", "192.0.2.0", "44D88612FEA8A8F36DE82E1278ABB02F", "fakess123.nu", "", "a b", "x=y", "日本.example"];

/** A feed whose actionable fields templates with %ActionableFields% render as ` name:value`. */
const ACTIONABLE_FEED: FeedConfig = {
  filename: "Malicious_URL_Data_Feed.json", enabled: true, confidence: 100, format: "kaspersky", category: "KL_Malicious_URL",
  fields: [], actionableFields: [{ name: "popularity", outputName: "cn1" }, { name: "threat", outputName: "" }, { name: "geo", outputName: "cn2" }],
  indicatorLifetimeMinutes: 0, allowList: false, header: false, line: 1,
};

/** Custom key=value templates, as users write them (the spec's example among them). */
const CUSTOM_FORMATS = [
  "%Date% event_name=%Category% source=%SourceId% matchedIndicator=%MatchedIndicator% url=%RE_URL% ip=%RE_IP% usrName=%RE_USERNAME% indicatorInfo=%IndicatorInfo% confidence=%Confidence%%RecordContext%",
  "%Date% category=%Category% matchedIndicator=%MatchedIndicator%%RecordContext%%ActionableFields%",
  "category=%Category% matchedIndicator=%MatchedIndicator% feed=%SourceId% rt=%EventReceivedDate% retroscan=%Retroscan%%RecordContext% %ActionableFields%",
  "%Date%\teventName=%Category%\tmatchedIndicator=%MatchedIndicator%\tip=%RE_IP%%RecordContext%",
  "detected_indicator=%MatchedIndicator% event_name=%Category% devTime=%Date%%RecordContext%",
];

function config(text: string): ServiceConfig {
  return parseServiceConfig(text, "<test>").config;
}

/** Every template set: name → compiled templates. */
function templateSets(): [string, OutputTemplates][] {
  const sets: [string, OutputTemplates][] = [];
  const base = config(DEFAULT_SERVICE_CONFIG_TEXT);
  sets.push(["embedded default", compileOutputTemplates(base.output, [ACTIONABLE_FEED], SLOT_NAMES)]);
  sets.push(["embedded default, escape=json", compileOutputTemplates({ ...base.output, escapes: { event: "json", recordField: "json" } }, [ACTIONABLE_FEED], SLOT_NAMES)]);
  for (const name of SIEM_NAMES) {
    const c = config(siemConfigText(name));
    sets.push([`siem ${name}`, compileOutputTemplates(c.output, [ACTIONABLE_FEED], SLOT_NAMES)]);
  }
  CUSTOM_FORMATS.forEach((eventFormat, i) => {
    sets.push([`custom ${i}`, compileOutputTemplates({ ...base.output, eventFormat }, [ACTIONABLE_FEED], SLOT_NAMES)]);
  });
  sets.push(["custom, recordField name:value", compileOutputTemplates({ ...base.output, recordFieldContextFormat: " %ParamName%:%ParamValue%" }, [ACTIONABLE_FEED], SLOT_NAMES)]);
  return sets;
}

type Random = ReturnType<typeof prng>;

/** Names and values to draw from: all of them, or only those that keep a line on the fast path. */
interface Pools {
  readonly names: readonly string[];
  readonly values: readonly string[];
}
const ALL: Pools = { names: NAMES, values: VALUES };
const PLAIN: Pools = { names: PLAIN_NAMES, values: PLAIN_VALUES };

function randomRecord(r: Random, pools: Pools): MatchedRecord {
  const fields: [string, string][] = [];
  for (let i = r.int(7); i > 0; i--) fields.push([r.pick(pools.names), r.pick(pools.values)]);
  return {
    feed: { name: r.next() < 0.5 ? "Malicious_URL_Data_Feed" : "Other_Feed", category: "c", confidence: r.pick([100, 75, 0]), allowList: false, loadedAt: 0, indicatorLifetimeMinutes: 0 },
    kind: "url" as MatchedRecord["kind"],
    category: r.pick(CATEGORIES),
    indicator: r.pick(INDICATORS),
    fields,
  };
}

function randomLine(r: Random, t: OutputTemplates, pools = ALL): string {
  const regexValues = SLOT_NAMES.map(() => (r.next() < 0.4 ? r.pick(pools.values) : undefined));
  const now = NOW - r.int(400) * 86_400_000;
  return renderDetection(t, { now, receivedAt: now - 1000, sourceId: r.pick(["proxy01", "", "a b"]), regexValues }, randomRecord(r, pools), r.int(SLOT_NAMES.length), r.pick(pools.values));
}

/** Edits that push a line off the fast path, or keep it on with a twist. */
function mutate(r: Random, line: string): string {
  const at = r.int(line.length + 1);
  switch (r.int(10)) {
    case 0: return line.slice(0, at) + r.pick([" ", "\t", "\u00a0", "|", "=", ":", "\r"]) + line.slice(at);
    case 1: return line.slice(0, at) + ` ${r.pick(NAMES)}=${r.pick(VALUES)}` + line.slice(at);
    case 2: return line.slice(0, at) + line.slice(at + 1 + r.int(12));
    case 3: return r.pick([" ", "  ", "\t", "\u00a0", "\ufeff", "<13>1 2024-04-15T10:02:11Z host app - - - ", "<13>", "{", "[", "]", "Total scan time: "]) + line;
    case 4: return line + r.pick([" ", "\t", "\u00a0", "\u3000", " \u00a0 ", " x:", " x:y", " a=", "=", " LookupFinished"]);
    case 5: return line.replace(/ /g, () => (r.next() < 0.1 ? "\t" : " "));
    case 6: return line.replace(/matchedIndicator=[^ ]*/i, "");
    case 7: return line.replace(/(?:eventName|category)=[^ ]*/gi, "");
    case 8: return `${line} ${r.pick(NAMES)}:${r.pick(VALUES)} ${r.pick(NAMES)}:${r.pick(VALUES)}`;
    default: return line;
  }
}

/** Compares both paths on `line`; true when the fast path answered. */
function same(line: string, now: number): boolean {
  const want = JSON.stringify(reference(line, now));
  const fast = kvDetectionFields(line, now);
  if (fast !== undefined && JSON.stringify(fast) !== want) expect({ line, fast }).toEqual({ line, fast: JSON.parse(want) });
  const got = JSON.stringify(parseDetectionFields(line, now));
  if (got !== want) expect({ line, got: JSON.parse(got) }).toEqual({ line, got: JSON.parse(want) });
  return fast !== undefined;
}

describe("kvDetectionFields()", () => {
  const sets = templateSets();

  /** Compares both paths on set `i`'s 2,000 lines (half plain, two in three mutated); how many the fast path answered. */
  const compareSet = (i: number): number => {
    const t = sets[i]![1];
    const r = prng(1_000 + i);
    let answered = 0;
    for (let n = 0; n < 2_000; n++) {
      const rendered = randomLine(r, t, n % 2 === 0 ? PLAIN : ALL);
      const line = n % 3 === 0 ? rendered : mutate(r, n % 5 === 0 ? mutate(r, rendered) : rendered);
      if (same(line, NOW - r.int(2) * 86_400_000 * 200)) answered++;
    }
    return answered;
  };

  test.each(sets.map(([name], i) => [name, i] as const))("%s: the same fields, in the same order, as parseReportLine on 2,000 rendered and mutated lines", (_name, i) => {
    compareSet(i);
  });

  test("the comparison is not empty: the fast path answers a good share of the key=value templates' lines", () => {
    // Rendered plain lines are a third of the corpus, and most mutations keep a line on the fast path.
    const names = ["embedded default", "embedded default, escape=json", "siem splunk", "siem maxpatrol", "custom 0", "custom 1"];
    const answered = names.map((name) => [name, compareSet(sets.findIndex(([n]) => n === name)) > 600]);
    expect(answered).toEqual(names.map((name) => [name, true]));
  });

  test("answers the embedded EventFormat's lines itself (the scanner's common case) and maxpatrol's RFC 3164 ones, and leaves LEEF, CEF, KUMA and JSON to parseReportLine", () => {
    const answered = new Map<string, number>();
    const r = prng(7);
    for (const [name, t] of sets) {
      let count = 0;
      for (let n = 0; n < 300; n++) if (kvDetectionFields(randomLine(r, t, PLAIN), NOW) !== undefined) count++;
      answered.set(name, count);
    }
    expect([answered.get("embedded default"), answered.get("custom 0"), answered.get("custom 3"), answered.get("siem maxpatrol")]).toEqual([300, 300, 300, 300]);
    expect([answered.get("siem kuma"), answered.get("siem qradar"), answered.get("siem arcsight"), answered.get("siem elastic")]).toEqual([0, 0, 0, 0]);
  });

  test.each([
    ["the default template, record fields and all", "Dec 05 12:16:54 eventName=Maltrail matchedIndicator=mortgageccloan.com category=Maltrail url= domain=mortgageccloan.com ip=10.12.57.12 md5= sha1= sha256= family=bad_history group=suspicious"],
    ["a record's own category (renamed) and a repeated field (last value, first place)", "Dec 04 15:03:44 category=KL_IP_Reputation matchedIndicator=192.0.2.0 ip=192.0.2.0 threat_score=75 category=test popularity=5 threat_score=80"],
    ["record_ names already taken", "Dec 04 15:03:44 category=A matchedIndicator=i category=B record_category=C"],
    ["actionable fields after a value, a URL that is not one", "Apr 15 10:02:11 category=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a b threat=x cn1:Example Device cn2:Lab"],
    ["feed, confidence and rt when there is no leading time", "category=C matchedIndicator=i feed=F confidence=075 rt=1713175334000 feed=G confidence=x"],
    ["empty values, trailing whitespace, non-ASCII whitespace", "Apr 15 10:02:11 category=C matchedIndicator=i geo=ru,\u00a0 \tcity=日本\u3000 last=x\u00a0"],
    ["an RFC 3164 header", "<12>Apr 15 10:02:11 ioclens cybertrace: eventName=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a"],
  ])("%s", (_what, line) => {
    expect(kvDetectionFields(line, NOW)).toBeDefined();
    expect(JSON.stringify(kvDetectionFields(line, NOW))).toBe(JSON.stringify(reference(line, NOW)));
  });

  test.each([
    ["no indicator", "Apr 15 10:02:11 category=KL_Malicious_URL url=http://bad.example/"],
    ["an actionable. key", "category=C matchedIndicator=i actionable.cn1=x"],
    ["a __proto__ key", "category=C matchedIndicator=i __proto__=x"],
    ["a finished event", "Apr 15 10:02:11 alert=LookupFinished sent_events=5 total=KL_Malicious_URL:2;"],
    ["KUMA", "Category=KL_Malicious_URL|MatchedIndicator=bad.example/*|first_seen=19.05.2024 08:32"],
    ["RFC 5424", "<13>1 2024-04-15T10:02:11Z host app - - - category=C matchedIndicator=i"],
    ["leading whitespace", " category=C matchedIndicator=i"],
  ])("leaves %s to the general parser, which parseDetectionFields then uses", (_what, line) => {
    expect(kvDetectionFields(line, NOW)).toBeUndefined();
    expect(JSON.stringify(parseDetectionFields(line, NOW))).toBe(JSON.stringify(reference(line, NOW)));
  });
});
