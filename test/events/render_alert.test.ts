import { describe, expect, test } from "bun:test";
import { compileOutputTemplates } from "../../src/events/compile_output_templates.ts";
import { renderAlert } from "../../src/events/render_alert.ts";
import { outputSettings } from "./_fixtures.ts";

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
