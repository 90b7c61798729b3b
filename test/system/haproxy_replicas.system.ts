/**
 * Replicas behind HAProxy (issue 17, docs/scale-out.md): HAProxy from Debian, run on the
 * haproxy.cfg printed in docs/scale-out.md with only its addresses replaced, in front of
 * `ioclens serve` replicas on loopback with ServiceSettings > ProxyProtocol on. A 300 k-line scan
 * through it survives a replica's SIGKILL with exact counts and no duplicates; HAProxy's PING
 * health check marks the dead replica down and, once restarted, up again (read from HAProxy's
 * stats socket); the client's real address reaches the SIEM output through send-proxy-v2; a
 * replica drained through the stats socket gets no new connection; an HAProxy reload mid-scan
 * cuts nothing. Without HAProxy, a scan over both replicas' addresses survives a SIGKILL too.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { connect as netConnect, createConnection } from "node:net";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { PING_PREAMBLE } from "../../src/protocol/preamble.ts";
import { probeService, tcpProbeConnect } from "../../src/protocol/probe.ts";
import { PROXY_V1_LOCAL } from "../../src/protocol/proxy_header.ts";
import { type Child, fetchStatus, freePort, killChildren, spawnChild, spawnIoclens, waitFor } from "../_support/child_processes.ts";
import { recordingIo } from "../_support/recording_io.ts";
import { ROOT, runProcess, tempDir } from "../_support/system_tools.ts";
import { startCollector } from "../_support/test_service.ts";

afterEach(killChildren);

/** Where scripts/install-system-deps.sh unpacks Debian's haproxy package. */
const HAPROXY = "/opt/ioclens-system-tests/haproxy/usr/sbin/haproxy";

function haproxyBinary(): string {
  if (!existsSync(HAPROXY)) throw new Error(`System test tool missing: ${HAPROXY} does not exist, run scripts/install-system-deps.sh as root`);
  return HAPROXY;
}

/** The haproxy.cfg block of docs/scale-out.md, as an operator would copy it. */
async function documentedConfig(): Promise<string> {
  const doc = await readFile(join(ROOT, "docs/scale-out.md"), "utf8");
  const block = /^```haproxy\n([\s\S]*?)^```$/m.exec(doc);
  if (!block) throw new Error("docs/scale-out.md: no ```haproxy block found");
  return block[1]!;
}

/** Replaces `from` in `what` (it must occur exactly once, so the test notices when the text changes) by `to`. */
function replaceOnce(what: string, text: string, from: string | RegExp, to: string): string {
  const count = typeof from === "string" ? text.split(from).length - 1 : (text.match(new RegExp(from.source, `${from.flags.replace("g", "")}g`)) ?? []).length;
  if (count !== 1) throw new Error(`${what}: found ${count} of ${from}, expected 1`);
  return text.replace(from, to);
}

/** The documented config on loopback: our front port, stats socket and replicas; logs to stdout. */
function loopbackConfig(doc: string, front: number, statsSocket: string, replicas: readonly number[]): string {
  const what = "haproxy.cfg of docs/scale-out.md";
  let cfg = replaceOnce(what, doc, "log /dev/log local0", "log stdout format raw local0");
  cfg = replaceOnce(what, cfg, "stats socket /run/haproxy/admin.sock", `stats socket ${statsSocket}`);
  cfg = replaceOnce(what, cfg, "bind :9999", `bind 127.0.0.1:${front}`);
  const servers = replicas.map((port, i) => `    server replica${i + 1} 127.0.0.1:${port}\n`).join("");
  return replaceOnce(what, cfg, /(?:^    server replica\d .*\n)+/m, servers);
}

/**
 * HAProxy's opinion of each server of the ioclens backend (`show stat` on the stats socket):
 * "UP" once a health check passed (`check_status` L7OK: the PONG came back), "DOWN" once checks
 * failed, else the raw `status:check_status` (a server counts as UP before its first check).
 */
async function serverStates(statsSocket: string): Promise<Record<string, string>> {
  const [header, ...rows] = (await haproxyCommand(statsSocket, "show stat")).trim().split("\n");
  const columns = (header ?? "").replace(/^# /, "").split(",");
  const [px, sv, status, check] = ["pxname", "svname", "status", "check_status"].map((c) => columns.indexOf(c));
  const states: Record<string, string> = {};
  for (const row of rows.map((r) => r.split(","))) {
    if (row[px!] !== "ioclens_replicas" || !/^replica\d$/.test(row[sv!]!)) continue;
    const [state, checked] = [row[status!]!.split(" ")[0]!, row[check!]!.replace(/^\* ?/, "")];
    states[row[sv!]!] = (state === "UP" && checked === "L7OK") || state === "DOWN" ? state : `${state}:${checked}`;
  }
  return states;
}

/** Sends one command to HAProxy's stats socket and returns its answer. */
function haproxyCommand(statsSocket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ path: statsSocket });
    let text = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
    socket.end(`${command}\n`);
  });
}

/** Sends `line` through the balancer on a new connection, as a forwarder would (no preamble). */
async function forward(port: number, line: string, localAddress = "127.0.0.1"): Promise<void> {
  const socket = createConnection({ host: "127.0.0.1", port, localAddress });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  await new Promise<void>((resolve) => socket.end(`${line}\n`, resolve));
}

async function waitForStates(statsSocket: string, expected: Record<string, string>, what: string): Promise<void> {
  // HAProxy changes a state only at a check (every 2 s here): reading it every 100 ms is plenty.
  await waitFor(async () => JSON.stringify(await serverStates(statsSocket).catch(() => ({}))) === JSON.stringify(expected), what, 30_000, 100);
}

interface Replica {
  readonly port: number;
  readonly statusPort: number;
  child: Child;
}

/** How a replica runs: under the watchdog or not (default not), with ProxyProtocol on (default) or off. */
interface ReplicaOptions {
  readonly watchdog?: boolean;
  readonly proxyProtocol?: boolean;
}

/**
 * A replica's config: the embedded one on its own ports, ProxyProtocol as asked, the SIEM output
 * at `siemPort`, `%SourceId%` in each detection, and a Source for clients from 127.0.0.2.
 */
function replicaConfig(port: number, statusPort: number, siemPort: number, proxyProtocol: boolean): string {
  const edits: [string, string][] = [
    ["<ConnectionString>127.0.0.1:9999</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`],
    ["<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${siemPort}</ConnectionString>`],
    ["<Listen>127.0.0.1:9997</Listen>", `<Listen>127.0.0.1:${statusPort}</Listen>`],
    ["</ServiceSettings>", `<ProxyProtocol>${proxyProtocol}</ProxyProtocol></ServiceSettings>`],
    ["<![CDATA[%Date% eventName=", "<![CDATA[%Date% source=%SourceId% eventName="],
    ["</RegExps>", '<Source id="edge" ip="127.0.0.2"><RE_IP type="IP" extract="all">ip=(\\S+)</RE_IP></Source></RegExps>'],
  ];
  return edits.reduce((text, [from, to]) => replaceOnce("the embedded service config", text, from, to), DEFAULT_SERVICE_CONFIG_TEXT);
}

/** Starts (or restarts, on the same ports) a replica and waits for its PONG (behind a PROXY header when it wants one). */
async function startReplica(dir: string, name: string, ports: { port: number; statusPort: number }, siemPort: number, options: ReplicaOptions = {}): Promise<Replica> {
  const { watchdog = false, proxyProtocol = true } = options;
  const config = join(dir, `${name}.conf`);
  await writeFile(config, replicaConfig(ports.port, ports.statusPort, siemPort, proxyProtocol));
  // Probes every 500 ms, so a watchdog whose probe the PROXY rule refused would restart the worker within the test.
  const child = spawnIoclens(["serve", "-c", config, ...(watchdog ? [] : ["--no-watchdog"])], { IOCLENS_PROBE_INTERVAL_MS: "500" });
  const probe = tcpProbeConnect({ host: "127.0.0.1", port: ports.port });
  await waitFor(async () => {
    if (child.code() !== undefined) throw new Error(`${name} exited ${child.code()}: ${child.stderr()}`);
    return probeService(probe, 1000, undefined, (proxyProtocol ? PROXY_V1_LOCAL : "") + PING_PREAMBLE);
  }, `${name} to answer PING`, 60_000, 100);
  return { ...ports, child };
}

/** HAProxy on the documented config; `masterWorker`: as Debian's haproxy.service runs it (-W), so SIGUSR2 reloads. */
async function startHaproxy(dir: string, replicas: readonly number[], masterWorker = false): Promise<{ front: number; statsSocket: string; child: Child }> {
  const front = await freePort();
  const statsSocket = join(dir, "haproxy.sock");
  const cfg = join(dir, "haproxy.cfg");
  await writeFile(cfg, loopbackConfig(await documentedConfig(), front, statsSocket, replicas));
  const child = spawnChild(haproxyBinary(), [...(masterWorker ? ["-W"] : []), "-db", "-f", cfg]);
  const all = Object.fromEntries(replicas.map((_, i) => [`replica${i + 1}`, "UP"]));
  await waitFor(() => {
    if (child.code() !== undefined) throw new Error(`haproxy exited ${child.code()}: ${child.stdout()}${child.stderr()}`);
    return existsSync(statsSocket);
  }, "haproxy's stats socket", 15_000, 50);
  await waitForStates(statsSocket, all, "haproxy to see every replica UP");
  return { front, statsSocket, child };
}

async function replicaStatus(replica: Replica): Promise<{ restarts: number; connections: { proxyRefused: number }; events: { total: number } }> {
  const status = await fetchStatus(replica.statusPort);
  if (!status) throw new Error(`GET /status of the replica on ${replica.port} failed: stderr ${replica.child.stderr().slice(-2000)}`);
  return status as unknown as { restarts: number; connections: { proxyRefused: number }; events: { total: number } };
}

/** Ports for a replica: its lookup port and its status endpoint. */
async function replicaPorts(): Promise<{ port: number; statusPort: number }> {
  return { port: await freePort(), statusPort: await freePort() };
}

/** Every 1000th line of a scan log holds a demo indicator. */
const EVERY = 1000;

/**
 * Starts `ioclens scan -r` (in this process) of `lines` lines over `connection`, with 8 threads
 * and Verbose on; `finished()` checks its result: exit 0, the exact counts, and each detected
 * line once in the report's sidecar.
 */
async function startScan(dir: string, lines: number, connection: string): Promise<{ io: ReturnType<typeof recordingIo>; finished(): Promise<void> }> {
  const log = join(dir, "big.log");
  await writeFile(log, Array.from({ length: lines }, (_, i) => ((i + 1) % EVERY === 0 ? `line ${i + 1} src=192.0.2.0` : `line ${i + 1} nothing to see`)).join("\n") + "\n");
  const config = join(dir, "log_scanner.conf");
  await writeFile(config, `<Settings><ThreadsCount>8</ThreadsCount><OutputDir>${dir}</OutputDir><Connection>${connection}</Connection><ConnectionTimeout>30</ConnectionTimeout><Verbose>1</Verbose></Settings>`);
  const io = recordingIo({ cwd: dir });
  const scanning = main(["scan", "-r", "-c", config, "-p", log], io);
  return {
    io,
    finished: async () => {
      expect({ code: await scanning, out: io.out() }).toMatchObject({ code: 0, out: expect.stringMatching(new RegExp(`^Total number of objects sent to KTFS: ${lines}\nTotal number of detects received from KTFS: ${lines / EVERY}\n`)) });
      const sidecar = (await readFile(/^Report: (.+)$/m.exec(io.out())![1]!.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n");
      const reported = sidecar.slice(0, -1).map((l) => JSON.parse(l).line as number).sort((x, y) => x - y);
      expect(reported).toEqual(Array.from({ length: lines / EVERY }, (_, i) => (i + 1) * EVERY));
    },
  };
}

/** Waits until `replica` has processed more than `events` events (its /status). */
async function waitForEvents(replica: Replica, events: number, what: string): Promise<void> {
  await waitFor(async () => ((await fetchStatus(replica.statusPort))?.events.total ?? 0) > events, what, 120_000, 50);
}

describe("HAProxy in front of ioclens serve replicas (docs/scale-out.md)", () => {
  test("the documented haproxy.cfg is valid as printed", async () => {
    await using dir = await tempDir("haproxy-check");
    const cfg = join(dir.path, "haproxy.cfg");
    await writeFile(cfg, await documentedConfig());
    const result = await runProcess(haproxyBinary(), ["-c", "-f", cfg]);
    expect({ code: result.code, out: result.stdout.trim(), err: result.stderr }).toEqual({ code: 0, out: "Configuration file is valid", err: "" });
  });

  test(
    "a 300 k-line scan survives one replica's SIGKILL midway: exact counts, no duplicates; the health check marks it down and, restarted, up",
    async () => {
      await using dir = await tempDir("haproxy-scan");
      await using siem = await startCollector(0, () => {});
      const [portsA, portsB] = [await replicaPorts(), await replicaPorts()];
      // A runs without the watchdog, so SIGKILL takes the whole replica down; B runs under it.
      const a = await startReplica(dir.path, "replica1", portsA, siem.port);
      const b = await startReplica(dir.path, "replica2", portsB, siem.port, { watchdog: true });
      const haproxy = await startHaproxy(dir.path, [a.port, b.port]);
      const LINES = 300_000;
      const scan = await startScan(dir.path, LINES, `127.0.0.1:${haproxy.front}`);

      // Midway: once replica1 has answered a fifth of the lines (about 40 % of its share).
      await waitForEvents(a, LINES / 5, "replica1 to be busy with the scan");
      a.child.process.kill("SIGKILL");
      await waitForStates(haproxy.statsSocket, { replica1: "DOWN", replica2: "UP" }, "the health check to mark replica1 DOWN");
      await scan.finished();
      expect(scan.io.err()).toContain("resending its unanswered lines");

      const restarted = await startReplica(dir.path, "replica1", portsA, siem.port);
      await waitForStates(haproxy.statsSocket, { replica1: "UP", replica2: "UP" }, "the health check to mark the restarted replica1 UP");
      // Every connection carried a PROXY header (health checks included), and B's watchdog probe was never refused.
      const [statusA, statusB] = [await replicaStatus(restarted), await replicaStatus(b)];
      expect({ refusedA: statusA.connections.proxyRefused, refusedB: statusB.connections.proxyRefused, restartsB: statusB.restarts, servedB: statusB.events.total > LINES / 2 }).toEqual({
        refusedA: 0,
        refusedB: 0,
        restartsB: 0,
        servedB: true,
      });
    },
    240_000,
  );

  test("the client's real address reaches the SIEM output through send-proxy-v2", async () => {
    await using dir = await tempDir("haproxy-client");
    await using siem = await startCollector();
    const replica = await startReplica(dir.path, "replica1", await replicaPorts(), siem.port);
    const haproxy = await startHaproxy(dir.path, [replica.port]);
    // Two forwarders without a preamble: one from 127.0.0.2 (Source "edge"), one from 127.0.0.1.
    for (const [localAddress, text, count] of [["127.0.0.2", "from the edge ip=192.0.2.0", 1], ["127.0.0.1", "from here ip=192.0.2.0", 2]] as const) {
      await forward(haproxy.front, text, localAddress);
      await siem.until((lines) => lines.filter((l) => l.includes("eventName=")).length === count);
    }
    const detections = siem.lines.filter((l) => l.includes("eventName=")).map((l) => /source=(\S+) .* ip=(\S*)/.exec(l)?.slice(1));
    // Behind HAProxy both connections come from 127.0.0.1: only the PROXY header can tell them apart.
    expect(detections).toEqual([
      ["edge", "192.0.2.0"],
      ["default", "192.0.2.0"],
    ]);
    expect((await replicaStatus(replica)).connections.proxyRefused).toBe(0);
  }, 120_000);

  test("a replica set to drain through the stats socket gets no new connection; set ready, it gets them again", async () => {
    await using dir = await tempDir("haproxy-drain");
    await using siem = await startCollector(0, () => {});
    const replicas = [
      await startReplica(dir.path, "replica1", await replicaPorts(), siem.port),
      await startReplica(dir.path, "replica2", await replicaPorts(), siem.port),
    ];
    const haproxy = await startHaproxy(dir.path, replicas.map((r) => r.port));
    const events = async () => Promise.all(replicas.map(async (r) => (await replicaStatus(r)).events.total));

    // The command of docs/scale-out.md, section 4.
    expect(await haproxyCommand(haproxy.statsSocket, "set server ioclens_replicas/replica1 state drain")).toBe("\n");
    for (let i = 0; i < 6; i++) await forward(haproxy.front, `drained ${i}`);
    await waitFor(async () => (await events())[1] === 6, "replica2 to process the six lines", 15_000, 50);
    expect(await events()).toEqual([0, 6]);

    expect(await haproxyCommand(haproxy.statsSocket, "set server ioclens_replicas/replica1 state ready")).toBe("\n");
    for (let i = 0; i < 6; i++) await forward(haproxy.front, `ready ${i}`);
    await waitFor(async () => (await events()).reduce((a, b) => a + b) === 12, "the twelve lines to be processed", 15_000, 50);
    // leastconn over short connections: replica1 is back in the rotation.
    expect((await events())[0]).toBeGreaterThan(0);
  }, 120_000);

  test("reloading HAProxy (master-worker, SIGUSR2) in the middle of a scan cuts no connection", async () => {
    await using dir = await tempDir("haproxy-reload");
    await using siem = await startCollector(0, () => {});
    const replica = await startReplica(dir.path, "replica1", await replicaPorts(), siem.port);
    const haproxy = await startHaproxy(dir.path, [replica.port], true);
    const LINES = 200_000;
    const scan = await startScan(dir.path, LINES, `127.0.0.1:${haproxy.front}`);
    let finished = false;
    const scanned = scan.finished().finally(() => (finished = true));

    await waitForEvents(replica, LINES / 10, "the scan to be under way");
    // The replica is stopped until the reload is done, so the scan cannot finish before it
    // however fast this machine is (it still waits for most of its answers); the connections
    // meanwhile stay with HAProxy's old worker. A health check takes up to 5 s to fail: far
    // longer than a reload.
    replica.child.process.kill("SIGSTOP");
    try {
      const stoppedWhileScanning = !finished;
      haproxy.child.process.kill("SIGUSR2");
      // The master says "Loading success." at start and again once the reload's new worker runs.
      const loads = () => haproxy.child.stderr().split("Loading success.").length - 1;
      await waitFor(() => {
        if (haproxy.child.code() !== undefined) throw new Error(`haproxy exited ${haproxy.child.code()} on reload: ${haproxy.child.stderr()}`);
        return loads() === 2;
      }, "haproxy to reload", 30_000, 20);
      expect({ stoppedWhileScanning, finishedDuringReload: finished }).toEqual({ stoppedWhileScanning: true, finishedDuringReload: false });
    } finally {
      replica.child.process.kill("SIGCONT");
    }
    await scanned;
    expect(scan.io.err()).toBe("");
  }, 240_000);

  test("without a balancer, a scan over both replicas' addresses survives one's SIGKILL: exact counts, no duplicates", async () => {
    await using dir = await tempDir("replicas-direct");
    await using siem = await startCollector(0, () => {});
    const a = await startReplica(dir.path, "replica1", await replicaPorts(), siem.port, { proxyProtocol: false });
    const b = await startReplica(dir.path, "replica2", await replicaPorts(), siem.port, { proxyProtocol: false });
    const LINES = 300_000;
    const scan = await startScan(dir.path, LINES, `127.0.0.1:${a.port}, 127.0.0.1:${b.port}`);
    await waitForEvents(a, LINES / 5, "replica1 to be busy with the scan");
    a.child.process.kill("SIGKILL");
    await scan.finished();
    // Its connections to replica1 were lost and moved to replica2, which answered the rest.
    expect({
      resent: scan.io.err().includes("resending its unanswered lines"),
      moved: scan.io.err().includes(`trying 127.0.0.1:${b.port}`),
      servedB: (await replicaStatus(b)).events.total > LINES / 2,
    }).toEqual({ resent: true, moved: true, servedB: true });
  }, 240_000);
});
