import type { OutputSettings } from "../../src/config/types.ts";
import type { FeedInfo, MatchedRecord } from "../../src/matching/types.ts";

/** Output settings in the style of the spec's key=value examples; override what a test needs. */
export function outputSettings(more: Partial<OutputSettings> = {}): OutputSettings {
  return {
    eventFormat: "%Date% eventName=%Category% matchedIndicator=%MatchedIndicator% url=%RE_URL%%RecordContext%",
    recordFieldContextFormat: " %ParamName%=%ParamValue%",
    actionableFieldContextFormat: " %ParamName%:%ParamValue%",
    alertFormat: "%Date% alert=%Alert%%RecordContext%",
    connectionString: "127.0.0.1:9998",
    finishedEventFormat: { enabled: true, value: "%RE_DATE%%RecordContext%" },
    sendEventFilters: [],
    queueSize: 1000,
    ...more,
  };
}

export const urlFeed: FeedInfo = {
  name: "Malicious_URL_Data_Feed.json",
  category: "KL_Malicious_URL",
  confidence: 100,
  allowList: false,
  loadedAt: 0,
  indicatorLifetimeMinutes: 0,
};

export function record(more: Partial<MatchedRecord> = {}): MatchedRecord {
  return {
    feed: urlFeed,
    kind: "URL",
    category: "KL_Malicious_URL",
    indicator: "fakess123.nu",
    fields: [
      ["first_seen", "01.01.2014 00:00"],
      ["popularity", "5"],
    ],
    ...more,
  };
}

/** Feb 2 11:57:59 local time, whatever the machine's zone. */
export const FEB_02 = new Date(2024, 1, 2, 11, 57, 59).getTime();
