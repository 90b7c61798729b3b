/**
 * What each SIEM profile's listener receives from a running service, read back the way that
 * SIEM reads it: key=value and KUMA lines by a strict parser (each key once, every value exactly
 * the record's), JSON lines by JSON.parse with every field name checked against the ECS field
 * list (test/fixtures/ecs). LEEF, CEF and jq are in test/system/siem_parsers.system.ts.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_REQUESTS, siemOutput, TRICKY_REQUEST } from "../_support/siem_output.ts";
import { parseKeyValuePairs } from "../_support/strict_key_value.ts";

/** `Mmm dd HH:MM:SS`, as %Date% renders. */
const DATE = /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d$/;

/** The demo records' own fields, as the feeds hold them (src/config/defaults). */
const URL_RECORD: [string, string][] = [
  ["id", "900001"], ["type", "1"], ["first_seen", "01.01.2014 00:00"], ["last_seen", "01.01.2025 00:00"],
  ["popularity", "5"], ["threat", "Test record of Malicious_URL_Data_Feed"], ["geo", "ru, us"],
];
const IP_RECORD: [string, string][] = [
  ["id", "900601"], ["threat_score", "75"], ["category", "test"], ["first_seen", "01.01.2014 00:00"],
  ["last_seen", "01.01.2025 00:00"], ["popularity", "5"], ["ip_geo", "zz"],
];
/** The record's fields with `category` under the renaming rule's name. */
const renamed = (fields: [string, string][]) => fields.map(([k, v]): [string, string] => [k === "category" ? "record_category" : k, v]);
const SOURCE_VALUES = (url: string, ip: string): [string, string][] => [["url", url], ["domain", ""], ["ip", ip], ["md5", ""], ["sha1", ""], ["sha256", ""]];

describe("SIEM profiles: what the SIEM listener receives, read as that SIEM reads it", () => {
  test("splunk: eventName and matchedIndicator first, every key once, the record's category as record_category", async () => {
    const { detections, alerts } = await siemOutput("splunk", DEMO_REQUESTS);
    const parsed = detections.map((line) => {
      const date = line.slice(0, 15);
      expect(date).toMatch(DATE);
      return parseKeyValuePairs(line.slice(16), " ");
    });
    expect(parsed).toEqual([
      [["eventName", "KL_Malicious_URL"], ["matchedIndicator", "fakess123.nu"], ["category", "KL_Malicious_URL"], ...SOURCE_VALUES("http://fakess123.nu", ""), ...URL_RECORD],
      [["eventName", "KL_IP_Reputation"], ["matchedIndicator", "192.0.2.0"], ["category", "KL_IP_Reputation"], ...SOURCE_VALUES("", "192.0.2.0"), ...renamed(IP_RECORD)],
    ]);
    expect(parseKeyValuePairs(alerts.find((a) => a.includes("UpdatedFeed"))!.slice(16), " ")).toEqual([
      ["alert", "KL_ALERT_UpdatedFeed"], ["feed", "Demo_Malicious_URL_Data_Feed.json"], ["records", "1"],
    ]);
  });

  test("kuma: Category and MatchedIndicator, then the record's fields, all split at |", async () => {
    const { detections } = await siemOutput("kuma", DEMO_REQUESTS);
    expect(detections.map((line) => parseKeyValuePairs(line, "|"))).toEqual([
      [["Category", "KL_Malicious_URL"], ["MatchedIndicator", "fakess123.nu"], ...URL_RECORD],
      [["Category", "KL_IP_Reputation"], ["MatchedIndicator", "192.0.2.0"], ...IP_RECORD],
    ]);
  });

  test("maxpatrol: an RFC 3164 header (priority, time, host, tag) and a strict key=value body", async () => {
    const { detections, alerts } = await siemOutput("maxpatrol", DEMO_REQUESTS);
    const header = /^<(\d+)>([A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d) ioclens cybertrace: /;
    const read = (line: string) => {
      const m = header.exec(line);
      if (m === null) throw new Error(`no RFC 3164 header: ${line}`);
      return [Number(m[1]), parseKeyValuePairs(line.slice(m[0].length), " ")] as const;
    };
    expect(detections.map(read)).toEqual([
      [12, [["eventName", "KL_Malicious_URL"], ["matchedIndicator", "fakess123.nu"], ...SOURCE_VALUES("http://fakess123.nu", ""), ...URL_RECORD]],
      [12, [["eventName", "KL_IP_Reputation"], ["matchedIndicator", "192.0.2.0"], ...SOURCE_VALUES("", "192.0.2.0"), ...IP_RECORD]],
    ]);
    expect(read(alerts.find((a) => a.includes("ServiceStarted"))!)).toEqual([14, [["alert", "KL_ALERT_ServiceStarted"]]]);
  });

  test("elastic: one JSON object per line, every field name in the ECS field list, values exactly the record's", async () => {
    const { detections, alerts } = await siemOutput("elastic", [...DEMO_REQUESTS, TRICKY_REQUEST]);
    const objects = [...detections, ...alerts].map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.flatMap((o) => ecsProblems(o))).toEqual([]);
    const detection = (category: string, indicator: string, url: string, ip: string, confidence: string, labels: [string, string][]) => ({
      ecs: { version: "8.12.0" },
      event: { kind: "alert", category: ["threat"], type: ["indicator"], module: "ioclens", dataset: "ioclens.detection", code: category },
      message: `${category} matched ${indicator}`,
      threat: { enrichments: [{ indicator: { name: indicator }, matched: { atomic: indicator } }] },
      url: { original: url },
      file: { hash: { md5: "", sha1: "", sha256: "" } },
      labels: { category, confidence, ip, domain: "", source_id: "default", ...Object.fromEntries(labels) },
    });
    expect(objects.slice(0, 3)).toEqual([
      detection("KL_Malicious_URL", "fakess123.nu", "http://fakess123.nu", "", "100", URL_RECORD),
      detection("KL_IP_Reputation", "192.0.2.0", "", "192.0.2.0", "100", renamed(IP_RECORD)),
      detection("KL_Malicious_URL", "tricky.example/*", "http://tricky.example/a?x=1", "", "90", [
        ["id", "7"], ["note", 'quote " backslash \\ equals = pipe | tab\tnewline\ncarriage\rend'], ["record_category", "clash"],
        ["threat", "Trojan|Win32\\Agent=x"], ["geo", "ru, ua"],
      ]),
    ]);
    expect(objects.find((o) => (o.event as { action?: string }).action === "KL_ALERT_ServiceStarted")).toEqual({
      ecs: { version: "8.12.0" },
      event: { kind: "event", type: ["info"], module: "ioclens", dataset: "ioclens.alert", action: "KL_ALERT_ServiceStarted" },
      message: "KL_ALERT_ServiceStarted",
      labels: { alert: "KL_ALERT_ServiceStarted" },
    });
  });
});

/** The ECS rows of test/fixtures/ecs/fields.csv by field name: type and normalization. */
const ECS = new Map(
  readFileSync(join(import.meta.dir, "../fixtures/ecs/fields.csv"), "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l !== "")
    .map((l) => {
      const [, , , field, type, , normalization] = l.split(",");
      return [field!, { type: type!, array: normalization === "array" }] as const;
    }),
);
const STRING_TYPES = new Set(["keyword", "wildcard", "match_only_text"]);

/** Every field of `o` that the ECS list does not have, or whose value has the wrong shape. */
function ecsProblems(o: Record<string, unknown>, prefix = ""): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    const path = prefix + k;
    const field = ECS.get(path);
    if (path === "labels") {
      // Custom key/value pairs: any key, keyword values.
      if (field?.type !== "object") problems.push("labels: not in the ECS list as an object");
      for (const [name, value] of Object.entries(v as object)) if (typeof value !== "string") problems.push(`labels.${name}: not a string`);
    } else if (field?.type === "nested") {
      if (!Array.isArray(v)) problems.push(`${path}: nested, expected an array of objects`);
      else for (const item of v) problems.push(...ecsProblems(item as Record<string, unknown>, `${path}.`));
    } else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      if (field !== undefined && field.type !== "object") problems.push(`${path}: an object, ECS type ${field.type}`);
      problems.push(...ecsProblems(v as Record<string, unknown>, `${path}.`));
    } else if (field === undefined) {
      problems.push(`${path}: not an ECS field`);
    } else if (!STRING_TYPES.has(field.type)) {
      problems.push(`${path}: ECS type ${field.type}, not a string type`);
    } else if (Array.isArray(v) ? !field.array || v.some((x) => typeof x !== "string") : typeof v !== "string") {
      problems.push(`${path}: ${JSON.stringify(v)} does not fit ECS ${field.type}${field.array ? " (array)" : ""}`);
    }
  }
  return problems;
}
