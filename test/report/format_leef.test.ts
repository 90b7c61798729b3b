import { describe, expect, test } from "bun:test";
import { escapeLeefHeader, formatLeef } from "../../src/report/format_leef.ts";
import { parseReportLine } from "../../src/report/parse_report_line.ts";
import type { ReportRecord } from "../../src/report/record.ts";
import { NOW } from "./_report_cli.ts";

const RECORDS: ReportRecord[] = [
  {
    time: "2024-04-15T10:02:11.000Z", category: "KL_Malicious_URL", indicator: "bad.example/folder/load.php?*", indicatorType: "url",
    feed: "Malicious_URL_Data_Feed", confidence: 100,
    context: { IP: "192.0.2.7, 192.0.2.8", first_seen: "11.01.2016 07:17", geo: "ru, ua, kz", mask: "bad.example/folder/load.php?*", popularity: "5" },
    actionable: { cn1: "Example Device" }, source: { url: "http://bad.example/folder/load.php?a=1&b=2", src: "198.51.100.9" },
    file: "logs/proxy.log", line: 12, dialect: "kv", raw: "",
  },
  {
    category: "KL_Malicious_Hash_SHA256", indicator: "A".repeat(64), indicatorType: "sha256",
    context: { threat: "HEUR:Trojan.Win32.Generic" }, actionable: {}, source: { sha256: "A".repeat(64) }, dialect: "kv", raw: "",
  },
];

function readBack(line: string): ReportRecord {
  const p = parseReportLine(line, { now: NOW });
  if (p.kind !== "detection") throw new Error(p.kind);
  return p.record;
}

describe("formatLeef()", () => {
  test("writes LEEF 1.0 with tab-separated attributes", () => {
    expect(formatLeef(RECORDS[1]!, { version: "1.0" })).toBe(
      `LEEF:1.0|Kaspersky Lab|Threat Feed Service|2.0|KL_Malicious_Hash_SHA256|cat=KL_Malicious_Hash_SHA256\tmatchedIndicator=${"A".repeat(64)}\tindicatorType=sha256\tsha256=${"A".repeat(64)}\tthreat=HEUR:Trojan.Win32.Generic`,
    );
  });

  test("writes LEEF 2.0 with the delimiter in the header", () => {
    expect(formatLeef(RECORDS[1]!, { version: "2.0", delimiter: "^" })).toStartWith("LEEF:2.0|Kaspersky Lab|Threat Feed Service|2.0|KL_Malicious_Hash_SHA256|^|cat=KL_Malicious_Hash_SHA256^matchedIndicator=");
    expect(formatLeef(RECORDS[1]!, { version: "2.0", delimiter: "\t" })).toStartWith("LEEF:2.0|Kaspersky Lab|Threat Feed Service|2.0|KL_Malicious_Hash_SHA256|x09|cat=");
  });

  test.each([
    ["1.0", undefined],
    ["2.0", "^"],
    ["2.0", "\t"],
    ["2.0", ";"],
  ] as const)("round-trips through our own reader (LEEF %s, delimiter %j)", (version, delimiter) => {
    for (const r of RECORDS) {
      const line = formatLeef(r, { version, delimiter });
      expect(readBack(line)).toEqual({ ...r, dialect: version === "1.0" ? "leef1" : "leef2", raw: line });
    }
  });

  test("turns the delimiter and line breaks inside a value into spaces, as LEEF has no escape for them", () => {
    const r: ReportRecord = { ...RECORDS[1]!, context: { note: "a^b\nc\td" } };
    expect(readBack(formatLeef(r, { version: "2.0", delimiter: "^" })).context).toEqual({ note: "a b c\td" });
    expect(readBack(formatLeef(r, { version: "1.0" })).context).toEqual({ note: "a^b c d" });
  });
});

describe("escapeLeefHeader()", () => {
  test("escapes pipes and backslashes in header fields and reads them back", () => {
    const r: ReportRecord = { ...RECORDS[1]!, category: "Odd|Cat\\x" };
    const line = formatLeef(r, { version: "1.0" });
    expect(escapeLeefHeader("Odd|Cat\\x")).toBe("Odd\\|Cat\\\\x");
    expect(line).toContain("|2.0|Odd\\|Cat\\\\x|cat=");
    expect(readBack(line.replace(/cat=[^\t]*\t/, "")).category).toBe("Odd|Cat\\x");
  });
});
