import { describe, expect, test } from "bun:test";
import { ScanTargets } from "../../src/scanner/scan_targets.ts";

/** Targets over `count` addresses with a clock the test moves. */
function targetsOf(count: number, timeoutMs = 10_000) {
  const clock = { t: 1_000 };
  return { clock, targets: new ScanTargets(count, () => clock.t, timeoutMs) };
}

describe("ScanTargets", () => {
  test("spreads connections over the addresses in turn", () => {
    const { targets } = targetsOf(3);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((w) => targets.current(w))).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
  });

  test("a connection whose address fails moves to the next at once, and pauses only after a whole round failed", () => {
    const { targets } = targetsOf(3);
    expect([targets.failed(1), targets.failed(1), targets.failed(1), targets.current(1)]).toEqual([
      { kind: "retry", target: 2, pause: false },
      { kind: "retry", target: 0, pause: false },
      { kind: "retry", target: 1, pause: true },
      1,
    ]);
  });

  test("a connection stays on the address it moved to, and other connections keep theirs", () => {
    const { targets } = targetsOf(2);
    targets.failed(0);
    targets.succeeded(0);
    expect([targets.current(0), targets.current(1), targets.current(2)]).toEqual([1, 1, 0]);
  });

  test("with one address every failure pauses, as a scan against one service always did", () => {
    const { targets } = targetsOf(1);
    expect([targets.failed(0), targets.failed(0)]).toEqual([
      { kind: "retry", target: 0, pause: true },
      { kind: "retry", target: 0, pause: true },
    ]);
  });

  test("gives up once every address has failed for the timeout since the first failure", () => {
    const { clock, targets } = targetsOf(2, 10_000);
    targets.failed(0);
    clock.t += 9_999;
    expect(targets.failed(0)).toEqual({ kind: "retry", target: 0, pause: true });
    clock.t += 1;
    expect(targets.failed(0)).toEqual({ kind: "give-up" });
  });

  test("a success forgives the failures before it: the timeout counts from the next failure", () => {
    const { clock, targets } = targetsOf(2, 10_000);
    targets.failed(0);
    clock.t += 9_000;
    targets.succeeded(0);
    clock.t += 5_000;
    expect(targets.failed(0)).toEqual({ kind: "retry", target: 0, pause: false });
    clock.t += 9_999;
    expect(targets.failed(0)).toEqual({ kind: "retry", target: 1, pause: true });
  });

  test("ConnectionTimeout 0 gives up at the first failure", () => {
    expect(targetsOf(2, 0).targets.failed(0)).toEqual({ kind: "give-up" });
  });

  test("refuses an empty list of addresses", () => {
    expect(() => new ScanTargets(0, Date.now, 1000)).toThrow("ScanTargets failed: 0 addresses, expected at least 1");
  });
});
