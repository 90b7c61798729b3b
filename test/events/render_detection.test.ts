import { describe, expect, test } from "bun:test";
import type { FeedConfig } from "../../src/config/types.ts";
import { compileOutputTemplates } from "../../src/events/compile_output_templates.ts";
import type { EventRenderContext } from "../../src/events/event_render_context.ts";
import { renderDetection } from "../../src/events/render_detection.ts";
import { FEB_02, outputSettings, record } from "./_fixtures.ts";

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
