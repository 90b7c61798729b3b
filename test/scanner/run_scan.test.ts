import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { createConnection } from "node:net";
import { join } from "node:path";
import { runScan, type ScanItem } from "../../src/scanner/run_scan.ts";
import { startTestService } from "../_support/test_service.ts";

const LINES = 60_000;

let answered = 0;

/**
 * Lines in bursts of 10,000 read at once, each after the service answered every line before it:
 * each burst finds all eight connections idle, and one refill (8,192 lines) is less than their
 * windows (8 × 2,048), so some connections wake to find nothing left to send.
 */
async function* burstyLines(): AsyncGenerator<ScanItem> {
  for (let i = 1; i <= LINES; i++) {
    if (i % 10_000 === 1) while (answered < i - 1) await new Promise((resolve) => setImmediate(resolve));
    yield { source: "bursty.log", line: i, text: i % 1000 === 0 ? `line ${i} src=192.0.2.0` : `line ${i} nothing` };
  }
}

describe("runScan()", () => {
  test("a short scan on more connections than lines logs no loss: closing its own idle connections is not the service's doing", async () => {
    await using service = await startTestService();
    const logs: string[] = [];
    async function* three(): AsyncGenerator<ScanItem> {
      for (let i = 1; i <= 3; i++) yield { source: "short.log", line: i, text: `line ${i} src=192.0.2.0` };
    }
    const outcome = await runScan(
      three(),
      { targets: [{ name: "127.0.0.1", connect: () => createConnection({ port: service.port, host: "127.0.0.1" }) }], now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      { connections: 8, window: 2048, replyBack: false, connectionTimeoutMs: 10_000, replyTimeoutMs: 60_000 },
      { onLineDone: () => {}, onLog: (message) => logs.push(message) },
    );
    expect({ ...outcome, logs }).toEqual({ sent: 3, detections: 3, failed: 0, complete: true, reconnects: 0, logs: [] });
  });

  test("takes its input in batches too: every line of every batch sent once and answered, in the batches' order", async () => {
    await using service = await startTestService();
    const done: number[] = [];
    async function* batches(): AsyncGenerator<ScanItem | ScanItem[]> {
      yield { source: "single", line: 0, text: "line 0 src=192.0.2.0" };
      for (let b = 0; b < 20; b++) yield Array.from({ length: 1000 }, (_, i) => ({ source: "batch.log", line: b * 1000 + i + 1, text: `line ${b * 1000 + i + 1} ${i === 0 ? "src=192.0.2.0" : "nothing"}` }));
      yield [];
    }
    const outcome = await runScan(
      batches(),
      { targets: [{ name: "127.0.0.1", connect: () => createConnection({ port: service.port, host: "127.0.0.1" }) }], now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      { connections: 1, window: 256, replyBack: true, connectionTimeoutMs: 10_000, replyTimeoutMs: 60_000 },
      { onLineDone: (item) => done.push(item.line) },
    );
    expect(outcome).toEqual({ sent: 20_001, detections: 21, failed: 0, complete: true, reconnects: 0 });
    // One connection answers in sending order: the lines in input order.
    expect(done).toEqual(Array.from({ length: 20_001 }, (_, i) => i));
  });

  test("finishes when the reader pauses between bursts (connections that woke to nothing are woken again)", async () => {
    await using service = await startTestService();
    const done: number[] = [];
    const outcome = await runScan(
      burstyLines(),
      { targets: [{ name: "127.0.0.1", connect: () => createConnection({ port: service.port, host: "127.0.0.1" }) }], now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      { connections: 8, window: 2048, replyBack: true, connectionTimeoutMs: 10_000, replyTimeoutMs: 60_000 },
      {
        onLineDone: (item) => {
          answered++;
          done.push(item.line);
        },
      },
    );
    expect({ ...outcome, done: done.length, distinct: new Set(done).size }).toEqual({
      sent: LINES,
      detections: LINES / 1000,
      failed: 0,
      complete: true,
      reconnects: 0,
      done: LINES,
      distinct: LINES,
    });
  }, 30_000);

  test("finishes when the last answers arrive one at a time after the input is exhausted", async () => {
    // In a child process: the bug was a microtask loop, which would starve this process's timers too.
    const child = spawn(process.execPath, [join(import.meta.dir, "scan_tail-fixture.ts")], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    clearTimeout(killer);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "done 3000 true\n", stderr: "" });
  }, 20_000);

  test("with two replicas, connections spread over both; when one stops mid-scan the other answers the rest: exact, no duplicates", async () => {
    const replicas = [await startTestService(), await startTestService()];
    await using _first = replicas[0]!;
    await using _second = replicas[1]!;
    const lines = 120_000;
    async function* input(): AsyncGenerator<ScanItem> {
      for (let i = 1; i <= lines; i++) yield { source: "big.log", line: i, text: i % 1000 === 0 ? `line ${i} src=192.0.2.0` : `line ${i} nothing` };
    }
    const done: number[] = [];
    const logs: string[] = [];
    let stopping: Promise<void> | undefined;
    const outcome = await runScan(
      input(),
      {
        targets: replicas.map((r) => ({ name: `127.0.0.1:${r.port}`, connect: () => createConnection({ port: r.port, host: "127.0.0.1" }) })),
        now: Date.now,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      },
      { connections: 4, window: 512, replyBack: true, connectionTimeoutMs: 10_000, replyTimeoutMs: 60_000 },
      {
        onLineDone: (item) => {
          done.push(item.line);
          // A third of the way in, the first replica stops for good (its port then refuses).
          if (done.length === lines / 3) stopping = replicas[0]!.close();
        },
        onLog: (message) => logs.push(message),
      },
    );
    await stopping;
    const [first, second] = replicas.map((r) => r.status().events.total);
    expect({ ...outcome, reconnects: outcome.reconnects > 0, done: done.length, distinct: new Set(done).size }).toEqual({
      sent: lines,
      detections: lines / 1000,
      failed: 0,
      complete: true,
      reconnects: true,
      done: lines,
      distinct: lines,
    });
    // Both replicas worked, and between them they saw every line (a line resent after the stop twice).
    expect({ first: first! > 0, second: second! > lines / 2, all: first! + second! >= lines }).toEqual({ first: true, second: true, all: true });
    expect(logs.some((l) => l.includes(`trying 127.0.0.1:${replicas[1]!.port}`))).toBe(true);
  }, 60_000);
});
