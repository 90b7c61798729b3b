import { describe, expect, test } from "bun:test";
import type { ServiceConfig } from "../../src/config/types.ts";
import type { FeedLoadReport } from "../../src/feeds/load_feeds.ts";
import { OutdatedFeeds } from "../../src/service/outdated_feeds.ts";
import { testConfig } from "../_support/test_service.ts";

const HOUR = 3_600_000;
const base = testConfig();

/** The embedded config with only `feeds` (filename, period in hours or undefined) and a default period. */
function config(feeds: [string, number | undefined, boolean?][], defaultHours = 0): ServiceConfig {
  const template = base.feeds.feeds[0]!;
  return {
    ...base,
    service: { ...base.service, outdatedBasesAlertPeriodHours: defaultHours },
    feeds: {
      ...base.feeds,
      feeds: feeds.map(([filename, hours, enabled = true]) => {
        const { outdatedAlertPeriodHours: _, ...rest } = template;
        return { ...rest, filename, enabled, ...(hours === undefined ? {} : { outdatedAlertPeriodHours: hours }) };
      }),
    },
  };
}

const loaded = (name: string, error?: string): Pick<FeedLoadReport, "name" | "error"> => ({ name, ...(error ? { error } : {}) });

function harness(feedUpdatedAt?: (config: ServiceConfig, filename: string) => Promise<number | undefined>) {
  const clock = { t: 0 };
  const alerts: string[] = [];
  const outdated = new OutdatedFeeds({
    now: () => clock.t,
    feedUpdatedAt,
    alert: (name, fields) => alerts.push(`${name} ${fields.map(([k, v]) => `${k}=${v}`).join(" ")}`),
  });
  return { clock, alerts, outdated };
}

describe("OutdatedFeeds", () => {
  test("a feed loaded longer ago than its period is alerted once, until it loads again", async () => {
    const h = harness();
    const c = config([["a.json", 2]]);
    h.outdated.markLoaded([loaded("a.json")]);
    h.clock.t = 2 * HOUR - 1;
    expect(await h.outdated.check(c)).toEqual([]);
    h.clock.t = 2 * HOUR;
    expect(await h.outdated.check(c)).toEqual(["a.json"]);
    expect(await h.outdated.check(c)).toEqual([]);
    h.outdated.markLoaded([loaded("a.json")]);
    h.clock.t = 4 * HOUR;
    expect({ again: await h.outdated.check(c), alerts: h.alerts }).toEqual({
      again: ["a.json"],
      alerts: ["KL_ALERT_OutdatedFeed feed=a.json last_updated=1970-01-01T00:00:00.000Z", "KL_ALERT_OutdatedFeed feed=a.json last_updated=1970-01-01T02:00:00.000Z"],
    });
  });

  test("the default period applies to feeds without their own; no period, a disabled feed, or a failed load mean no alert", async () => {
    const h = harness();
    h.outdated.markLoaded([loaded("a.json"), loaded("b.json"), loaded("c.json"), loaded("d.json", "d.json: broken")]);
    h.clock.t = 100 * HOUR;
    expect(await h.outdated.check(config([["a.json", undefined], ["b.json", undefined, false], ["c.json", 0], ["d.json", 1]], 24))).toEqual(["a.json"]);
    expect(await h.outdated.check(config([["a.json", undefined]], 0))).toEqual([]);
  });

  test("the feed file's change time wins over the load time, and a failing look-up falls back to it", async () => {
    const times: Record<string, number> = { "a.json": 5 * HOUR };
    const h = harness(async (_config, filename) => {
      if (filename === "b.json") throw new Error("stat failed");
      return times[filename];
    });
    h.outdated.markLoaded([loaded("a.json"), loaded("b.json")]);
    h.clock.t = 6 * HOUR;
    expect(await h.outdated.check(config([["a.json", 2], ["b.json", 2]]))).toEqual(["b.json"]);
    h.clock.t = 7 * HOUR;
    expect(await h.outdated.check(config([["a.json", 2], ["b.json", 2]]))).toEqual(["a.json"]);
  });
});
