/**
 * A watchdog killed with SIGKILL cannot stop its worker (issue 12 #12): the worker notices the
 * end of the pipe the watchdog held, stops and frees the port, so the next `ioclens serve`
 * starts instead of exiting 5 with "address already in use".
 */
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { childPids, killChildren, pong, spawnIoclens, waitFor } from "../_support/child_processes.ts";
import { writeServiceConfig } from "./_service_config.ts";

/** Orphans are not our children any more: killChildren cannot find them, this list can. */
const orphans: number[] = [];

afterEach(async () => {
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone, as it should be.
    }
  }
  await killChildren();
});

/** Whether `pid` still runs: a zombie (state Z, waiting for its new parent to reap it) does not. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

test("SIGKILL of the watchdog: its worker stops and frees the port, and a new serve starts on it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ioclens-orphan-"));
  try {
    const service = await writeServiceConfig(dir);
    const first = spawnIoclens(["serve", "-c", service.config]);
    await waitFor(() => first.stdout().includes("serving on"), "the first worker to listen", 15_000, 20);
    const [worker] = childPids(first.pid);
    expect(worker).toBeNumber();
    orphans.push(worker!);

    process.kill(first.pid, "SIGKILL");
    await waitFor(() => !running(worker!), "the orphaned worker to exit", 15_000, 20);
    // The worker's stderr was the watchdog's, so its last words are in the first process's.
    await first.exited;
    expect(first.stderr()).toMatch(/\[worker\] the watchdog is gone \(its pipe to this worker closed\): stopping\n(.*\n)*.*\[worker\] stopped events=0 detections=0\n/);

    const second = spawnIoclens(["serve", "-c", service.config]);
    await waitFor(() => second.stdout().includes("serving on") || second.code() !== undefined, "the second serve to listen or exit", 15_000, 20);
    expect({ code: second.code(), stderr: second.stderr().includes("address already in use") }).toEqual({ code: undefined, stderr: false });
    expect(await pong(service.port)).toBe(true);

    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 45_000);

test("SIGKILL of the watchdog while its worker loads feeds: the worker stops without ever listening", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ioclens-orphan-loading-"));
  try {
    // 1 GiB of empty lines in a 1 MB file: half a minute of loading, far longer than the test.
    const member = gzipSync(new Uint8Array(2 ** 20).fill(0x0a), { level: 9 });
    await writeFile(join(dir, "slow.txt.gz"), Buffer.concat(Array.from({ length: 1024 }, () => member)));
    const service = await writeServiceConfig(dir, (xml) =>
      xml
        .replace(/<Feeds[\s\S]*?<\/Feeds>/, `<Feeds update_frequency="0"><Feed filename="slow.txt.gz" format="lines"/></Feeds>`)
        .replace(/<Bases>[^<]*<\/Bases>/, `<Bases>${dir}</Bases>`),
    );
    const first = spawnIoclens(["serve", "-c", service.config]);
    await waitFor(() => childPids(first.pid).length > 0, "the watchdog to start its worker", 15_000, 20);
    const [worker] = childPids(first.pid);
    orphans.push(worker!);

    process.kill(first.pid, "SIGKILL");
    await waitFor(() => !running(worker!), "the orphaned worker to exit", 15_000, 20);
    await first.exited;
    expect(first.stdout()).not.toContain("serving on");
    expect(first.stderr()).toMatch(/\[worker\] the watchdog is gone \(its pipe to this worker closed\): stopping\n(.*\n)*.*\[worker\] stopped while loading feeds\n/);
    expect(await pong(service.port)).toBe(false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 45_000);
