/**
 * Stopping with clients connected, the connection cap and the idle-slot timeout (issue 12 #1,
 * #7, #8): a stop never waits for a client that never hangs up, idle connections cannot use up
 * the worker, and a client holding a scanner slot without sending cannot starve the others.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { converse, startCollector, startTestService, testConfig } from "../_support/test_service.ts";
import { fetchStatus, killChildren, pong, spawnIoclens, waitFor } from "../_support/child_processes.ts";
import { writeServiceConfig } from "./_service_config.ts";

afterEach(killChildren);

const open: Socket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
});

async function connect(port: number, first?: string): Promise<Socket> {
  const socket = createConnection({ host: "127.0.0.1", port });
  open.push(socket);
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  if (first !== undefined) await new Promise<void>((resolve) => socket.write(first, () => resolve()));
  return socket;
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));

const withSettings = (settings: string) => (xml: string) => xml.replace("<ServiceSettings>", `<ServiceSettings>${settings}`);

/** The embedded config with `settings` in ServiceSettings and detections going to `collector`. */
const configFor = (collector: { port: number }, settings: string) =>
  testConfig((xml) => withSettings(settings)(xml).replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${collector.port}</ConnectionString>`));

describe("stop with clients connected", () => {
  test("idle, silent and ReplyBack clients are closed at once; ServiceStopped is sent; nothing is dropped", async () => {
    await using collector = await startCollector();
    const config = configFor(collector, "<StopDrainTimeout>600</StopDrainTimeout>");
    const service = await startTestService(config);
    const silent = await connect(service.port);
    const forwarder = await connect(service.port, "a 192.0.2.0\n");
    const replyBack = await connect(service.port);
    await converse(service.port, ["X-KF-SendFinishedEventX-KF-ReplyBack", "b 192.0.2.1\n"], 1);
    await waitFor(() => service.status().events.total === 2, "both events to be processed");

    // The drain time is 600 s: resolving at all shows nobody waited for a deadline.
    await service.close();
    await Promise.all([closed(silent), closed(forwarder), closed(replyBack)]);
    await collector.until((lines) => lines.some((l) => l.includes("KL_ALERT_ServiceStopped")));
    expect(service.status().events.dropped).toBe(0);
    expect(service.logs.filter((l) => l.startsWith("warn"))).toEqual([]);
  });

  test("a client in the middle of a line keeps the stop waiting until the drain deadline, then its partial line is counted as dropped", async () => {
    await using collector = await startCollector();
    const config = configFor(collector, "<StopDrainTimeout>1</StopDrainTimeout>");
    const service = await startTestService(config);
    const midLine = await connect(service.port);
    // The whole line is answered in the same read as the half line after it.
    await converseOn(midLine, "X-KF-ReplyBackhttp://fakess123.nu\nhalf a li");
    await service.close();
    await closed(midLine);
    await collector.until((lines) => lines.some((l) => l.includes("KL_ALERT_ServiceStopped")));
    expect(service.status().events).toMatchObject({ total: 1, dropped: 1 });
    expect(service.logs.filter((l) => l.startsWith("warn")).map((l) => l.replace(/ \{.*$/, ""))).toEqual([
      "warn stop: 1 connection(s) still busy after ServiceSettings > StopDrainTimeout 1 s: closing them",
      "warn a partial line was dropped: the service stopped before its end of line; 1 dropped so far",
    ]);
  });

  test("a client that completes its line during the drain gets its answer, then the stop finishes", async () => {
    await using collector = await startCollector();
    const service = await startTestService(configFor(collector, "<StopDrainTimeout>600</StopDrainTimeout>"));
    const client = await connect(service.port);
    await converseOn(client, "X-KF-SendFinishedEventX-KF-ReplyBackhttp://fakess123.nu\nhttp://fakess");
    const stopping = service.close();
    const answer = converseOn(client, "123ap.nu\n");
    expect(await answer).toContain("LookupFinished");
    await stopping;
    await closed(client);
    expect(service.status().events).toMatchObject({ total: 2, dropped: 0 });
  });

  test("under the watchdog, SIGTERM with an idle forwarder connected stops cleanly: no SIGKILL, exit 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ioclens-stop-"));
    try {
      const files = await writeServiceConfig(dir);
      const serve = spawnIoclens(["serve", "-c", files.config]);
      await waitFor(() => pong(files.port), "the service to answer PING", 15_000, 50);
      const forwarder = await connect(files.port, "a 192.0.2.0\n");
      await waitFor(async () => (await fetchStatus(files.statusPort))?.events.total === 1, "the event to be processed", 15_000, 50);
      serve.process.kill("SIGTERM");
      expect(await serve.exited).toBe(0);
      await closed(forwarder);
      expect(serve.stderr()).not.toContain("SIGKILL");
      expect(serve.stderr()).toMatch(/\[worker\] stopped events=1 detections=1\n/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("connection limits", () => {
  test("MaxConnections: connections above it are refused at once, counted and logged; the others are served", async () => {
    const service = await startTestService(testConfig(withSettings("<MaxConnections>3</MaxConnections>")));
    const held = [await connect(service.port), await connect(service.port), await connect(service.port)];
    await waitFor(() => service.status().connections.open === 3, "three connections to be open");
    const refused = await connect(service.port);
    await closed(refused);
    expect(service.status().connections).toMatchObject({ open: 3, max: 3, refused: 1 });
    expect(service.logs.filter((l) => l.startsWith("warn connection refused"))).toHaveLength(1);
    held[0]!.destroy();
    await waitFor(() => service.status().connections.open === 2, "a connection to close");
    expect(await converse(service.port, ["X-KF-SendFinishedEventX-KF-ReplyBack", "http://fakess123.nu\n"], 1)).toContainEqual(expect.stringContaining("LookupFinished"));
    await service.close();
  });

  test("an open-file limit below MaxConnections lowers the cap, so idle connections cannot exhaust the worker's descriptors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ioclens-fds-"));
    try {
      const files = await writeServiceConfig(dir);
      // 192 descriptors: the cap becomes 128 (64 kept for feeds, targets and the runtime).
      const serve = spawnIoclens(["serve", "--no-watchdog", "-c", files.config], {}, { openFiles: 192 });
      await waitFor(() => pong(files.port), "the service to answer PING", 15_000, 50);
      const sockets = await Promise.all(Array.from({ length: 300 }, () => connect(files.port)));
      await waitFor(async () => (await fetchConnections(files.statusPort))?.refused === 300 - 128, "172 connections to be refused", 15_000, 50);
      expect(await fetchConnections(files.statusPort)).toMatchObject({ open: 128, max: 128, refused: 172 });
      for (const socket of sockets) socket.destroy();
      // Served again once the idle ones are gone: the listener never ran out of descriptors.
      await waitFor(async () => (await fetchConnections(files.statusPort))?.open === 0, "the connections to close", 15_000, 50);
      expect(await converse(files.port, ["X-KF-SendFinishedEventX-KF-ReplyBack", "http://fakess123.nu\n"], 1)).toContainEqual(expect.stringContaining("LookupFinished"));
      expect(serve.stderr()).toContain("ServiceSettings > MaxConnections 1024 is above what the open-file limit 192 allows: using 128");
      serve.process.kill("SIGTERM");
      expect(await serve.exited).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("IdleTimeout: a client holding the only scanner without sending gives it up to a waiting client", async () => {
    // ScannersCount 2 leaves one scanner for events (the other is the health probe's).
    const service = await startTestService(testConfig(withSettings("<ScannersCount>2</ScannersCount><IdleTimeout>1</IdleTimeout>")));
    const holder = await connect(service.port, "half a line and then silence");
    await waitFor(() => service.status().connections.active === 1, "the holder to take the scanner");
    const answer = converse(service.port, ["X-KF-SendFinishedEventX-KF-ReplyBack", "http://fakess123.nu\n"], 1);
    await waitFor(() => service.status().connections.waiting === 1, "the second client to wait");
    expect(await answer).toContainEqual(expect.stringContaining("LookupFinished"));
    await closed(holder);
    expect(service.status().connections).toMatchObject({ idleClosed: 1 });
    expect(service.status().events.dropped).toBe(1);
    expect(service.logs.filter((l) => l.startsWith("warn idle connection closed"))).toHaveLength(1);
    await service.close();
  });

  test("IdleTimeout: an idle client is left alone while nobody waits", async () => {
    const service = await startTestService(testConfig(withSettings("<ScannersCount>2</ScannersCount><IdleTimeout>1</IdleTimeout>")));
    const holder = await connect(service.port, "\n");
    await waitFor(() => service.status().connections.active === 1, "the holder to take the scanner");
    // Past the timeout by the service's own clock (its idle check runs every 250 ms).
    const since = Date.now();
    await waitFor(() => Date.now() - since > 1500, "the idle timeout to pass", 5000, 100);
    expect(holder.destroyed).toBe(false);
    expect(service.status().connections).toMatchObject({ active: 1, idleClosed: 0 });
    await service.close();
  });
});

async function fetchConnections(statusPort: number): Promise<{ open: number; max: number; refused: number } | undefined> {
  const res = await fetch(`http://127.0.0.1:${statusPort}/status`).catch(() => undefined);
  return res?.ok ? ((await res.json()) as { connections: { open: number; max: number; refused: number } }).connections : undefined;
}

/** Writes `text` on `socket` and resolves with what comes back once a LookupFinished arrives. */
function converseOn(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const onData = (chunk: Buffer) => {
      got += chunk.toString();
      if (got.includes("LookupFinished")) {
        socket.off("data", onData);
        resolve(got);
      }
    };
    socket.on("data", onData);
    socket.write(text);
  });
}
