import { describe, expect, test } from "bun:test";
import { EpsMeter } from "../../src/service/eps_meter.ts";

function meterAt(start: number) {
  const clock = { t: start };
  return { clock, meter: new EpsMeter(() => clock.t) };
}

describe("EpsMeter", () => {
  test("reports the same steady rate in every window once 15 minutes have passed", () => {
    const { clock, meter } = meterAt(1_700_000_000_000);
    for (let s = 0; s < 1000; s++) {
      meter.mark(10);
      clock.t += 1000;
    }
    expect(meter.rates()).toEqual({ m1: 10, m5: 10, m15: 10 });
  });

  test("counts events at the time the caller read, without reading the clock again", () => {
    const { clock, meter } = meterAt(0);
    // The clock stays at second 0; the events are marked at second 59 by the caller's reading.
    meter.mark(120, 59_500);
    clock.t = 61_000;
    // A window of seconds 1-60 holds them only if they were counted at 59.
    expect(meter.rates().m1).toBe(2);
  });

  test("forgets a burst as it leaves each window", () => {
    const { clock, meter } = meterAt(0);
    clock.t = 1_000_000; // past the start-up period
    meter.mark(6000);
    const seen: Record<string, unknown> = {};
    for (const [label, at] of [
      ["within its second", 500],
      ["after 60 s", 60_000],
      ["after 61 s", 61_000],
      ["after 5 min", 301_000],
      ["after 15 min", 901_000],
    ] as const) {
      clock.t = 1_000_000 + at;
      seen[label] = meter.rates();
    }
    expect(seen).toEqual({
      "within its second": { m1: 0, m5: 0, m15: 0 },
      "after 60 s": { m1: 100, m5: 20, m15: 6000 / 900 },
      "after 61 s": { m1: 0, m5: 20, m15: 6000 / 900 },
      "after 5 min": { m1: 0, m5: 0, m15: 6000 / 900 },
      "after 15 min": { m1: 0, m5: 0, m15: 0 },
    });
  });

  test("divides by the time elapsed during the first minutes, not by the whole window", () => {
    const { clock, meter } = meterAt(0);
    meter.mark(50);
    clock.t = 5_000;
    meter.mark(50);
    clock.t = 10_000;
    meter.mark(1000); // the current second is not complete yet: left out
    expect(meter.rates()).toEqual({ m1: 10, m5: 10, m15: 10 });
  });

  test("clears everything after an idle gap longer than 15 minutes", () => {
    const { clock, meter } = meterAt(0);
    clock.t = 2_000_000;
    meter.mark(500);
    clock.t += 3_600_000;
    meter.mark(60);
    clock.t += 1000;
    expect(meter.rates()).toEqual({ m1: 1, m5: 0.2, m15: 60 / 900 });
  });

  test("keeps counting when the clock steps back", () => {
    const { clock, meter } = meterAt(0);
    clock.t = 2_000_000;
    meter.mark(30);
    clock.t -= 5_000;
    meter.mark(30);
    clock.t = 2_001_000;
    expect(meter.rates().m1).toBe(1);
  });
});
