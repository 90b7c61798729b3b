import { describe, expect, test } from "bun:test";
import type { ProbeResult } from "../../src/protocol/probe.ts";
import { waitForService, type WaitDeps } from "../../src/scanner/wait_for_service.ts";

/** A fake clock that sleeping advances; probes answer from a script (each takes `probeMs`). */
function world(answers: ProbeResult[], probeMs = 10) {
  let now = 0;
  const probes: { at: number; timeoutMs: number }[] = [];
  const waits: [number, string][] = [];
  const deps: WaitDeps = {
    now: () => now,
    sleep: async (ms) => void (now += ms),
    probe: async (timeoutMs) => {
      probes.push({ at: now, timeoutMs });
      now += probeMs;
      return answers.shift() ?? { ok: false, reason: "connect ECONNREFUSED 127.0.0.1:9999" };
    },
  };
  return { deps, probes, waits, onWaiting: (ms: number, reason: string) => void waits.push([ms, reason]) };
}

const refused: ProbeResult = { ok: false, reason: "connect ECONNREFUSED 127.0.0.1:9999" };

describe("waitForService()", () => {
  test("a service up at once is not waited for", async () => {
    const w = world([{ ok: true, line: "PONG" }]);
    expect(await waitForService(w.deps, 15_000, w.onWaiting)).toEqual({ ok: true, line: "PONG" });
    expect(w.waits).toEqual([]);
  });

  test("a service that comes up after two refusals: each failed probe is reported with the time waited", async () => {
    const w = world([refused, refused, { ok: true, line: "PONG" }]);
    expect(await waitForService(w.deps, 15_000, w.onWaiting)).toEqual({ ok: true, line: "PONG" });
    expect(w.waits).toEqual([[10, refused.reason], [520, refused.reason]]);
    expect(w.probes.map((p) => p.at)).toEqual([0, 510, 1020]);
  });

  test("a service that never answers: probes every 0.5 s until ConnectionTimeout, then the last reason", async () => {
    const w = world([]);
    const outcome = await waitForService(w.deps, 2000, w.onWaiting);
    expect(outcome).toEqual({ ok: false, reason: refused.reason, waitedMs: 2010, interrupted: false });
    expect(w.probes.map((p) => p.at)).toEqual([0, 510, 1020, 1530, 2000]);
    // No probe runs past the timeout by more than its own second; none is given less than 1 s.
    expect(w.probes.map((p) => p.timeoutMs)).toEqual([2000, 1490, 1000, 1000, 1000]);
  });

  test("ConnectionTimeout 0 means one probe and no wait", async () => {
    const w = world([]);
    expect(await waitForService(w.deps, 0, w.onWaiting)).toEqual({ ok: false, reason: refused.reason, waitedMs: 10, interrupted: false });
    expect([w.probes.length, w.waits]).toEqual([1, []]);
  });

  test("an interrupted wait says so", async () => {
    const w = world([]);
    const abort = new AbortController();
    abort.abort();
    expect(await waitForService(w.deps, 15_000, w.onWaiting, abort.signal)).toEqual({ ok: false, reason: refused.reason, waitedMs: 10, interrupted: true });
  });
});
