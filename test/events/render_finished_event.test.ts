import { describe, expect, test } from "bun:test";
import { compileOutputTemplates } from "../../src/events/compile_output_templates.ts";
import { renderFinishedEvent } from "../../src/events/render_finished_event.ts";
import { FEB_02, outputSettings } from "./_render_inputs.ts";

const ctx = { now: FEB_02, receivedAt: FEB_02, sourceId: "default", regexValues: ["Feb 02 11:57:59"] };

describe("renderFinishedEvent()", () => {
  test("renders the spec's example with counts per category", () => {
    const t = compileOutputTemplates(outputSettings(), [], ["RE_DATE"]);
    const byCategory = new Map([
      ["KL_Malicious_URL", 2],
      ["KL_Malicious_Hash_MD5", 1],
    ]);
    expect(renderFinishedEvent(t, ctx, 3, byCategory)).toBe(
      "Feb 02 11:57:59 alert=LookupFinished sent_events=3 total=KL_Malicious_URL:2;KL_Malicious_Hash_MD5:1;",
    );
  });

  test("renders an empty total when nothing was sent", () => {
    const t = compileOutputTemplates(outputSettings({ finishedEventFormat: { enabled: true, value: "%RecordContext%" } }), [], []);
    expect(renderFinishedEvent(t, ctx, 0, new Map())).toBe(" alert=LookupFinished sent_events=0 total=");
  });

  test("a line with nothing sent renders its own date, Source and template, however the lines before it rendered", () => {
    const dated = compileOutputTemplates(outputSettings({ finishedEventFormat: { enabled: true, value: "%Date% %SourceId%%RecordContext%" } }), [], []);
    const other = compileOutputTemplates(outputSettings({ finishedEventFormat: { enabled: true, value: "%SourceId%|%Date%" } }), [], []);
    const withValue = compileOutputTemplates(outputSettings({ finishedEventFormat: { enabled: true, value: "%Date% %RE_URL%" } }), [], ["RE_URL"]);
    const at = (seconds: number, sourceId = "default", regexValues: (string | undefined)[] = []) => ({ now: FEB_02 + seconds * 1000, receivedAt: FEB_02, sourceId, regexValues });
    const rendered = [
      renderFinishedEvent(dated, at(0), 0, new Map()),
      renderFinishedEvent(dated, at(0.5), 0, new Map()),
      renderFinishedEvent(dated, at(0.5, "proxy"), 0, new Map()),
      renderFinishedEvent(dated, at(1, "proxy"), 0, new Map()),
      renderFinishedEvent(dated, at(1, "proxy"), 1, new Map([["X", 1]])),
      renderFinishedEvent(other, at(1, "proxy"), 0, new Map()),
      renderFinishedEvent(withValue, at(1, "proxy", ["http://a.example/"]), 0, new Map()),
      renderFinishedEvent(withValue, at(1, "proxy", ["http://b.example/"]), 0, new Map()),
      renderFinishedEvent(dated, at(1, "proxy"), 0, new Map()),
    ];
    expect(rendered).toEqual([
      "Feb 02 11:57:59 default alert=LookupFinished sent_events=0 total=",
      "Feb 02 11:57:59 default alert=LookupFinished sent_events=0 total=",
      "Feb 02 11:57:59 proxy alert=LookupFinished sent_events=0 total=",
      "Feb 02 11:58:00 proxy alert=LookupFinished sent_events=0 total=",
      "Feb 02 11:58:00 proxy alert=LookupFinished sent_events=1 total=X:1;",
      "proxy|Feb 02 11:58:00",
      "Feb 02 11:58:00 http://a.example/",
      "Feb 02 11:58:00 http://b.example/",
      "Feb 02 11:58:00 proxy alert=LookupFinished sent_events=0 total=",
    ]);
  });

  test("renders the KUMA-style literal template as is", () => {
    const t = compileOutputTemplates(outputSettings({ finishedEventFormat: { enabled: true, value: "LookupFinished" } }), [], []);
    expect(renderFinishedEvent(t, ctx, 4, new Map([["X", 4]]))).toBe("LookupFinished");
  });

  test("an empty template falls back to the record context", () => {
    const t = compileOutputTemplates(
      outputSettings({
        recordFieldContextFormat: "|%ParamName%=%ParamValue%",
        finishedEventFormat: { enabled: false, value: "" },
      }),
      [],
      [],
    );
    expect(renderFinishedEvent(t, ctx, 1, new Map([["KL_IP_Reputation", 1]]))).toBe(
      "|alert=LookupFinished|sent_events=1|total=KL_IP_Reputation:1;",
    );
  });
});
