/**
 * Forwarders that stream and never read (issue 11, "Done when"), replayed against `ioclens serve`
 * running as a real process on the embedded config:
 *
 * - a MaxPatrol-style forwarder (spec §2.2; the public MaxPatrol SIEM → CyberTrace forwarder):
 *   connects, sends `X-KF-SendFinishedEvent` as its own write, then one `k=v k=v\n` line per
 *   SIEM event (the event's IOC fields, `src.ip=… dst.ip=… object.hash=…`), and never reads;
 * - a forwarder with no preamble at all (rsyslog, syslog-ng, Splunk tcpout): the same lines.
 *
 * Each pushes 1 M lines without blocking and receives 0 bytes, while every detection and every
 * finished event reaches the SIEM listener, in order. Before routing by preamble both stalled
 * for good (~152 k and ~190 k lines). The forwarder is its own process
 * (never_reading_forwarder-fixture.ts), so the SIEM listener here never waits for it. The time
 * each run takes is printed, not asserted.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { killChildren } from "../_support/child_processes.ts";
import { tempDir } from "../_support/system_tools.ts";
import { cleanOutcome, forwardingOutcome, startServe, startTallyListener, within } from "./_forwarding_outcome.ts";
import { maxPatrolLine } from "./_maxpatrol_lines.ts";

const forwarders = new Set<ChildProcess>();
afterEach(() => {
  for (const child of forwarders) child.kill("SIGKILL");
  forwarders.clear();
});
afterEach(killChildren);

const LINES = 1_000_000;

/** The detections the lines should give, as OutputTally writes them. */
function expectedDetections(): string[] {
  const expected: string[] = [];
  for (let i = 1; i <= LINES; i++) {
    const { hit } = maxPatrolLine(i);
    if (hit !== undefined) expected.push(`${i}:${hit}`);
  }
  return expected;
}

/**
 * never_reading_forwarder-fixture.ts as a child process; `line(prefix)` resolves with the first
 * stdout line starting with `prefix`, or rejects when the child exits without one.
 */
function startForwarder(port: number, preamble: string) {
  const args = [join(import.meta.dir, "never_reading_forwarder-fixture.ts"), String(port), String(LINES), ...(preamble ? [preamble] : [])];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  forwarders.add(child);
  let stdout = "";
  let stderr = "";
  let code: number | null | undefined;
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const watcher of watchers) watcher();
  };
  child.stdout!.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    notify();
  });
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (exitCode) => {
      code = exitCode;
      notify();
      resolve(exitCode);
    }),
  );
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const watch = () => {
        const found = stdout.split("\n").find((l) => l.startsWith(prefix));
        if (found === undefined && code === undefined) return;
        watchers.delete(watch);
        if (found !== undefined) resolve(found);
        else reject(new Error(`forwarder exited ${code} before printing "${prefix}": ${stderr}`));
      };
      watchers.add(watch);
      watch();
    });
  return { child, line, exited, stderr: () => stderr };
}

describe.each([
  ["a MaxPatrol-style forwarder (X-KF-SendFinishedEvent only)", "X-KF-SendFinishedEvent"],
  ["a forwarder with no preamble", ""],
] as const)("%s, never reading its socket", (name, preamble) => {
  test(
    `pushes ${LINES} lines through the embedded config; receives 0 bytes; every detection and finished event reaches the output`,
    async () => {
      await using dir = await tempDir("maxpatrol");
      await using siem = await startTallyListener();
      await using serve = await startServe(dir.path, siem.port);

      const started = performance.now();
      const forwarder = startForwarder(serve.port, preamble);
      const serveLog = (error: Error) => {
        throw new Error(`${error.message}; ioclens serve stderr: ${serve.child.stderr().slice(-2000)}`);
      };
      const written = await within(150_000, forwarder.line("written ").catch(serveLog), () => `${name}: writing stalled; SIEM has ${siem.tally}; forwarder: ${forwarder.stderr()}`);
      await within(150_000, siem.until((t) => t.finished >= LINES), () => `${name}: all ${LINES} lines written, SIEM has ${siem.tally}`);
      const seconds = (performance.now() - started) / 1000;

      // Now the forwarder reads what the service may have sent, and both sides close.
      forwarder.child.stdin!.end();
      const received = await within(30_000, forwarder.line("received "), () => `${name}: the forwarder to finish`);
      expect(await forwarder.exited).toBe(0);
      const status = await serve.status();

      console.log(
        `compat: ${name}: ${LINES} lines written in ${(Number(written.split(" ")[2]) / 1000).toFixed(1)} s, all finished events at the SIEM after ${seconds.toFixed(1)} s (${Math.round(LINES / seconds)} events/s)`,
      );
      expect(forwardingOutcome(Number(received.split(" ")[1]), siem.tally, status)).toEqual(cleanOutcome(LINES, expectedDetections()));
    },
    360_000,
  );
});
