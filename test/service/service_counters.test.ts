import { describe, expect, test } from "bun:test";
import type { ProcessResult } from "../../src/service/process_event.ts";
import { ServiceCounters } from "../../src/service/service_counters.ts";

const result = (detections: number, byCategory: [string, number][] = [], suppressed = 0): ProcessResult =>
  ({ lines: [], detections, suppressed, byCategory: new Map(byCategory), checked: 1, ignored: false, sourceId: "default" }) as unknown as ProcessResult;

function harness() {
  const logs: string[] = [];
  let marks = 0;
  const counters = new ServiceCounters((level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`), 100, () => marks++);
  return { logs, counters, marks: () => marks };
}

describe("ServiceCounters", () => {
  test("counts events, events with detections, detections per category and suppressed ones; marks each event", () => {
    const h = harness();
    h.counters.event("a", result(0, [], 1), 1);
    h.counters.event("b", result(2, [["KL_IP_Reputation", 1], ["KL_Malicious_URL", 1]]), 1);
    h.counters.event("c", result(1, [["KL_IP_Reputation", 1]]), 1);
    const c = h.counters;
    expect({ events: c.events, withDetections: c.eventsWithDetections, detections: c.detections, suppressed: c.suppressed, byCategory: [...c.byCategory], slow: c.slow, marks: h.marks() }).toEqual({
      events: 3,
      withDetections: 2,
      detections: 3,
      suppressed: 1,
      byCategory: [["KL_IP_Reputation", 2], ["KL_Malicious_URL", 1]],
      slow: 0,
      marks: 3,
    });
  });

  test("events at or over the limit are counted as slow and logged at the 1st, 2nd, 4th …, their text only at debug", () => {
    const h = harness();
    h.counters.event("fast", result(0), 99);
    for (const ms of [100, 150, 200, 250]) h.counters.event(`slow ${ms}`, result(0), ms);
    expect({ slow: h.counters.slow, logs: h.logs }).toEqual({
      slow: 4,
      logs: [
        `warn event took 100 ms (limit 100 ms): a regex may backtrack catastrophically on it; 1 slow so far {"length":8}`,
        `debug slow event {"event":"slow 100"}`,
        `warn event took 150 ms (limit 100 ms): a regex may backtrack catastrophically on it; 2 slow so far {"length":8}`,
        `debug slow event {"event":"slow 150"}`,
        `warn event took 250 ms (limit 100 ms): a regex may backtrack catastrophically on it; 4 slow so far {"length":8}`,
        `debug slow event {"event":"slow 250"}`,
      ],
    });
  });

  test("a framing failure is logged and counted as dropped", () => {
    const h = harness();
    h.counters.failed(new Error("framer broke"));
    expect({ dropped: h.counters.dropped, logs: h.logs }).toEqual({ dropped: 1, logs: ["error event processing failed: framer broke undefined"] });
  });
});
