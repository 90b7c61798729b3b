import { describe, expect, test } from "bun:test";
import { parseReportLine } from "../../src/report/parse_report_line.ts";
import { run, stdinOf } from "./_report_cli.ts";

// A detection and a retro detection as the default EventFormat and RetroScanEventFormat render them.
const LIVE = "Dec 04 10:00:00 eventName=Local_Bad matchedIndicator=late.example category=Local_Bad url= domain=c2.late.example ip= md5= sha1= sha256=";
const RETRO = `${LIVE.replace("Dec 04", "Dec 07")} retroscan=true event_time=Dec 04 10:00:00`;

describe("ioclens report and RetroScan detections", () => {
  test("a line with retroscan=true is a retro detection; its original event time stays in the context", () => {
    const retro = parseReportLine(RETRO, { now: Date.UTC(2026, 11, 8) });
    const live = parseReportLine(LIVE, { now: Date.UTC(2026, 11, 8) });
    expect(retro.kind === "detection" && { retroscan: retro.record.retroscan, eventTime: retro.record.context.event_time }).toEqual({ retroscan: true, eventTime: "Dec 04 10:00:00" });
    expect(live.kind === "detection" && "retroscan" in live.record).toBe(false);
  });

  test("--filter retroscan=true keeps only retro detections, and the CSV says which is which", async () => {
    const input = `${LIVE}\n${RETRO}\n`;
    const only = await run(["--format", "ndjson", "--filter", "retroscan=true"], { stdin: stdinOf(input) });
    expect(only.stdout.trim().split("\n").map((l) => JSON.parse(l).raw)).toEqual([RETRO]);
    const none = await run(["--format", "ndjson", "--filter", "retroscan=false"], { stdin: stdinOf(input) });
    expect(none.stdout.trim().split("\n").map((l) => JSON.parse(l).raw)).toEqual([LIVE]);
    const csv = await run(["--format", "csv"], { stdin: stdinOf(input) });
    expect(csv.stdout.trim().split("\r\n").map((row) => row.split(",").at(-1))).toEqual(["retroscan", "false", "true"]);
  });
});
