import { describe, expect, test } from "bun:test";
import type { ServiceConfig } from "../../src/config/types.ts";
import type { FeedLoadReport } from "../../src/feeds/load_feeds.ts";
import { ServiceReloader } from "../../src/service/service_reloader.ts";
import { testConfig } from "../_support/test_service.ts";

interface State {
  readonly config: ServiceConfig;
  readonly generation: number;
}

const report = (name: string, error?: string): FeedLoadReport => ({ name, loaded: 3, skipped: 0, ms: 1, warnings: [], skippedByReason: {}, ...(error ? { error } : {}) });

/** A reloader whose builds wait for the test to `finish` them with the given reports (or an error). */
function harness(options: { reloadConfig?: () => Promise<ServiceConfig> } = {}) {
  const first = testConfig();
  let state: State = { config: first, generation: 0 };
  const alerts: string[] = [];
  const logs: string[] = [];
  const swaps: string[][] = [];
  const builds: { config: ServiceConfig; finish: (reports: FeedLoadReport[] | Error) => void }[] = [];
  const reloader = new ServiceReloader<State>({
    now: () => Date.UTC(2026, 11, 4, 12, 0, 0),
    log: (level, message) => logs.push(`${level} ${message}`),
    alert: (name, fields = []) => alerts.push([name, ...fields.map(([k, v]) => `${k}=${v}`)].join(" ")),
    reloadConfig: options.reloadConfig,
    build: (config) =>
      new Promise((resolve, reject) =>
        builds.push({ config, finish: (r) => (r instanceof Error ? reject(r) : resolve({ state: { config, generation: builds.length }, reports: r })) }),
      ),
    current: () => state,
    swap: (next, reports) => {
      state = next;
      swaps.push(reports.map((r) => r.name));
    },
  });
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return { reloader, alerts, logs, swaps, builds, first, state: () => state, settle };
}

describe("ServiceReloader", () => {
  test("a reload with every feed loaded swaps the state in, alerts each feed and records the result", async () => {
    const h = harness();
    const done = h.reloader.reload();
    await h.settle();
    h.builds[0]!.finish([report("a.json"), report("b.json")]);
    expect({ result: await done, generation: h.state().generation, swaps: h.swaps, alerts: h.alerts, last: h.reloader.last }).toEqual({
      result: { ok: true },
      generation: 1,
      swaps: [["a.json", "b.json"]],
      alerts: ["KL_ALERT_UpdatedFeed feed=a.json records=3", "KL_ALERT_UpdatedFeed feed=b.json records=3"],
      last: { at: "2026-12-04T12:00:00.000Z", ok: true },
    });
  });

  test("a feed that fails keeps the previous state; the failures are alerted and returned", async () => {
    const h = harness();
    const done = h.reloader.reload();
    await h.settle();
    h.builds[0]!.finish([report("a.json"), report("b.json", "b.json: not found")]);
    expect({ result: await done, generation: h.state().generation, swaps: h.swaps, alerts: h.alerts, logs: h.logs }).toEqual({
      result: { ok: false, error: "b.json: not found" },
      generation: 0,
      swaps: [],
      alerts: ["KL_ALERT_FailedToUpdateFeed feed=b.json error=b.json: not found"],
      logs: ["warn reload rejected: 1 feed(s) failed to load; the previous feeds stay in use"],
    });
  });

  test("a config that cannot be re-read keeps the previous state and says why", async () => {
    const h = harness({ reloadConfig: () => Promise.reject(new Error("kl_feed_service.conf:3: bad XML")) });
    const result = await h.reloader.reload();
    expect({ result, builds: h.builds.length, alerts: h.alerts, last: h.reloader.last }).toEqual({
      result: { ok: false, error: "kl_feed_service.conf:3: bad XML" },
      builds: 0,
      alerts: ["KL_ALERT_FailedToUpdateFeed feed=* error=kl_feed_service.conf:3: bad XML"],
      last: { at: "2026-12-04T12:00:00.000Z", ok: false, error: "kl_feed_service.conf:3: bad XML" },
    });
  });

  test("a re-read config is built and announced with KL_ALERT_ConfigurationUpdated", async () => {
    const next = testConfig();
    const h = harness({ reloadConfig: async () => next });
    const done = h.reloader.reload();
    await h.settle();
    h.builds[0]!.finish([]);
    expect({ result: await done, built: h.builds[0]!.config === next, current: h.state().config === next, alerts: h.alerts }).toEqual({
      result: { ok: true },
      built: true,
      current: true,
      alerts: ["KL_ALERT_ConfigurationUpdated"],
    });
  });

  test("a reload asked while one runs shares its result; the next one builds again", async () => {
    const h = harness();
    const first = h.reloader.reload();
    const second = h.reloader.reload();
    await h.settle();
    expect(h.builds.length).toBe(1);
    h.builds[0]!.finish([]);
    expect(await Promise.all([first, second])).toEqual([{ ok: true }, { ok: true }]);
    const third = h.reloader.reload();
    await h.settle();
    h.builds[1]!.finish([]);
    expect({ third: await third, builds: h.builds.length }).toEqual({ third: { ok: true }, builds: 2 });
  });
});
