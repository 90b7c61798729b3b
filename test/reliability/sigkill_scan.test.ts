import { afterEach, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childPids, fetchStatus, killChildren, pong, spawnIoclens, waitFor } from "../_support/child_processes.ts";
import { writeScannerConfig, writeServiceConfig } from "./_service_config.ts";

const LINES = 300_000;
const EVERY = 1000;

afterEach(killChildren);

test("SIGKILL of the service in the middle of a scan: the watchdog restarts it, the scanner resends, counts exact, nothing duplicated", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ioclens-sigkill-"));
  try {
    const log = join(dir, "big.log");
    const parts: string[] = [];
    for (let i = 1; i <= LINES; i++) parts.push(i % EVERY === 0 ? `line ${i} src=192.0.2.0` : `line ${i} nothing to see`);
    await writeFile(log, parts.join("\n") + "\n");
    const service = await writeServiceConfig(dir);
    const scannerConfig = await writeScannerConfig(dir, service.port);

    const watchdog = spawnIoclens(["serve", "-c", service.config]);
    await waitFor(() => pong(service.port), "the service to answer PING", 15_000, 50);
    const [workerPid] = childPids(watchdog.pid);
    expect(workerPid).toBeNumber();

    const scan = spawnIoclens(["scan", "-r", "-c", scannerConfig, "-p", log]);
    await waitFor(async () => ((await fetchStatus(service.statusPort))?.events.total ?? 0) > LINES / 5, "the scan to be under way", 15_000, 20);
    process.kill(workerPid!, "SIGKILL");

    const code = await scan.exited;
    const status = await fetchStatus(service.statusPort);
    expect({ code, stderr: scan.stderr().includes("resending its unanswered lines") }).toEqual({ code: 0, stderr: true });
    expect(scan.stdout()).toMatch(new RegExp(`^Total number of objects sent to KTFS: ${LINES}\nTotal number of detects received from KTFS: ${LINES / EVERY}\n`));
    const sidecar = (await readFile(/^Report: (.+)$/m.exec(scan.stdout())![1]!.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n");
    const detected = sidecar.slice(0, -1).map((l) => JSON.parse(l).line as number).sort((a, b) => a - b);
    expect(detected).toEqual(Array.from({ length: LINES / EVERY }, (_, i) => (i + 1) * EVERY));
    // The replacement worker knows it is one.
    expect(status?.restarts).toBe(1);
    expect(childPids(watchdog.pid)).not.toContain(workerPid);
    expect(watchdog.stderr()).toContain("Worker exited");

    watchdog.process.kill("SIGTERM");
    expect(await watchdog.exited).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
