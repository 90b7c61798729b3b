import { describe, expect, test } from "bun:test";
import { DropAlerts } from "../../src/service/drop_alerts.ts";

function harness() {
  const state = { t: 0, room: true };
  const alerts: string[] = [];
  const drops = new DropAlerts({
    now: () => state.t,
    periodMs: 60_000,
    hasRoom: () => state.room,
    alert: (count, total) => alerts.push(`count=${count} total=${total}`),
  });
  return { state, alerts, drops };
}

describe("DropAlerts", () => {
  test("the first drop is alerted at once; drops within the period are carried into the next alert", () => {
    const h = harness();
    h.drops.dropped();
    h.state.t = 30_000;
    h.drops.dropped();
    h.drops.dropped();
    expect(h.alerts).toEqual(["count=1 total=1"]);
    h.state.t = 60_000;
    h.drops.dropped();
    expect(h.alerts).toEqual(["count=1 total=1", "count=3 total=4"]);
  });

  test("held-back drops are alerted by the next sent line once the period has passed", () => {
    const h = harness();
    h.drops.dropped();
    h.drops.dropped();
    h.drops.sent();
    expect(h.alerts).toEqual(["count=1 total=1"]);
    h.state.t = 60_000;
    h.drops.sent();
    h.drops.sent();
    expect(h.alerts).toEqual(["count=1 total=1", "count=1 total=2"]);
  });

  test("while the alert queue is full the alert waits, and its count keeps growing", () => {
    const h = harness();
    h.state.room = false;
    h.drops.dropped();
    h.drops.dropped();
    h.drops.sent();
    expect(h.alerts).toEqual([]);
    h.state.room = true;
    h.drops.sent();
    expect(h.alerts).toEqual(["count=2 total=2"]);
  });

  test("a sent line with nothing dropped raises nothing", () => {
    const h = harness();
    h.drops.sent();
    expect(h.alerts).toEqual([]);
  });
});
