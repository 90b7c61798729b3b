import { describe, expect, test } from "bun:test";
import type { FeedConfig } from "../../src/config/types.ts";
import { compileOutputTemplates } from "../../src/events/compile_output_templates.ts";
import type { EventRenderContext } from "../../src/events/event_render_context.ts";
import { renderDetection } from "../../src/events/render_detection.ts";
import type { ValueEscape } from "../../src/io/value_escapes.ts";
import { FEB_02, outputSettings, record } from "./_render_inputs.ts";

const slotNames = ["RE_URL", "RE_IP", "RE_USERNAME"];

function ctx(regexValues: (string | undefined)[]): EventRenderContext {
  return { now: FEB_02, receivedAt: FEB_02 - 60_000, sourceId: "proxy01", regexValues };
}

const feed: FeedConfig = {
  filename: "Malicious_URL_Data_Feed.json",
  enabled: true,
  confidence: 100,
  format: "kaspersky",
  category: "KL_Malicious_URL",
  fields: [],
  actionableFields: [
    { name: "popularity", outputName: "cn1" },
    { name: "threat", outputName: "" },
  ],
  indicatorLifetimeMinutes: 0,
  allowList: false,
  header: false,
  line: 1,
};

describe("renderDetection()", () => {
  test("renders the spec's key=value example", () => {
    const t = compileOutputTemplates(
      outputSettings({
        eventFormat:
          "%Date% event_name=%Category% source=%SourceId% matchedIndicator=%MatchedIndicator% url=%RE_URL% ip=%RE_IP% usrName=%RE_USERNAME% indicatorInfo=%IndicatorInfo% confidence=%Confidence%%RecordContext%",
      }),
      [],
      slotNames,
    );
    const line = renderDetection(t, ctx(["http://fakess123.nu", undefined, "jdoe"]), record(), 0, "http://fakess123.nu");
    expect(line).toBe(
      "Feb 02 11:57:59 event_name=KL_Malicious_URL source=proxy01 matchedIndicator=fakess123.nu url=http://fakess123.nu ip= usrName=jdoe indicatorInfo= confidence=100 first_seen=01.01.2014 00:00 popularity=5",
    );
  });

  test("a typed regex placeholder holds the value that produced this detection", () => {
    const t = compileOutputTemplates(outputSettings({ eventFormat: "url=%RE_URL% ip=%RE_IP%" }), [], slotNames);
    // The event's first URL was another one; this detection came from the second.
    expect(renderDetection(t, ctx(["http://first.example/", "192.0.2.1"]), record(), 0, "http://second.example/")).toBe(
      "url=http://second.example/ ip=192.0.2.1",
    );
  });

  test("renders one record's context through whichever templates it is given (the text is kept per field list)", () => {
    const shared = record();
    const keyValue = compileOutputTemplates(outputSettings({ eventFormat: "a%RecordContext%" }), [], slotNames);
    const colons = compileOutputTemplates(outputSettings({ eventFormat: "b%RecordContext%", recordFieldContextFormat: " %ParamName%:%ParamValue%" }), [], slotNames);
    // A format that writes first_seen= itself renames the record's field of that name.
    const ownKey = compileOutputTemplates(outputSettings({ eventFormat: "c first_seen=x%RecordContext%" }), [], slotNames);
    const lines = [keyValue, colons, ownKey, keyValue].map((t) => renderDetection(t, ctx([]), shared, 0, "v"));
    expect(lines).toEqual([
      "a first_seen=01.01.2014 00:00 popularity=5",
      "b first_seen:01.01.2014 00:00 popularity:5",
      "c first_seen=x record_first_seen=01.01.2014 00:00 popularity=5",
      "a first_seen=01.01.2014 00:00 popularity=5",
    ]);
    // Another record of the same context (the index shares one field list per context).
    expect(renderDetection(colons, ctx([]), record({ indicator: "other.example", fields: shared.fields }), 0, "v")).toBe("b first_seen:01.01.2014 00:00 popularity:5");
  });

  test("renders actionable fields by output_name, a missing field as an empty value", () => {
    const t = compileOutputTemplates(outputSettings({ eventFormat: "x%ActionableFields%" }), [feed], slotNames);
    expect(renderDetection(t, ctx([]), record(), 0, "v")).toBe("x cn1:5 threat:");
  });

  test("renders no actionable fields for a feed without any", () => {
    const t = compileOutputTemplates(outputSettings({ eventFormat: "x%ActionableFields%" }), [], slotNames);
    expect(renderDetection(t, ctx([]), record(), 0, "v")).toBe("x");
  });

  test("finds a feed's actionable fields by its name without extension too", () => {
    const t = compileOutputTemplates(outputSettings({ eventFormat: "x%ActionableFields%" }), [feed], slotNames);
    const r = record({ feed: { ...record().feed, name: "Malicious_URL_Data_Feed" } });
    expect(renderDetection(t, ctx([]), r, 0, "v")).toBe("x cn1:5 threat:");
  });

  test("renders the received date, retroscan flag and an empty record context", () => {
    const t = compileOutputTemplates(
      outputSettings({ eventFormat: "recv=%EventReceivedDate% retro=%Retroscan% ctx=[%RecordContext%]" }),
      [],
      slotNames,
    );
    expect(renderDetection(t, ctx([]), record({ fields: [] }), 0, "v")).toBe("recv=Feb 02 11:56:59 retro=false ctx=[]");
  });

  test("warns once per template about an unknown placeholder, which renders empty", () => {
    const warnings: string[] = [];
    const t = compileOutputTemplates(
      outputSettings({
        eventFormat: "a=%RE_NOPE% b=%RE_NOPE% c=%Alert%",
        finishedEventFormat: { enabled: true, value: "%RecordContext%" },
      }),
      [],
      slotNames,
      (m) => warnings.push(m),
    );
    expect(renderDetection(t, ctx([]), record(), 0, "v")).toBe("a= b= c=");
    expect(warnings).toEqual([
      "EventFormat has an unknown placeholder: found %RE_NOPE%, expected a pattern or a regex name; it renders empty",
      "EventFormat has an unknown placeholder: found %Alert%, expected a pattern or a regex name; it renders empty",
    ]);
  });
});

describe("renderDetection(): a record field named like a key of EventFormat", () => {
  const ipRecord = record({
    category: "KL_IP_Reputation",
    indicator: "192.0.2.0",
    fields: [["threat_score", "75"], ["category", "test"], ["popularity", "5"]],
  });

  test("is written as record_<name>, so the service's category is the only category=", () => {
    const t = compileOutputTemplates(
      outputSettings({ eventFormat: "eventName=%Category% matchedIndicator=%MatchedIndicator% category=%Category%%RecordContext%" }),
      [],
      slotNames,
    );
    expect(renderDetection(t, ctx([]), ipRecord, 1, "192.0.2.0")).toBe(
      "eventName=KL_IP_Reputation matchedIndicator=192.0.2.0 category=KL_IP_Reputation threat_score=75 record_category=test popularity=5",
    );
  });

  test("takes one more prefix when the record already has a field of the new name", () => {
    const t = compileOutputTemplates(outputSettings({ eventFormat: "category=%Category%%RecordContext%" }), [], slotNames);
    const both = record({ fields: [["category", "a"], ["record_category", "b"]] });
    expect(renderDetection(t, ctx([]), both, 0, "v")).toBe("category=KL_Malicious_URL record_record_category=a record_category=b");
  });

  test("keeps its name when the item format does not write it as a key", () => {
    const t = compileOutputTemplates(
      outputSettings({ eventFormat: "category=%Category% cs6=%RecordContext%", recordFieldContextFormat: " %ParamName%:%ParamValue%" }),
      [],
      slotNames,
    );
    expect(renderDetection(t, ctx([]), ipRecord, 1, "v")).toBe("category=KL_IP_Reputation cs6= threat_score:75 category:test popularity:5");
  });

  test("is renamed against the members of the JSON object it is written into, before and after it", () => {
    const t = compileOutputTemplates(
      outputSettings({
        eventFormat: '{"event":{"code":"%Category%"},"popularity":"x","labels":{"category":"%Category%"%RecordContext%,"threat_score":"0"}}',
        recordFieldContextFormat: ',"%ParamName%":"%ParamValue%"',
        escapes: { event: "json", recordField: "json" },
      }),
      [],
      slotNames,
    );
    const line = renderDetection(t, ctx([]), ipRecord, 1, "v");
    expect(JSON.parse(line)).toEqual({
      event: { code: "KL_IP_Reputation" },
      popularity: "x",
      labels: { category: "KL_IP_Reputation", record_threat_score: "75", record_category: "test", popularity: "5", threat_score: "0" },
    });
  });
});

describe("renderDetection(): escape=", () => {
  const tricky = record({
    indicator: 'bad.example/a"b\\c',
    fields: [["note", "line one\nline two\ttab"], ['we"ird', "x=y"]],
  });
  /** EventFormat and RecordFieldContextFormat, both with `escape`. */
  const render = (eventFormat: string, recordFieldContextFormat: string, escape: ValueEscape, value = "v") =>
    renderDetection(
      compileOutputTemplates(outputSettings({ eventFormat, recordFieldContextFormat, escapes: { event: escape, recordField: escape } }), [], slotNames),
      ctx([]),
      tricky,
      0,
      value,
    );

  test("json writes every placeholder value, and each field name and value, as JSON string content", () => {
    const line = render(
      '{"indicator":"%MatchedIndicator%","url":"%RE_URL%","labels":{"category":"%Category%"%RecordContext%}}',
      ',"%ParamName%":"%ParamValue%"',
      "json",
      'http://x.example/?q="1"',
    );
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      indicator: 'bad.example/a"b\\c',
      url: 'http://x.example/?q="1"',
      labels: { category: "KL_Malicious_URL", note: "line one\nline two\ttab", 'we"ird': "x=y" },
    });
  });

  test.each<[string, string, string, ValueEscape, string]>([
    [
      "cef escapes backslash, = and line breaks in values, not in the template's own text",
      "CEF:0|V|P|1|2|N|8| cs5=%MatchedIndicator% cs6=%RecordContext%",
      " %ParamName%\\=%ParamValue%",
      "cef",
      'CEF:0|V|P|1|2|N|8| cs5=bad.example/a"b\\\\c cs6= note\\=line one\\nline two\ttab we"ird\\=x\\=y',
    ],
    [
      "leef turns tabs and line breaks inside values into spaces, keeping the template's tabs",
      "LEEF:1.0|V|P|1|%Category%|cat=%Category%%RecordContext%",
      "\t%ParamName%=%ParamValue%",
      "leef",
      'LEEF:1.0|V|P|1|KL_Malicious_URL|cat=KL_Malicious_URL\tnote=line one line two tab\twe"ird=x=y',
    ],
    ["none (the default) copies values as CyberTrace does", "m=%MatchedIndicator%%RecordContext%", " %ParamName%=%ParamValue%", "none", 'm=bad.example/a"b\\c note=line one\nline two\ttab we"ird=x=y'],
  ])("%s", (_name, eventFormat, recordField, escape, expected) => {
    expect(render(eventFormat, recordField, escape)).toBe(expected);
  });
});
