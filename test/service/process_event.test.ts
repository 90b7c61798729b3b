import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import type { OutputSettings, RegexRule, SendEventFilter, ServiceConfig } from "../../src/config/types.ts";
import { DEFAULT_CONNECTION_LIMITS } from "../../src/config/types.ts";
import type { FeedInfo, IndexReader, LookupResult, LookupType, MatchedRecord } from "../../src/matching/types.ts";
import { compilePipeline, processEvent } from "../../src/service/process_event.ts";

const NOW = new Date(2024, 1, 2, 11, 57, 59).getTime();
const DAY = 86_400_000;

function feed(name: string, category: string, more: Partial<FeedInfo> = {}): FeedInfo {
  return { name, category, confidence: 100, allowList: false, loadedAt: NOW - DAY, indicatorLifetimeMinutes: 0, ...more };
}

const urlFeed = feed("Malicious_URL_Data_Feed.json", "KL_Malicious_URL");
const hashFeed = feed("Malicious_Hash_Data_Feed.json", "KL_Malicious_Hash_MD5");
const ipFeed = feed("IP_Reputation_Data_Feed.json", "KL_IP_Reputation");

function hit(f: FeedInfo, kind: MatchedRecord["kind"], indicator: string, fields: [string, string][] = []): MatchedRecord {
  return { feed: f, kind, category: f.category, indicator, fields };
}

/** A fake index: exact (type, value) keys; `allow` values are suppressed by an allow-list. */
class FakeIndex implements IndexReader {
  readonly calls: string[] = [];
  constructor(
    private readonly hits: Record<string, MatchedRecord[]>,
    private readonly allow: Record<string, number> = {},
  ) {}
  lookup(type: LookupType, value: string, _now: number): LookupResult {
    this.calls.push(`${type}:${value}`);
    if (value === "boom") throw new Error("index exploded");
    const key = `${type}:${value}`;
    if (this.allow[key] !== undefined) return { records: [], suppressed: this.allow[key]! };
    return { records: this.hits[key] ?? [], suppressed: 0 };
  }
  counts(): ReadonlyMap<string, number> {
    return new Map();
  }
}

function rule(name: string, pattern: string, type: RegexRule["type"], extract: RegexRule["extract"] = "all"): RegexRule {
  return { name, pattern, type, extract, useForRetroscan: false, line: 1 };
}

function config(output: Partial<OutputSettings> = {}, perScanDetectLimit?: number, filters: SendEventFilter[] = []): ServiceConfig {
  return {
    source: "<test>",
    input: {
      connectionString: "127.0.0.1:0",
      sources: [
        {
          id: "default",
          ips: [],
          hostnames: [],
          replace: [],
          ignore: [{ input: "^#", line: 2 }],
          regexes: [
            rule("RE_URL", String.raw`url=(\S+)`, "URL"),
            rule("RE_MD5", String.raw`md5=(\S+)`, "MD5"),
            rule("RE_IP", String.raw`ip=(\S+)`, "IP"),
            rule("RE_USER", String.raw`user=(\S+)`, "CONTEXT", "first"),
          ],
        },
      ],
    },
    output: {
      eventFormat: "%Date% eventName=%Category% matchedIndicator=%MatchedIndicator% url=%RE_URL% user=%RE_USER%%RecordContext%",
      recordFieldContextFormat: " %ParamName%=%ParamValue%",
      actionableFieldContextFormat: " %ParamName%:%ParamValue%",
      connectionString: "127.0.0.1:9998",
      finishedEventFormat: { enabled: true, value: "%RecordContext%" },
      sendEventFilters: filters,
      queueSize: 100,
      ...output,
    },
    feeds: { perScanDetectLimit, updateFrequencyMinutes: 0, feeds: [] },
    service: {
      scannersCount: 9,
      threadsPerScanner: 8,
      eventSendingRetriesCount: 3,
      eventSendingRetriesTimeoutSeconds: 10,
      outdatedBasesAlertPeriodHours: 0,
      feedsRollbackEnabled: true,
      basesDir: "/tmp",
      connections: DEFAULT_CONNECTION_LIMITS,
      workers: 1,
    },
    status: { enabled: false, listen: "127.0.0.1:0" },
  };
}

const index = new FakeIndex({
  "URL:http://fakess123.nu": [hit(urlFeed, "URL", "fakess123.nu", [["popularity", "5"]])],
  "URL:http://multi.example/x": [
    hit(urlFeed, "URL", "multi.example/*"),
    hit(urlFeed, "URL", "multi.example/x"),
    hit(urlFeed, "URL", "*.example/*"),
  ],
  "MD5:C912705B4BBB14EC7E78FA8B370532C9": [hit(hashFeed, "MD5", "C912705B4BBB14EC7E78FA8B370532C9")],
  "IP:192.0.2.0": [hit(ipFeed, "IP", "192.0.2.0", [["threat_score", "75"]])],
});

describe("processEvent()", () => {
  test("renders the spec's ReplyBack session: detections in extraction order, then the finished event", () => {
    const p = compilePipeline(config());
    const r = processEvent(p, index, "ip=192.0.2.0 url=http://fakess123.nu md5=C912705B4BBB14EC7E78FA8B370532C9 user=jdoe", {
      now: NOW,
      sendFinished: true,
    });
    expect(r).toEqual({
      lines: [
        "Feb 02 11:57:59 eventName=KL_Malicious_URL matchedIndicator=fakess123.nu url=http://fakess123.nu user=jdoe popularity=5",
        "Feb 02 11:57:59 eventName=KL_Malicious_Hash_MD5 matchedIndicator=C912705B4BBB14EC7E78FA8B370532C9 url=http://fakess123.nu user=jdoe",
        "Feb 02 11:57:59 eventName=KL_IP_Reputation matchedIndicator=192.0.2.0 url=http://fakess123.nu user=jdoe threat_score=75",
        " alert=LookupFinished sent_events=3 total=KL_Malicious_URL:1;KL_Malicious_Hash_MD5:1;KL_IP_Reputation:1;",
      ],
      detections: 3,
      suppressed: 0,
      byCategory: new Map([
        ["KL_Malicious_URL", 1],
        ["KL_Malicious_Hash_MD5", 1],
        ["KL_IP_Reputation", 1],
      ]),
      checked: 3,
      ignored: false,
      sourceId: "default",
      context: expect.objectContaining({ sourceId: "default", now: NOW }),
    });
  });

  test("sends a finished event even without detections, and none when not asked", () => {
    const p = compilePipeline(config());
    expect(processEvent(p, index, "nothing here", { now: NOW, sendFinished: true }).lines).toEqual([
      " alert=LookupFinished sent_events=0 total=",
    ]);
    expect(processEvent(p, index, "nothing here", { now: NOW, sendFinished: false }).lines).toEqual([]);
  });

  test("an ignored event looks nothing up but still gets its finished event", () => {
    const p = compilePipeline(config());
    const local = new FakeIndex({});
    const r = processEvent(p, local, "# url=http://fakess123.nu", { now: NOW, sendFinished: true });
    expect({ ignored: r.ignored, lines: r.lines, calls: local.calls }).toEqual({
      ignored: true,
      lines: [" alert=LookupFinished sent_events=0 total="],
      calls: [],
    });
  });

  test("looks a repeated value up once and renders each (value, record) pair once", () => {
    const p = compilePipeline(config());
    const local = new FakeIndex({ "URL:http://fakess123.nu": [hit(urlFeed, "URL", "fakess123.nu"), hit(urlFeed, "URL", "fakess123.nu")] });
    const r = processEvent(p, local, "url=http://fakess123.nu url=http://fakess123.nu", { now: NOW, sendFinished: false });
    expect({ calls: local.calls, detections: r.detections }).toEqual({ calls: ["URL:http://fakess123.nu"], detections: 1 });
  });

  test("caps detections per event at per_scan_detect_limit", () => {
    const p = compilePipeline(config({}, 2));
    const r = processEvent(p, index, "url=http://multi.example/x md5=C912705B4BBB14EC7E78FA8B370532C9", { now: NOW, sendFinished: true });
    expect({ detections: r.detections, finished: r.lines.at(-1) }).toEqual({
      detections: 2,
      finished: " alert=LookupFinished sent_events=2 total=KL_Malicious_URL:2;",
    });
  });

  test("counts allow-list suppressions and sends nothing for them", () => {
    const p = compilePipeline(config());
    const local = new FakeIndex({}, { "URL:http://fakess123.nu": 2 });
    const r = processEvent(p, local, "url=http://fakess123.nu", { now: NOW, sendFinished: false });
    expect({ suppressed: r.suppressed, lines: r.lines }).toEqual({ suppressed: 2, lines: [] });
  });

  test("a lookup that throws counts as no hit and the event goes on", () => {
    const p = compilePipeline(config());
    const r = processEvent(p, index, "url=boom url=http://fakess123.nu", { now: NOW, sendFinished: false });
    expect({ detections: r.detections, checked: r.checked }).toEqual({ detections: 1, checked: 2 });
  });

  test("uses %EventReceivedDate% from receivedAt", () => {
    const p = compilePipeline(config({ eventFormat: "%Date%|%EventReceivedDate%" }));
    const r = processEvent(p, index, "url=http://fakess123.nu", { now: NOW, receivedAt: NOW - 1000, sendFinished: false });
    expect(r.lines).toEqual(["Feb 02 11:57:59|Feb 02 11:57:58"]);
  });
});

describe("processEvent() with SendEventFilters", () => {
  const rec = (fields: [string, string][], more: Partial<FeedInfo> = {}) => hit(feed("F.json", "CAT", more), "URL", "x.example", fields);

  test.each<[string, SendEventFilter[], MatchedRecord, boolean]>([
    ["exact value passes", [{ attribute: "popularity", value: "5" }], rec([["popularity", "5"]]), true],
    ["exact value fails", [{ attribute: "popularity", value: "5" }], rec([["popularity", "4"]]), false],
    ["ioc_supplier_context prefix names the field", [{ attribute: "ioc_supplier_context.popularity", value: "5" }], rec([["popularity", "5"]]), true],
    ["a missing attribute fails", [{ attribute: "popularity", value: "5" }], rec([]), false],
    ["number range inside", [{ attribute: "popularity", value: "[3;5]" }], rec([["popularity", "5"]]), true],
    ["number range outside", [{ attribute: "popularity", value: "[3;4]" }], rec([["popularity", "5"]]), false],
    ["open upper bound", [{ attribute: "popularity", value: "[3;]" }], rec([["popularity", "500"]]), true],
    [
      "date range, date-only upper bound covers its day",
      [{ attribute: "ioc_supplier_context.last_seen", value: "[01.02.2013;01.02.2015]" }],
      rec([["last_seen", "01.02.2015 23:10"]]),
      true,
    ],
    [
      "date range outside",
      [{ attribute: "ioc_supplier_context.last_seen", value: "[01.02.2013;01.02.2015]" }],
      rec([["last_seen", "02.02.2015 00:10"]]),
      false,
    ],
    ["%NOW%-N on the feed's load time (inside)", [{ attribute: "ioc_updated_timestamp", value: "[%NOW%-3;%NOW%]" }], rec([], { loadedAt: NOW - 2 * DAY }), true],
    ["%NOW%-N on the feed's load time (outside)", [{ attribute: "ioc_updated_timestamp", value: "[%NOW%-3;%NOW%]" }], rec([], { loadedAt: NOW - 4 * DAY }), false],
    ["%NOW%-N on an ISO field", [{ attribute: "first_seen", value: "[%NOW%-1;%NOW%]" }], rec([["first_seen", new Date(NOW - 3_600_000).toISOString()]]), true],
    [
      "same attribute twice: either value passes",
      [
        { attribute: "popularity", value: "1" },
        { attribute: "popularity", value: "5" },
      ],
      rec([["popularity", "5"]]),
      true,
    ],
    [
      "different attributes: all must pass",
      [
        { attribute: "popularity", value: "5" },
        { attribute: "geo", value: "us" },
      ],
      rec([
        ["popularity", "5"],
        ["geo", "br"],
      ]),
      false,
    ],
  ])("%s", (_name, filters, record, sent) => {
    const p = compilePipeline(config({}, undefined, filters));
    const r = processEvent(p, new FakeIndex({ "URL:http://x.example/": [record] }), "url=http://x.example/", { now: NOW, sendFinished: false });
    expect(r.detections).toBe(sent ? 1 : 0);
  });
});

describe("compilePipeline()", () => {
  test("reports unknown placeholders through warn", () => {
    const warnings: string[] = [];
    compilePipeline(config({ eventFormat: "%Category% %RE_NONE%" }), (m) => warnings.push(m));
    expect(warnings).toEqual([
      "EventFormat has an unknown placeholder: found %RE_NONE%, expected a pattern or a regex name; it renders empty",
    ]);
  });
  test("the seed config (no EventFormat, no RE_DOMAIN regex) compiles without a warning: a default does not warn about itself", () => {
    const seed = readFileSync(join(import.meta.dir, "..", "fixtures", "config", "seed_service.conf"), "utf8");
    const warningsOf = (text: string) => {
      const warnings: string[] = [];
      compilePipeline(parseServiceConfig(text, "seed_service.conf").config, (m) => warnings.push(m));
      return warnings;
    };
    expect(warningsOf(seed)).toEqual([]);
    // The same placeholder written by the user is still worth a warning.
    const written = seed.replace("<OutputSettings>", "<OutputSettings><EventFormat>%Category% domain=%RE_DOMAIN%</EventFormat>");
    expect(warningsOf(written)).toEqual([
      "EventFormat has an unknown placeholder: found %RE_DOMAIN%, expected a pattern or a regex name; it renders empty",
    ]);
  });
});
