/**
 * Connections as real clients end or last: a client that goes away in the middle of a line
 * (hanging up, or its process dying with a reset), and a forwarder's connection held for days
 * with a line now and then, across a feed reload and many other clients' connections. Time
 * passes on the service's injected clock; nothing waits for it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createConnection, type Socket } from "node:net";
import { waitFor } from "../_support/child_processes.ts";
import { converse, startCollector, startTestService, testConfig } from "../_support/test_service.ts";
import { ReplaySocket } from "./_replay_socket.ts";

const FLAGS = "X-KF-SendFinishedEventX-KF-ReplyBack";
const WAIT_MS = 10_000;

const open: Socket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
});

async function connect(port: number): Promise<Socket> {
  const socket = createConnection({ host: "127.0.0.1", port });
  open.push(socket);
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return socket;
}

const written = (socket: Socket, text: string) => new Promise<void>((resolve) => socket.write(text, () => resolve()));

/** The embedded config with detections and finished events going to `collector`. */
const toCollector = (collector: { port: number }, edit: (xml: string) => string = (x) => x) =>
  testConfig((xml) => edit(xml.replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${collector.port}</ConnectionString>`)));

/** Detections as `matchedIndicator`, finished events as `finished N`; service alerts left out. */
const shapeOf = (lines: readonly string[]) =>
  lines.filter((l) => !l.includes("alert=KL_ALERT")).map((l) => (l.includes("LookupFinished") ? `finished ${/sent_events=(\d+)/.exec(l)?.[1]}` : /matchedIndicator=(\S+)/.exec(l)?.[1] ?? l));

describe("a client that closes in the middle of a line", () => {
  test("a forwarder that hangs up after half a line: its last, unterminated line is processed like any other", async () => {
    await using collector = await startCollector();
    await using service = await startTestService(toCollector(collector));
    const socket = await connect(service.port);
    socket.end("a http://fakess123.nu\nb 192.0.2.0");
    await collector.until((lines) => shapeOf(lines).filter((s) => s.startsWith("finished")).length === 2);
    await waitFor(() => service.status().connections.open === 0, "the connection to close", WAIT_MS, 10);
    expect(shapeOf(collector.lines)).toEqual(["fakess123.nu", "finished 1", "192.0.2.0", "finished 1"]);
    expect(service.status().events).toMatchObject({ total: 2, dropped: 0 });
  });

  test("a forwarder whose connection is reset after half a line: the whole lines are processed, the half line is counted as dropped", async () => {
    await using collector = await startCollector();
    await using service = await startTestService(toCollector(collector));
    const socket = await connect(service.port);
    await written(socket, "a http://fakess123.nu\nb 192.0.2.0\nc http://fakess1");
    await waitFor(() => service.status().events.total === 2, "the two whole lines to be processed", WAIT_MS, 10);
    socket.resetAndDestroy();
    await waitFor(() => service.status().connections.open === 0, "the reset connection to close", WAIT_MS, 10);

    expect(service.status().events).toMatchObject({ total: 2, dropped: 1 });
    expect(service.logs.filter((l) => l.startsWith("warn"))).toEqual(["warn a partial line was dropped: the connection closed before its end of line; 1 dropped so far"]);
    // The service goes on serving: a lookup right after is answered.
    expect(shapeOf(await converse(service.port, [FLAGS, "http://fakess123.nu\n"], 1))).toEqual(["fakess123.nu", "finished 1"]);
    await collector.until((lines) => shapeOf(lines).length === 4);
    expect(shapeOf(collector.lines)).toEqual(["fakess123.nu", "finished 1", "192.0.2.0", "finished 1"]);
  });

  test("a ReplyBack client that sends a line and half of the next, then hangs up without reading: no crash, the connection is freed", async () => {
    await using service = await startTestService();
    const socket = await connect(service.port);
    await written(socket, FLAGS);
    socket.end("http://fakess123.nu\n192.0.2.");
    socket.destroy();
    await waitFor(() => service.status().connections.open === 0, "the connection to close", WAIT_MS, 10);
    expect(service.status().events).toMatchObject({ total: 2, dropped: 0 });
    expect(shapeOf(await converse(service.port, [FLAGS, "192.0.2.0\n"], 1))).toEqual(["192.0.2.0", "finished 1"]);
  });
});

describe("a connection held open for days", () => {
  test("stays served with its own answers across a feed reload and hundreds of other clients' connections", async () => {
    // 12:00 UTC, so the syslog date of %Date% is the same day in any time zone within 11 h of UTC.
    const start = Date.UTC(2024, 4, 19, 12, 0, 0);
    let now = start;
    const DAY = 86_400_000;
    const feeds = new Map([["watchlist.txt", "198.51.100.1\n"]]);
    const config = testConfig((xml) => xml.replace("</Feeds>", `<Feed filename="watchlist.txt" format="lines" category="WATCHLIST_IP" indicator_lifetime="0"/></Feeds>`));
    await using service = await startTestService(config, { extraFeeds: feeds, now: () => now });

    const held = await ReplaySocket.connect(service.port);
    await held.send(FLAGS);
    /** One line on the held connection; its answer up to and including the finished event. */
    const ask = async (line: string) => {
      await held.send(`${line}\n`);
      let data = "";
      while (!data.includes("LookupFinished")) {
        const chunk = await held.recv(65536, WAIT_MS);
        if (chunk === undefined || chunk === "") throw new Error(`held connection: ${chunk === "" ? "closed" : "no answer"} after ${JSON.stringify(data)}`);
        data += chunk;
      }
      return data.split("\n").filter((l) => l !== "");
    };
    /** `count` other clients, four at a time: lookups that hang up, and forwarders. */
    const others = async (count: number) => {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const k = next++;
          if (k % 2 === 0) expect(shapeOf(await converse(service.port, [FLAGS, `k=${k} 192.0.2.0\n`], 1))).toEqual(["192.0.2.0", "finished 1"]);
          else (await connect(service.port)).end(`k=${k} nothing here\n`);
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    };

    expect(shapeOf(await ask("day 0 203.0.113.9"))).toEqual(["finished 0"]);
    now += DAY;
    await others(200);
    feeds.set("watchlist.txt", "198.51.100.1\n203.0.113.9\n");
    expect(await service.reload()).toEqual({ ok: true });
    now += 2 * DAY;
    await others(200);

    const day3 = await ask("day 3 203.0.113.9");
    expect(shapeOf(day3)).toEqual(["203.0.113.9", "finished 1"]);
    expect(day3[0]).toStartWith("May 22 ");
    now += 4 * DAY;
    expect(shapeOf(await ask("day 7 http://fakess123.nu"))).toEqual(["fakess123.nu", "finished 1"]);

    await waitFor(() => service.status().connections.open === 1, "the other clients' connections to close", WAIT_MS, 10);
    expect(service.status().events).toMatchObject({ total: 403, dropped: 0 });
    expect(service.status().connections).toMatchObject({ open: 1, idleClosed: 0 });
    held.close();
    await waitFor(() => service.status().connections.open === 0, "the held connection to close", WAIT_MS, 10);
  });
});
