import { describe, expect, test } from "bun:test";
import { escapeCefValue } from "../../src/io/value_escapes.ts";
import { escapeCefHeader, formatCef } from "../../src/report/format_cef.ts";
import { parseReportLine } from "../../src/report/parse_report_line.ts";
import type { ReportRecord } from "../../src/report/record.ts";
import { NOW } from "./_report_cli.ts";

// The four special-character examples of the ArcSight CEF Implementation Standard.
const SPEC = [
  { name: "pipe", header: "detected a | in message", headerOut: "detected a \\| in message", value: "blocked a |", valueOut: "blocked a |" },
  { name: "backslash", header: "detected a \\ in packet", headerOut: "detected a \\\\ in packet", value: "blocked a \\", valueOut: "blocked a \\\\" },
  { name: "equals sign", header: "detected a = in message", headerOut: "detected a = in message", value: "blocked a =", valueOut: "blocked a \\=" },
  { name: "newline", header: "Detected a threat. No action needed.", headerOut: "Detected a threat. No action needed.", value: "Detected a threat.\n No action needed.", valueOut: "Detected a threat.\\n No action needed." },
];

describe("escapeCefHeader()", () => {
  test.each(SPEC)("escapes a $name in the header as the standard's example does", ({ header, headerOut }) => {
    expect(escapeCefHeader(header)).toBe(headerOut);
  });
});

describe("escapeCefValue()", () => {
  test.each(SPEC)("escapes a $name in a value as the standard's example does", ({ value, valueOut }) => {
    expect(escapeCefValue(value)).toBe(valueOut);
  });

  test("writes a carriage return as \\r", () => {
    expect(escapeCefValue("a\r\nb\rc")).toBe("a\\nb\\rc");
  });
});

describe("parseReportLine() on the standard's examples", () => {
  test.each(SPEC)("reads the standard's $name example back", ({ headerOut, valueOut, value }) => {
    const key = value.startsWith("Detected") ? "msg" : "act";
    const p = parseReportLine(`Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|${headerOut}|10|src=10.0.0.1 ${key}=${valueOut} dst=1.1.1.1`, { now: NOW });
    if (p.kind !== "detection") throw new Error(p.kind);
    expect([p.record.context[key], p.record.source, p.record.logSource]).toEqual([value, { src: "10.0.0.1", dst: "1.1.1.1" }, "host"]);
  });
});

describe("formatCef()", () => {
  const nasty: ReportRecord = {
    time: "2024-04-15T10:02:11.000Z", category: "KL_Malicious_URL", indicator: "bad.example/a=b\\c|*", indicatorType: "url",
    feed: "Malicious_URL_Data_Feed", confidence: 90,
    context: { note: "two\nlines", geo: "ru, ua" }, actionable: { cn1: "Device 7" }, source: { url: "http://bad.example/a=b\\c|" },
    file: "logs/a b.log", line: 7, dialect: "kv", raw: "",
  };

  test("writes the kit's header and labelled fields", () => {
    expect(formatCef(nasty)).toBe(
      "CEF:0|Kaspersky Lab|Kaspersky CyberTrace for ArcSight|2.0|2|CyberTrace Detection Event|8|" +
        "rt=1713175331000 reason=KL_Malicious_URL request=http://bad.example/a\\=b\\\\c| fname=logs/a b.log msg=CyberTrace detected KL_Malicious_URL " +
        "cs1Label=IndicatorType cs1=url cs2Label=Feed cs2=Malicious_URL_Data_Feed cs3Label=Actionable cs3=cn1\\=Device 7 " +
        "cs4Label=Source cs4=url\\=http://bad.example/a\\=b\\\\c| cs5Label=MatchedIndicator cs5=bad.example/a\\=b\\\\c|* " +
        "cs6Label=Context cs6=note\\=two\\nlines geo\\=ru, ua cn1Label=Confidence cn1=90 cn2Label=Line cn2=7",
    );
  });

  test("round-trips through our own reader", () => {
    const line = formatCef(nasty);
    const p = parseReportLine(line, { now: NOW });
    if (p.kind !== "detection") throw new Error(p.kind);
    expect(p.record).toEqual({ ...nasty, dialect: "cef", raw: line });
  });
});
