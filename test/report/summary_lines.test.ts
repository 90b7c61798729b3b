import { describe, expect, test } from "bun:test";
import { formatScanTime, formatSummaryLines, parseScanTime } from "../../src/report/summary_lines.ts";

describe("formatSummaryLines()", () => {
  test("words the three lines exactly as the report example", () => {
    expect(formatSummaryLines({ objectsSent: 1, detectsReceived: 1, scanTimeMs: 1032 })).toBe(
      "Total number of objects sent to KTFS: 1\nTotal number of detects received from KTFS: 1\nTotal scan time: 00:00:01.032",
    );
  });
});

describe("formatScanTime()", () => {
  test.each([
    [0, "00:00:00.000"],
    [1237, "00:00:01.237"],
    [3_723_004, "01:02:03.004"],
    [100 * 3_600_000, "100:00:00.000"],
  ])("writes %d ms as %s and reads it back", (ms, text) => {
    expect(formatScanTime(ms)).toBe(text);
    expect(parseScanTime(text)).toBe(ms);
  });
});
