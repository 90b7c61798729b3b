/**
 * The lines the SIEM profiles' listeners receive from a running service, read by parsers we did
 * not write: ArcSight's CEF by liblognorm's `cef` field type, QRadar's LEEF by a liblognorm
 * rulebase (liblognorm has no LEEF type; the rule spells out LEEF 1.0's syslog date, log source
 * identifier, five header fields and TAB-separated attributes), Elastic's JSON by jq.
 */
import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEMO_REQUESTS, siemOutput, TRICKY_REQUEST } from "../_support/siem_output.ts";
import { requireTool, runProcess, tempDir } from "../_support/system_tools.ts";

const REQUESTS = [...DEMO_REQUESTS, TRICKY_REQUEST];
const TRICKY_NOTE = 'quote " backslash \\ equals = pipe | tab\tnewline\ncarriage\rend';

/** Runs lognormalizer with `rule` over `lines`; returns the parsed objects. */
async function lognormalize(rule: string, lines: string[]): Promise<unknown[]> {
  const lognormalizer = requireTool("lognormalizer");
  await using dir = await tempDir("siem");
  const rulebase = join(dir.path, "siem.rb");
  await writeFile(rulebase, `version=2\n${rule}\n`);
  const parsed = await runProcess(lognormalizer, ["-r", rulebase, "-e", "json"], lines.join("\n") + "\n");
  expect([parsed.code, parsed.stderr]).toEqual([0, ""]);
  return parsed.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as unknown);
}

describe("SIEM profiles read by the SIEM's kind of parser", () => {
  test("arcsight: liblognorm's CEF parser reads every line, escapes included, into the CyberTrace pattern's fields", async () => {
    const { detections, alerts } = await siemOutput("arcsight", REQUESTS);
    const parsed = await lognormalize("rule=:%f:cef%", [...detections, alerts.find((a) => a.includes("UpdatedFeed"))!]);
    const header = { DeviceVendor: "Kaspersky Lab", DeviceProduct: "Kaspersky CyberTrace for ArcSight", DeviceVersion: "2.0" };
    const detection = (reason: string, request: string, src: string, indicator: string, confidence: string, context: string) => ({
      f: {
        ...header, SignatureID: "2", Name: "CyberTrace Detection Event", Severity: "8",
        Extensions: {
          reason, request, src, fileHash: "", msg: `CyberTrace detected ${reason}`,
          cs5Label: "MatchedIndicator", cs5: indicator, cn3Label: "Confidence", cn3: confidence, cs6Label: "Context", cs6: context,
        },
      },
    });
    expect(parsed).toEqual([
      detection("KL_Malicious_URL", "http://fakess123.nu", "", "fakess123.nu", "100",
        "id=900001 type=1 first_seen=01.01.2014 00:00 last_seen=01.01.2025 00:00 popularity=5 threat=Test record of Malicious_URL_Data_Feed geo=ru, us "),
      detection("KL_IP_Reputation", "", "192.0.2.0", "192.0.2.0", "100",
        "id=900601 threat_score=75 category=test first_seen=01.01.2014 00:00 last_seen=01.01.2025 00:00 popularity=5 ip_geo=zz "),
      detection("KL_Malicious_URL", "http://tricky.example/a?x=1", "", "tricky.example/*", "90",
        `id=7 note=${TRICKY_NOTE} category=clash threat=Trojan|Win32\\Agent=x geo=ru, ua `),
      {
        f: {
          ...header, SignatureID: "1", Name: "CyberTrace Service Event", Severity: "4",
          Extensions: { reason: "KL_ALERT_UpdatedFeed", msg: "feed=Demo_Malicious_URL_Data_Feed.json records=1 " },
        },
      },
    ]);
  });

  test("qradar: a LEEF 1.0 rulebase reads the seed's header and every TAB-separated attribute", async () => {
    const { detections } = await siemOutput("qradar", REQUESTS);
    const attrs = `%{"name":"attrs","type":"repeat","parser":[{"name":"key","type":"char-to","extradata":"="},{"type":"literal","text":"="},{"name":"value","type":"char-sep","extradata":"\\t"}],"while":[{"type":"literal","text":"\\t"}]}%`;
    const parsed = (await lognormalize(
      `rule=:%time:date-rfc3164% %logSource:word% LEEF:%leef:char-to:|%|%vendor:char-to:|%|%product:char-to:|%|%version:char-to:|%|%eventId:char-to:|%|${attrs}`,
      detections,
    )) as { time: string; attrs: { key: string; value: string }[] }[];
    const leef = (eventId: string, time: string, pairs: [string, string][]) => ({
      time, logSource: "KL_Data_Feed_Service_v1", leef: "1.0", vendor: "Kaspersky Lab", product: "SIEM Service", version: "1.0", eventId,
      attrs: pairs.map(([key, value]) => ({ key, value })),
    });
    const head = (category: string, time: string, indicator: string, url: string, ip: string): [string, string][] => [
      ["cat", category], ["devTime", time], ["devTimeFormat", "MMM dd HH:mm:ss"], ["matchedIndicator", indicator],
      ["url", url], ["domain", ""], ["ip", ip], ["md5", ""], ["sha1", ""], ["sha256", ""],
    ];
    const times = parsed.map((p) => p.time);
    for (const t of times) expect(t).toMatch(/^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d$/);
    expect(parsed).toEqual([
      leef("KL_Malicious_URL", times[0]!, [
        ...head("KL_Malicious_URL", times[0]!, "fakess123.nu", "http://fakess123.nu", ""),
        ["id", "900001"], ["type", "1"], ["first_seen", "01.01.2014 00:00"], ["last_seen", "01.01.2025 00:00"], ["popularity", "5"],
        ["threat", "Test record of Malicious_URL_Data_Feed"], ["geo", "ru, us"],
      ]),
      leef("KL_IP_Reputation", times[1]!, [
        ...head("KL_IP_Reputation", times[1]!, "192.0.2.0", "", "192.0.2.0"),
        ["id", "900601"], ["threat_score", "75"], ["category", "test"], ["first_seen", "01.01.2014 00:00"], ["last_seen", "01.01.2025 00:00"],
        ["popularity", "5"], ["ip_geo", "zz"],
      ]),
      // LEEF has no escape for its TAB: a TAB or line break inside a value arrives as a space.
      leef("KL_Malicious_URL", times[2]!, [
        ...head("KL_Malicious_URL", times[2]!, "tricky.example/*", "http://tricky.example/a?x=1", ""),
        ["id", "7"], ["note", 'quote " backslash \\ equals = pipe | tab newline carriage end'], ["category", "clash"],
        ["threat", "Trojan|Win32\\Agent=x"], ["geo", "ru, ua"],
      ]),
    ]);
  });

  test("elastic: jq reads each line as one JSON object and finds the ECS fields, escapes included", async () => {
    const jq = requireTool("jq");
    const { detections, alerts } = await siemOutput("elastic", REQUESTS);
    const input = [...detections, ...alerts].join("\n") + "\n";
    const program = "[type, .event.kind, .event.code // .event.action, .threat.enrichments[0].indicator.name, .threat.enrichments[0].matched.atomic, .url.original, .labels.note] | @json";
    const read = await runProcess(jq, ["-r", program], input);
    expect([read.code, read.stderr]).toEqual([0, ""]);
    const rows = read.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as unknown[]);
    expect(rows.length).toBe(detections.length + alerts.length);
    expect(rows.slice(0, 3)).toEqual([
      ["object", "alert", "KL_Malicious_URL", "fakess123.nu", "fakess123.nu", "http://fakess123.nu", null],
      ["object", "alert", "KL_IP_Reputation", "192.0.2.0", "192.0.2.0", "", null],
      ["object", "alert", "KL_Malicious_URL", "tricky.example/*", "tricky.example/*", "http://tricky.example/a?x=1", TRICKY_NOTE],
    ]);
    expect(rows.slice(3).every((r) => r[0] === "object" && r[1] === "event" && String(r[2]).startsWith("KL_ALERT_"))).toBe(true);
  });
});
