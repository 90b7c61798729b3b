import { afterEach, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { converse, startTestService, testConfig } from "../_support/test_service.ts";
import { fetchStatus, killChildren, pong, spawnIoclens, waitFor } from "../_support/child_processes.ts";
import { writeScannerConfig, writeServiceConfig } from "./_service_config.ts";

/** Backtracks exponentially on a run of "a" that does not end the event. */
const CATASTROPHIC = "(a+)+$";
const POISON = "a".repeat(40) + "!";
const withPoisonRegexes = (count: number) => (xml: string) =>
  xml.replace(
    '<Source id="default">',
    '<Source id="default">' + Array.from({ length: count }, (_, i) => `<RE_BAD${i} type="CONTEXT"><![CDATA[${CATASTROPHIC}]]></RE_BAD${i}>`).join(""),
  );

afterEach(killChildren);

test("an event that makes a regex backtrack catastrophically is answered late and counted against the per-event time limit", async () => {
  // JavaScriptCore (Bun) abandons a match after ~1 M backtracks and reports no match, so the
  // event finishes, late. Three poison regexes took ~2 s here; the limit is 50 ms, so the poison
  // exceeds it on any plausible machine, and nothing is asserted about how long anything took.
  await using service = await startTestService(testConfig(withPoisonRegexes(3)), { slowEventMs: 50 });
  const lines = await converse(service.port, ["X-KF-SendFinishedEventX-KF-ReplyBack", `${POISON} http://fakess123.nu\nnext line\n`], 2);
  expect(lines.filter((l) => l.includes("LookupFinished"))).toHaveLength(2);
  expect(lines.filter((l) => l.includes("category=KL_Malicious_URL"))).toHaveLength(1);
  // The poison is slow; "next line" is normally not, but a busy machine may pause it too.
  expect(service.status().events.total).toBe(2);
  expect(service.status().events.slow).toBeGreaterThanOrEqual(1);
  const warnings = service.logs.filter((l) => l.startsWith("warn event took"));
  expect(warnings[0]).toContain("backtrack catastrophically");
  // The event's text is not in the warning (events are logged at debug only).
  expect(warnings.some((l) => l.includes("aaaa"))).toBe(false);
}, 20_000);

test("a line that stalls the service: the watchdog kills and restarts it, the scanner gives that line up after isolating it, every other count exact", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ioclens-regex-"));
  try {
    const LINES = 3000;
    const BAD = 1550;
    const log = join(dir, "app.log");
    const parts: string[] = [];
    for (let i = 1; i <= LINES; i++) parts.push(i === BAD ? POISON : i % 100 === 0 ? `line ${i} src=192.0.2.0` : `line ${i} nothing to see`);
    await writeFile(log, parts.join("\n") + "\n");
    // Twenty catastrophic regexes block the worker's event loop for ~13 s on the poison line
    // (here), far past the 2 x 1.5 s the watchdog waits; a busy but healthy worker answers a
    // probe within 1.5 s, so only the poison line causes a restart (with 300 ms probes a loaded
    // machine restarted healthy workers too).
    const service = await writeServiceConfig(dir, withPoisonRegexes(20));
    const watchdog = spawnIoclens(["serve", "-c", service.config], {
      IOCLENS_PROBE_INTERVAL_MS: "200",
      IOCLENS_PROBE_TIMEOUT_MS: "1500",
      IOCLENS_PROBE_FAILURES: "2",
      IOCLENS_KILL_GRACE_MS: "200",
      IOCLENS_RESTART_DELAY_MS: "100",
    });
    await waitFor(() => pong(service.port), "the service to answer PING", 15_000, 50);

    const scan = spawnIoclens(["scan", "-r", "-c", await writeScannerConfig(dir, service.port), "-p", log]);
    const code = await scan.exited;
    expect({ code, failed: scan.stderr().match(/^ioclens: .*: no answer: .*$/gm) }).toEqual({
      code: 6,
      failed: [`ioclens: ${log}:${BAD}: no answer: the service was lost all 3 times this line was sent, the last time alone; skipped`],
    });
    expect(scan.stdout()).toMatch(new RegExp(`^Total number of objects sent to KTFS: ${LINES}\nTotal number of detects received from KTFS: ${LINES / 100}\n`));
    const sidecar = (await readFile(/^Report: (.+)$/m.exec(scan.stdout())![1]!.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n");
    expect(sidecar.slice(0, -1).map((l) => JSON.parse(l).line as number).sort((a, b) => a - b)).toEqual(Array.from({ length: LINES / 100 }, (_, i) => (i + 1) * 100));

    // Three hangs (first send, resend, alone), each detected by the probe and ended with SIGKILL.
    expect(watchdog.stderr().match(/Worker hung: killing it/g)).toHaveLength(3);
    expect(watchdog.stderr().match(/Worker ignored SIGTERM: sending SIGKILL/g)).toHaveLength(3);
    await waitFor(async () => (await fetchStatus(service.statusPort))?.restarts === 3, "the last worker to report 3 restarts", 10_000, 50);
    watchdog.process.kill("SIGTERM");
    expect(await watchdog.exited).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
