/**
 * Signals to the real binary's watchdog: SIGTERM and Ctrl+C stop both processes cleanly, a
 * second Ctrl+C stops at once, SIGHUP reloads the worker's feeds, and a SIGKILL leaves no
 * worker behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createConnection } from "node:net";
import { join } from "node:path";
import { probeService, tcpProbeConnect } from "../../src/protocol/probe.ts";
import { ensureBinary, isRunning, replyBackLookup, serviceDir, startCollector, startServe, stillRunningAfter, workerStarted } from "../_support/ioclens_binary.ts";

const root = mkdtempSync(join(tmpdir(), "ioclens-e2e-signals-"));

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("ioclens serve (watchdog signals)", () => {
  test("SIGTERM stops the supervisor and its worker, exit 0", async () => {
    await using output = await startCollector();
    await using alerts = await startCollector();
    const { dir, ports } = await serviceDir(root, output, alerts);
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir);
    await serve.waitReady(ports.input);
    const worker = Number((await serve.waitForLog(workerStarted(0)))[1]);

    process.kill(serve.pid, "SIGTERM");
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(isRunning(worker)).toBe(false);
    expect(serve.stderr()).toMatch(/\[watchdog\] Stopping worker pid=\d+\n(.*\n)*.*\[worker\] stopped events=0 detections=0\n/);
    expect(await probeService(tcpProbeConnect({ host: "127.0.0.1", port: ports.input }), 1000)).toBe(false);
    expect(await alerts.waitForLine(/ alert=KL_ALERT_ServiceStopped$/)).toContain("KL_ALERT_ServiceStopped");
  });

  test("Ctrl+C in a terminal (SIGINT to the whole process group) lets the worker drain and stop cleanly", async () => {
    await using output = await startCollector();
    await using alerts = await startCollector();
    const { dir, ports } = await serviceDir(root, output, alerts);
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir, { detached: true });
    await serve.waitReady(ports.input);

    // A client still connected keeps the worker draining until it hangs up.
    const client = createConnection({ host: "127.0.0.1", port: ports.input });
    await new Promise<void>((done) => {
      client.on("data", (chunk: Buffer) => chunk.toString().includes("alert=LookupFinished") && done());
      client.write("X-KF-ReplyBackGET http://fakess123.nu/ 200\n");
    });
    const from = serve.stderr().length;
    process.kill(-serve.pid, "SIGINT");
    await serve.waitForLog(/\[watchdog\] Stopping worker/, from);
    await serve.waitForLog(/\[worker\] stopping\n/, from);
    client.end();

    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(serve.stderr().slice(from)).toMatch(/\[worker\] stopped events=1 detections=1\n/);
    expect(await alerts.waitForLine(/ alert=KL_ALERT_ServiceStopped$/)).toContain("KL_ALERT_ServiceStopped");
  });

  test("a second Ctrl+C stops at once (exit 130) and takes the worker along", async () => {
    await using output = await startCollector();
    await using alerts = await startCollector();
    // A long drain time, so the worker is surely still draining when the second Ctrl+C comes.
    const { dir, ports } = await serviceDir(root, output, alerts, (xml) => xml.replace("<ServiceSettings>", "<ServiceSettings><StopDrainTimeout>600</StopDrainTimeout>"));
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir, { detached: true });
    await serve.waitReady(ports.input);
    const worker = Number((await serve.waitForLog(workerStarted(0)))[1]);

    // A client in the middle of a line keeps the worker draining after the first Ctrl+C.
    const client = createConnection({ host: "127.0.0.1", port: ports.input });
    await new Promise<void>((done) => client.once("connect", () => done()));
    // One write: once the whole line is answered, the worker has read the half line after it.
    await new Promise<void>((done) => {
      client.on("data", (chunk: Buffer) => chunk.toString().includes("alert=LookupFinished") && done());
      client.write("X-KF-ReplyBackGET http://fakess123.nu/ 200\nhalf a line");
    });
    const from = serve.stderr().length;
    process.kill(-serve.pid, "SIGINT");
    await serve.waitForLog(/\[worker\] stopping\n/, from);
    process.kill(-serve.pid, "SIGINT");

    expect(await serve.exited).toEqual({ code: 130, signal: null });
    client.destroy();
    // Bounded only so that a failure ends the test; a stop takes milliseconds.
    expect(await stillRunningAfter(worker, 15_000)).toBe(false);
  });

  test("SIGHUP reloads the worker's feeds from the bases folder", async () => {
    await using output = await startCollector();
    await using alerts = await startCollector();
    const bases = join(root, "bases");
    rmSync(bases, { recursive: true, force: true });
    mkdirSync(bases);
    writeFileSync(join(bases, "e2e_ips.txt"), "198.51.100.7\n");
    const { dir, ports } = await serviceDir(root, output, alerts, (xml) =>
      xml
        .replace(/<Feeds [^>]*>[\s\S]*<\/Feeds>/, `<Feeds update_frequency="0"><Feed filename="e2e_ips.txt" format="lines" category="E2E_IP" indicator_lifetime="0"/></Feeds>`)
        .replace("<Bases>&lt;embedded&gt;</Bases>", `<Bases>${bases}</Bases>`),
    );
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir);
    await serve.waitReady(ports.input);

    const hits = async (ip: string) => (await replyBackLookup(ports.input, `SRC=${ip} DST=192.0.2.200`)).filter((l) => l.includes("category=E2E_IP")).map((l) => /matchedIndicator=(\S+)/.exec(l)?.[1]);
    expect([await hits("198.51.100.7"), await hits("198.51.100.8")]).toEqual([["198.51.100.7"], []]);

    writeFileSync(join(bases, "e2e_ips.txt"), "198.51.100.7\n198.51.100.8\n");
    const from = serve.stderr().length;
    process.kill(serve.pid, "SIGHUP");
    await serve.waitForLog(/\[worker\] reload done\n/, from);
    expect([await hits("198.51.100.7"), await hits("198.51.100.8")]).toEqual([["198.51.100.7"], ["198.51.100.8"]]);
    expect(serve.stderr().slice(from)).not.toMatch(/Worker (started|exited)/);
  });

  test("SIGKILL of the watchdog: the worker stops on its own, and a new serve starts on the same ports", async () => {
    await using output = await startCollector();
    await using alerts = await startCollector();
    const { dir, ports } = await serviceDir(root, output, alerts);
    await using first = startServe(["-c", "kl_feed_service.conf"], dir);
    await first.waitReady(ports.input);
    const worker = Number((await first.waitForLog(workerStarted(0)))[1]);

    process.kill(first.pid, "SIGKILL");
    expect(await stillRunningAfter(worker, 10_000)).toBe(false);
    // The worker wrote to the watchdog's stderr, which closes only once the worker has exited.
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(first.stderr()).toMatch(/\[worker\] the watchdog is gone \(its pipe to this worker closed\): stopping\n(.*\n)*.*\[worker\] stopped events=0 detections=0\n/);
    expect(await alerts.waitForLine(/ alert=KL_ALERT_ServiceStopped$/)).toContain("KL_ALERT_ServiceStopped");

    await using second = startServe(["-c", "kl_feed_service.conf"], dir);
    await second.waitReady(ports.input);
    await second.waitForLog(workerStarted(0));
    expect(second.stderr()).not.toContain("address already in use");
  });
});
