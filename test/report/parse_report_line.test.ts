import { describe, expect, test } from "bun:test";
import { SIEM_NAMES } from "../../src/config/siem_profiles.ts";
import { siemExample } from "../_support/siem_examples.ts";
import { parseReportLine } from "../../src/report/parse_report_line.ts";
import type { ReportRecord } from "../../src/report/record.ts";
import { NOW } from "./_report_cli.ts";

function record(line: string): ReportRecord {
  const p = parseReportLine(line, { now: NOW });
  if (p.kind !== "detection") throw new Error(`not a detection: ${p.kind}`);
  return p.record;
}

describe("parseReportLine()", () => {
  test("reads key=value values that contain spaces up to the next key", () => {
    const r = record("Apr 15 10:02:11 category=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a?x=1 first_seen=11.01.2016 07:17 geo=ru, ua, kz popularity=5");
    expect(r).toEqual({
      time: "2024-04-15T10:02:11.000Z", category: "KL_Malicious_URL", indicator: "bad.example/*", indicatorType: "url",
      context: { first_seen: "11.01.2016 07:17", geo: "ru, ua, kz", popularity: "5" }, actionable: {},
      source: { url: "http://bad.example/a?x=1" }, dialect: "kv",
      raw: "Apr 15 10:02:11 category=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a?x=1 first_seen=11.01.2016 07:17 geo=ru, ua, kz popularity=5",
    });
  });

  test("drops empty source values and splits actionable fields off", () => {
    const r = record("event_name=KL_Malicious_Hash_MD5 matchedIndicator=44D88612FEA8A8F36DE82E1278ABB02F ip= md5=44D88612FEA8A8F36DE82E1278ABB02F confidence=100 threat=EICAR cn1:Example Device cn2:Lab");
    expect([r.category, r.indicatorType, r.confidence, r.source, r.context, r.actionable]).toEqual([
      "KL_Malicious_Hash_MD5", "md5", 100, { md5: "44D88612FEA8A8F36DE82E1278ABB02F" }, { threat: "EICAR" },
      { cn1: "Example Device", cn2: "Lab" },
    ]);
  });

  test("reads a LEEF 1.0 line whose tabs were lost, as in the report example", () => {
    const r = record("- KL_Data_Feed_Service_v1 LEEF:1.0|Kaspersky Lab|SIEM Service|1.0|KL_Malicious_URL|url=bad.example/folder/load.php?| IP=192.0.2.7, 192.0.2.8 first_seen=11.01.2016 07:17 geo=ru, ua mask=bad.example/folder/load.php?* popularity=5 type=21");
    expect([r.dialect, r.logSource, r.category, r.indicator, r.indicatorType, r.source, r.context]).toEqual([
      "leef1", "KL_Data_Feed_Service_v1", "KL_Malicious_URL", "bad.example/folder/load.php?*", "url",
      { url: "bad.example/folder/load.php?" },
      { IP: "192.0.2.7, 192.0.2.8", first_seen: "11.01.2016 07:17", geo: "ru, ua", mask: "bad.example/folder/load.php?*", popularity: "5", type: "21" },
    ]);
  });

  test.each([
    ["^", "LEEF:2.0|V|P|1|KL_IP_Reputation|^|matchedIndicator=192.0.2.1^geo=ru, ua^src=198.51.100.2"],
    ["x09", "LEEF:2.0|V|P|1|KL_IP_Reputation|x09|matchedIndicator=192.0.2.1\tgeo=ru, ua\tsrc=198.51.100.2"],
    ["0x3b", "LEEF:2.0|V|P|1|KL_IP_Reputation|0x3b|matchedIndicator=192.0.2.1;geo=ru, ua;src=198.51.100.2"],
  ])("reads LEEF 2.0 with the delimiter named in the header (%s)", (_name, line) => {
    const r = record(line);
    expect([r.dialect, r.category, r.indicator, r.indicatorType, r.context, r.source]).toEqual([
      "leef2", "KL_IP_Reputation", "192.0.2.1", "ip", { geo: "ru, ua" }, { src: "198.51.100.2" },
    ]);
  });

  test("reads CEF extensions with escapes and labelled custom strings", () => {
    const r = record("CEF:0|Kaspersky Lab|Kaspersky CyberTrace for ArcSight|2.0|2|CyberTrace Detection Event|8|rt=1713175334000 reason=KL_Phishing_URL request=http://phish.test/a\\=1 msg=CyberTrace detected KL_Phishing_URL cs5Label=MatchedIndicator cs5=phish.test/* cs6Label=Context cs6=note\\=line1\\nline2 popularity\\=3");
    expect([r.time, r.category, r.indicator, r.source, r.context]).toEqual([
      "2024-04-15T10:02:14.000Z", "KL_Phishing_URL", "phish.test/*", { url: "http://phish.test/a=1" }, { note: "line1\nline2", popularity: "3" },
    ]);
  });

  test("reads the KUMA form with pipe separators", () => {
    const r = record("Category=KL_Malicious_URL|MatchedIndicator=bad.example/*|first_seen=19.05.2024 08:32|popularity=1");
    expect([r.dialect, r.category, r.indicator, r.context]).toEqual(["kuma", "KL_Malicious_URL", "bad.example/*", { first_seen: "19.05.2024 08:32", popularity: "1" }]);
  });

  test.each([
    ["Total number of objects sent to KTFS: 2", { kind: "summary", fact: "objectsSent", value: 2 }],
    ["Total number of detects received from KTFS: 1", { kind: "summary", fact: "detectsReceived", value: 1 }],
    ["Total scan time: 00:00:01.237", { kind: "summary", fact: "scanTimeMs", value: 1237 }],
    ["LookupFinished", { kind: "finished" }],
    ["Feb 02 11:57:59 alert=LookupFinished sent_events=3 total=KL_Malicious_URL:2;", { kind: "finished" }],
    ["Apr 16 09:05:41 alert=KL_ALERT_UpdatedFeed feed=Phishing_URL_Data_Feed.json records=200473", { kind: "alert", name: "KL_ALERT_UpdatedFeed" }],
    ["connection reset by peer", { kind: "raw" }],
    ["user=alice action=login", { kind: "raw" }],
    ["   ", { kind: "empty" }],
    ['{"type":"detection","file":"a.log","li', { kind: "bad", reason: "line is not valid JSON: a half-written sidecar line?" }],
    ["LEEF:1.0|Kaspersky Lab|cut here", { kind: "bad", reason: "LEEF header is incomplete: expected 5 fields after LEEF:" }],
  ])("classifies %j", (line, expected) => {
    expect(parseReportLine(line, { now: NOW })).toEqual(expected as never);
  });

  test("takes a year-less time stamp from after now as last year's", () => {
    expect(record("Dec 31 23:00:00 category=KL_APT_IP matchedIndicator=192.0.2.4").time).toBe("2023-12-31T23:00:00.000Z");
  });

  test("reads a sidecar detection with its file, line and request", () => {
    const line = JSON.stringify({
      type: "detection", file: "logs/a.log", line: 12, sent: "url=http://bad.example/a b",
      text: "Apr 15 10:02:11 category=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a b",
      fields: { category: "KL_Malicious_URL", matchedIndicator: "bad.example/*", url: "http://bad.example/a b" },
    });
    expect(record(line)).toEqual({
      time: "2024-04-15T10:02:11.000Z", category: "KL_Malicious_URL", indicator: "bad.example/*", indicatorType: "url",
      context: {}, actionable: {}, source: { url: "http://bad.example/a b" }, file: "logs/a.log", line: 12,
      sent: "url=http://bad.example/a b", dialect: "sidecar",
      raw: "Apr 15 10:02:11 category=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a b",
    });
  });
});

describe("parseReportLine() on the lines of each SIEM profile", () => {
  test.each(SIEM_NAMES)("%s: both verification detections come back with category, indicator and the record's fields; the finished event is one", async (name) => {
    const example = await siemExample(name);
    const read = example.detections.map((line) => parseReportLine(line, { now: NOW }));
    expect(read.map((p) => (p.kind === "detection" ? [p.record.category, p.record.indicator, p.record.context.threat_score ?? p.record.context.threat] : p.kind))).toEqual([
      ["KL_Malicious_URL", "fakess123.nu", "Test record of Malicious_URL_Data_Feed"],
      ["KL_IP_Reputation", "192.0.2.0", "75"],
    ]);
    expect(parseReportLine(example.finished, { now: NOW }).kind).toBe("finished");
  });
});
