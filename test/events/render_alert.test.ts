import { describe, expect, test } from "bun:test";
import { compileOutputTemplates } from "../../src/events/compile_output_templates.ts";
import { renderAlert } from "../../src/events/render_alert.ts";
import { outputSettings } from "./_render_inputs.ts";

const APR_16 = new Date(2024, 3, 16, 9, 5, 41).getTime();

describe("renderAlert()", () => {
  test("renders the spec's UpdatedFeed example", () => {
    const t = compileOutputTemplates(outputSettings(), [], []);
    const fields = [
      ["feed", "Phishing_URL_Data_Feed.json"],
      ["records", "200473"],
    ] as const;
    expect(renderAlert(t, "KL_ALERT_UpdatedFeed", fields, APR_16)).toBe(
      "Apr 16 09:05:41 alert=KL_ALERT_UpdatedFeed feed=Phishing_URL_Data_Feed.json records=200473",
    );
  });

  test("renders an alert without context fields", () => {
    const t = compileOutputTemplates(outputSettings(), [], []);
    expect(renderAlert(t, "KL_ALERT_ServiceStarted", [], APR_16)).toBe("Apr 16 09:05:41 alert=KL_ALERT_ServiceStarted");
  });

  test("returns undefined when the config has no AlertFormat", () => {
    const t = compileOutputTemplates(outputSettings({ alertFormat: undefined }), [], []);
    expect(renderAlert(t, "KL_ALERT_ServiceStarted", [], APR_16)).toBeUndefined();
  });
});

describe("renderAlert(): AlertFormat's keys and escape=", () => {
  test("renames an alert field named like a key of AlertFormat", () => {
    const t = compileOutputTemplates(outputSettings({ alertFormat: "alert=%Alert% feed=x%RecordContext%" }), [], []);
    expect(renderAlert(t, "KL_ALERT_UpdatedFeed", [["feed", "a.json"], ["records", "2"]], APR_16)).toBe(
      "alert=KL_ALERT_UpdatedFeed feed=x record_feed=a.json records=2",
    );
  });

  test("escapes the alert's values for a JSON AlertFormat", () => {
    const t = compileOutputTemplates(
      outputSettings({
        alertFormat: '{"action":"%Alert%","labels":{"alert":"%Alert%"%RecordContext%}}',
        recordFieldContextFormat: ',"%ParamName%":"%ParamValue%"',
        escapes: { alert: "json", recordField: "json" },
      }),
      [],
      [],
    );
    const line = renderAlert(t, "KL_ALERT_FailedToUpdateFeed", [["feed", "a.json"], ["error", 'bad "quote"\nline']], APR_16)!;
    expect(JSON.parse(line)).toEqual({
      action: "KL_ALERT_FailedToUpdateFeed",
      labels: { alert: "KL_ALERT_FailedToUpdateFeed", feed: "a.json", error: 'bad "quote"\nline' },
    });
  });
});
