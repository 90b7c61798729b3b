import { describe, expect, test } from "bun:test";
import { MemoryGuard } from "../../src/service/memory_guard.ts";

const MIB = 2 ** 20;

/** A guard over a scripted RSS: `collect` drops the RSS to `afterCollect`. */
function scripted(afterCollect: number) {
  const state = { rss: 0, now: 0, collections: 0 };
  const guard = new MemoryGuard(
    {
      rss: () => state.rss,
      collect: () => {
        state.collections++;
        state.rss = afterCollect;
      },
      now: () => state.now,
    },
    { ratio: 2, minIntervalMs: 10_000 },
  );
  return { guard, state };
}

describe("MemoryGuard", () => {
  test("collects only over twice the working size, at most once per interval", () => {
    const { guard, state } = scripted(300 * MIB);
    guard.setBaseline(200 * MIB);
    const steps: [number, number][] = [
      [0, 390],
      [5_000, 410],
      [10_000, 800],
      [14_999, 800],
      [15_000, 800],
    ];
    const collected = steps.map(([at, mib]) => {
      state.now = at;
      state.rss = mib * MIB;
      return guard.check().collected;
    });
    expect({ collected, collections: state.collections }).toEqual({ collected: [false, true, false, false, true], collections: 2 });
  });

  test("follows the lowest RSS seen as the working size, and raises it when a collection frees too little", () => {
    const { guard, state } = scripted(700 * MIB);
    guard.setBaseline(350 * MIB);
    state.rss = 200 * MIB;
    guard.check();
    const lowered = guard.baseline / MIB;
    state.now = 60_000;
    state.rss = 900 * MIB;
    const check = guard.check();
    expect({ lowered, collected: check.collected, after: check.rssAfter / MIB, raised: guard.baseline / MIB }).toEqual({
      lowered: 200,
      collected: true,
      after: 700,
      raised: 700,
    });
  });

  test("does nothing before it has a baseline", () => {
    const { guard, state } = scripted(0);
    state.rss = 5_000 * MIB;
    expect([guard.check().collected, state.collections]).toEqual([false, 0]);
  });
});
