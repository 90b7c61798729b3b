import { describe, expect, test } from "bun:test";
import { parseReportLine } from "../../src/report/parse_report_line.ts";
import { ReportCompleteness } from "../../src/report/report_completeness.ts";
import { NOW } from "./_report_cli.ts";

const DETECTION = "category=KL_Malicious_URL matchedIndicator=bad.example/*";
const TRAILER = ["Total number of objects sent to KTFS: 3", "Total number of detects received from KTFS: 1", "Total scan time: 00:00:00.500"];
const SIDECAR_DETECTION = `{"type":"detection","file":"a.log","line":1,"sent":"x","text":"${DETECTION}","fields":{}}`;
const summaryRecord = (partial: boolean) => `{"type":"summary","objectsSent":3,"detectsReceived":1,"scanTimeMs":500,"startedAt":"2024-04-15T10:02:11Z","partial":${partial}}`;

/** The verdict on an input named `name` holding `lines`, ended with a line end or not. */
function verdict(name: string, lines: readonly string[], terminated = true): string | undefined {
  const check = new ReportCompleteness();
  check.start(name);
  for (const line of lines) check.line(parseReportLine(line, { now: NOW }));
  return check.end(terminated);
}

describe("ReportCompleteness", () => {
  test.each([
    ["a whole text report", "log_scanner_report20240415_100211.txt", [DETECTION, ...TRAILER], true, undefined],
    ["a text report cut before its trailer", "log_scanner_report20240415_100211.txt", [DETECTION], true, "the report is truncated: it ends before its summary"],
    ["a text report cut inside its trailer", "x.txt", [DETECTION, TRAILER[0]!, TRAILER[1]!], true, "the report is truncated: it ends before its summary"],
    ["a text report cut in its last line", "x.txt", [DETECTION, ...TRAILER], false, "the report is truncated: its last line is cut off"],
    ["an empty file with a scan report's name", "out/log_scanner_report20240415_100211.txt", [], true, "the report is truncated: it ends before its summary"],
    ["a whole sidecar", "r.ndjson", [SIDECAR_DETECTION, summaryRecord(false)], true, undefined],
    ["a sidecar without its summary record", "r.ndjson", [SIDECAR_DETECTION], true, "the report is truncated: it ends before its summary"],
    ["the sidecar of an interrupted scan", "r.ndjson", [SIDECAR_DETECTION, summaryRecord(true)], true, "the scan was interrupted: its results are partial"],
    ["a whole --format json report", "r.json", ['{"detections":[', `${SIDECAR_DETECTION},`, SIDECAR_DETECTION, `],"summary":${summaryRecord(false)}}`], true, undefined],
    ["a --format json report cut before its end", "r.json", ['{"detections":[', `${SIDECAR_DETECTION},`], true, "the report is truncated: it ends before its summary"],
    ["a SIEM's detection log, which never has a summary", "detections.log", [DETECTION, DETECTION], true, undefined],
    ["a SIEM's log whose last line lacks its line end", "detections.log", [DETECTION], false, undefined],
    ["finished events and alerts after the trailer do not count", "x.txt", [DETECTION, ...TRAILER, "alert=LookupFinished", ""], true, undefined],
  ] as const)("%s", (_name, name, lines, terminated, expected) => {
    expect(verdict(name, lines, terminated)).toBe(expected);
  });

  test("judges each input on its own", () => {
    const check = new ReportCompleteness();
    check.start("a.ndjson");
    check.line(parseReportLine(SIDECAR_DETECTION, { now: NOW }));
    expect(check.end(true)).toBe("the report is truncated: it ends before its summary");
    check.start("b.log");
    check.line(parseReportLine(DETECTION, { now: NOW }));
    expect(check.end(true)).toBeUndefined();
  });
});
