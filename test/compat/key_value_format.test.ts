/**
 * The embedded config's key=value output read by a strict parser (issue 11: "key=value by a
 * strict parser"): every line a SIEM receives — service alerts, detections, finished events —
 * has each key once, and detections start with what Splunk's app reads, `eventName` and
 * `matchedIndicator`. A record field named like a template key (the demo IP record's own
 * `category`) must not make a second `category=`: a SIEM makes that field multi-valued.
 */
import { describe, expect, test } from "bun:test";
import { createConnection } from "node:net";
import { startCollector, startTestService, testConfig } from "../_support/test_service.ts";
import { KeyValueSyntaxError, parseKeyValueLine } from "../_support/strict_key_value.ts";
import { TEST_RECORDS } from "./_test_records.ts";

describe("parseKeyValueLine()", () => {
  test("reads the date and the pairs; a value runs to the next key, spaces included", () => {
    expect(parseKeyValueLine("Feb 02 11:57:59 alert=KL_ALERT_UpdatedFeed feed=x.json first_seen=01.01.2014 00:00 geo=ru, us empty=")).toEqual({
      date: "Feb 02 11:57:59",
      fields: { alert: "KL_ALERT_UpdatedFeed", feed: "x.json", first_seen: "01.01.2014 00:00", geo: "ru, us", empty: "" },
      keys: ["alert", "feed", "first_seen", "geo", "empty"],
    });
  });

  test.each([
    ["a key written twice", "Feb 02 11:57:59 category=KL_IP_Reputation ip=192.0.2.0 category=test", 'found key "category" twice'],
    ["text before the first pair", "Feb 02 11:57:59 hello category=x", 'found "hello" before the first pair'],
    ["no pair at all", "Feb 02 11:57:59 LookupFinished", "found no key=value pair"],
  ])("rejects %s", (_name, line, message) => {
    expect(() => parseKeyValueLine(line)).toThrow(KeyValueSyntaxError);
    expect(() => parseKeyValueLine(line)).toThrow(message);
  });
});

describe("the embedded config's output, read strictly", () => {
  test("alerts, the 17 test records' detections and their finished events: each key once, eventName and matchedIndicator first", async () => {
    await using collector = await startCollector();
    const config = testConfig((xml) => xml.replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${collector.port}</ConnectionString>`));
    await using service = await startTestService(config);
    const socket = createConnection({ host: "127.0.0.1", port: service.port });
    socket.on("error", () => {});
    socket.end(TEST_RECORDS.map((r) => `${r.value}\n`).join(""));
    await collector.until((lines) => lines.filter((l) => l.includes("LookupFinished")).length === TEST_RECORDS.length);

    const errors: string[] = [];
    const parsed = collector.lines.flatMap((line) => {
      try {
        return [parseKeyValueLine(line)];
      } catch (error) {
        errors.push((error as Error).message);
        return [];
      }
    });
    expect(errors).toEqual([]);

    const detections = parsed.filter((p) => p.fields.matchedIndicator !== undefined);
    expect(detections.map((d) => ({ first: d.keys.slice(0, 2), eventName: d.fields.eventName, matchedIndicator: d.fields.matchedIndicator }))).toEqual(
      TEST_RECORDS.map((r) => ({ first: ["eventName", "matchedIndicator"], eventName: r.category, matchedIndicator: r.matchedIndicator })),
    );
    const finished = parsed.filter((p) => p.fields.alert === "LookupFinished");
    expect(finished.map((f) => f.fields)).toEqual(TEST_RECORDS.map((r) => ({ alert: "LookupFinished", sent_events: "1", total: `${r.category}:1;` })));
    const alerts = parsed.filter((p) => p.fields.alert?.startsWith("KL_ALERT_"));
    expect(alerts.map((a) => a.fields.alert)).toEqual([...new Array<string>(14).fill("KL_ALERT_UpdatedFeed"), "KL_ALERT_ServiceStarted"]);
    expect(parsed.length).toBe(detections.length + finished.length + alerts.length);
    expect(parsed.every((p) => p.date !== undefined)).toBe(true);
  });
});
