import { afterEach, describe, expect, test } from "bun:test";
import type { ConnectionLimits } from "../../src/config/types.ts";
import { Connections, type ConnectionCounters } from "../../src/service/connections.ts";
import { compilePipeline } from "../../src/service/process_event.ts";
import type { SessionHost } from "../../src/service/session.ts";
import { SlotPool } from "../../src/service/slot_pool.ts";
import { FakeSocket } from "./_fake_socket.ts";
import { testConfig } from "../_support/test_service.ts";

/** Lets every pending promise reaction and queued callback run (a macrotask turn, not a wait for time). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// A Source for one client address, so which client the service saw shows in each event's SourceId.
const pipeline = compilePipeline(testConfig((xml) => xml.replace("</RegExps>", '<Source id="client7" ip="192.0.2.7, 2001:db8::7"><RE_IP type="IP">ip=(\\S+)</RE_IP></Source></RegExps>')));
const index = { lookup: () => ({ records: [], suppressed: 0 }), counts: () => new Map<string, number>() };

const opened: Connections[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.stopAccepting();
});

/** Connections over fake sockets, with `slots` scanner slots and a clock the test sets. */
function harness(limits: Partial<ConnectionLimits> = {}, slots = 1, pongLine?: () => string) {
  const clock = { t: 0 };
  const logs: string[] = [];
  const counters: ConnectionCounters = { refused: 0, evicted: 0, dropped: 0, proxyRefused: 0 };
  const events: string[] = [];
  /** The SourceId each event was processed under: which client the service saw. */
  const sources: string[] = [];
  const host: SessionHost = {
    current: () => ({ pipeline, index }),
    now: () => clock.t,
    toOutput: () => {},
    onEvent: (event, result) => {
      events.push(event);
      sources.push(result.sourceId);
    },
    onError: (error) => {
      throw error;
    },
    onCut: () => {},
  };
  const pool = new SlotPool(slots);
  const connections = new Connections({
    now: () => clock.t,
    log: (level, message) => logs.push(`${level} ${message}`),
    limits: { max: 100, idleTimeoutSeconds: 0, drainTimeoutSeconds: 5, proxyProtocol: false, ...limits },
    pool,
    host,
    counters,
    pongLine,
  });
  opened.push(connections);
  const connect = (first?: string | Uint8Array): FakeSocket => {
    const socket = new FakeSocket();
    connections.accept(socket);
    if (typeof first === "string") socket.send(first);
    else if (first !== undefined) socket.emit("data", first);
    return socket;
  };
  return { clock, logs, counters, events, sources, pool, connections, connect };
}

describe("Connections admission", () => {
  test("above MaxConnections a connection is refused at once, counted, and logged at 1, 2, 4 … refusals", () => {
    const h = harness({ max: 1 });
    const kept = h.connect();
    const refused = [h.connect(), h.connect(), h.connect()];
    expect({
      kept: kept.destroyed,
      refused: refused.map((s) => s.destroyed),
      counters: h.counters,
      open: h.connections.open,
      logs: h.logs.filter((l) => l.startsWith("warn")),
    }).toEqual({
      kept: false,
      refused: [true, true, true],
      counters: { refused: 3, evicted: 0, dropped: 0, proxyRefused: 0 },
      open: 1,
      logs: [
        "warn connection refused: 1 open, ServiceSettings > MaxConnections is 1; 1 refused so far",
        "warn connection refused: 1 open, ServiceSettings > MaxConnections is 1; 2 refused so far",
      ],
    });
  });

  test("a closed connection frees its place", async () => {
    const h = harness({ max: 1 });
    h.connect().destroy();
    await settle();
    expect({ second: h.connect().destroyed, open: h.connections.open }).toEqual({ second: false, open: 1 });
  });

  test("PING is answered PONG without taking a scanner slot, even when all slots are busy", async () => {
    const h = harness({}, 1, () => "PONG feeds=14");
    h.connect("src=10.0.0.1\n");
    await settle();
    const plain = h.connect("X-KF-ReplyBackPING");
    const facts = h.connect("X-KF-SendFinishedEventX-KF-ReplyBackPING");
    expect({ plain: plain.written, facts: facts.written, ended: [plain.ended, facts.ended], active: h.pool.active, waiting: h.pool.waiting }).toEqual({
      plain: ["PONG\n"],
      facts: ["PONG feeds=14\n"],
      ended: [true, true],
      active: 1,
      waiting: 0,
    });
  });

  test("a data connection waits, paused, for a free slot, and is served once one frees", async () => {
    const h = harness();
    const first = h.connect("src=10.0.0.1\n");
    await settle();
    const second = h.connect("src=10.0.0.2\n");
    await settle();
    expect({ events: h.events, paused: second.paused, waiting: h.pool.waiting }).toEqual({ events: ["src=10.0.0.1"], paused: true, waiting: 1 });
    first.destroy();
    await settle();
    expect({ events: h.events, paused: second.paused, waiting: h.pool.waiting }).toEqual({ events: ["src=10.0.0.1", "src=10.0.0.2"], paused: false, waiting: 0 });
  });

  test("once stopping, new connections are closed at once", () => {
    const h = harness();
    h.connections.stopAccepting();
    expect(h.connect().destroyed).toBe(true);
  });
});

/** HAProxy's v2 header for client 192.0.2.7:40000 to 192.0.2.1:9999 (spec §2.2, INET over STREAM). */
const V2_CLIENT7 = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 192, 0, 2, 7, 192, 0, 2, 1, 0x9c, 0x40, 0x27, 0x0f]);
/** v2 LOCAL, as HAProxy's health checks send it. */
const V2_LOCAL = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00]);
const bytes = (...parts: (string | Uint8Array)[]): Uint8Array => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));

describe("Connections with ServiceSettings > ProxyProtocol", () => {
  test("on: the client address of a v1 or v2 header chooses the Source; the socket's peer does not", async () => {
    const h = harness({ proxyProtocol: true }, 4);
    h.connect("PROXY TCP4 192.0.2.7 192.0.2.1 40000 9999\r\nip=203.0.113.1\n");
    await settle();
    h.connect(bytes(V2_CLIENT7, "ip=203.0.113.2\n"));
    await settle();
    h.connect("PROXY TCP6 2001:db8:0::7 2001:db8::1 40000 9999\r\nip=203.0.113.3\n");
    await settle();
    h.connect("PROXY TCP4 192.0.2.8 192.0.2.1 40000 9999\r\nip=203.0.113.4\n");
    await settle();
    expect({ events: h.events, sources: h.sources, proxyRefused: h.counters.proxyRefused }).toEqual({
      events: ["ip=203.0.113.1", "ip=203.0.113.2", "ip=203.0.113.3", "ip=203.0.113.4"],
      sources: ["client7", "client7", "client7", "default"],
      proxyRefused: 0,
    });
  });

  test("on: a header split across reads is waited for, and the preamble after it is read", async () => {
    const h = harness({ proxyProtocol: true });
    const whole = bytes(V2_CLIENT7, "X-KF-ReplyBackip=203.0.113.1\n");
    const socket = h.connect(whole.subarray(0, 5));
    socket.emit("data", whole.subarray(5, 20));
    socket.emit("data", whole.subarray(20, 33));
    socket.emit("data", whole.subarray(33));
    await settle();
    expect({ events: h.events, sources: h.sources, destroyed: socket.destroyed }).toEqual({ events: ["ip=203.0.113.1"], sources: ["client7"], destroyed: false });
  });

  test("on: a health check's LOCAL header and v1 UNKNOWN keep the socket's peer and get PONG", () => {
    const h = harness({ proxyProtocol: true });
    const local = h.connect(bytes(V2_LOCAL, "X-KF-ReplyBackPING"));
    const unknown = h.connect("PROXY UNKNOWN\r\nX-KF-ReplyBackPING");
    expect({ written: [local.written, unknown.written], proxyRefused: h.counters.proxyRefused }).toEqual({ written: [["PONG\n"], ["PONG\n"]], proxyRefused: 0 });
  });

  test("on: no header, a bad one, or one cut by the end of the connection is refused, counted and logged", () => {
    const h = harness({ proxyProtocol: true });
    const refused = [
      h.connect("X-KF-ReplyBackPING"),
      h.connect("PROXY TCP4 192.0.2.300 192.0.2.1 40000 9999\r\nx\n"),
      h.connect(bytes(V2_CLIENT7.subarray(0, 12), new Uint8Array([0x31, 0x11, 0, 12]))),
    ];
    const cut = h.connect("PROXY TCP4 192.0.2.7 ");
    cut.endInput();
    expect({ destroyed: [...refused, cut].map((s) => s.destroyed), written: [...refused, cut].flatMap((s) => s.written), proxyRefused: h.counters.proxyRefused, logs: h.logs }).toEqual({
      destroyed: [true, true, true, true],
      written: [],
      proxyRefused: 4,
      logs: [
        "warn connection from 192.0.2.1 closed: no PROXY protocol header, expected one since ServiceSettings > ProxyProtocol is on; 1 refused so far",
        'warn connection from 192.0.2.1 closed: PROXY v1 header: source address "192.0.2.300" is not valid for TCP4; 2 refused so far',
        "warn connection from 192.0.2.1 closed: PROXY v2 header: version 3, expected 2; 3 refused so far",
        "warn connection from 192.0.2.1 closed: the connection ended inside a PROXY header after 21 bytes; 4 refused so far",
      ],
    });
  });

  test("a refused connection that still reports its end (Bun does, after destroy) takes no scanner slot", async () => {
    const h = harness({ proxyProtocol: true });
    const refused = h.connect("X-KF-ReplyBackip=203.0.113.1\n");
    refused.endInput();
    await settle();
    expect({ active: h.pool.active, events: h.events, proxyRefused: h.counters.proxyRefused }).toEqual({ active: 0, events: [], proxyRefused: 1 });
  });

  test("off (the default): a connection that starts with a v1 or v2 header is refused, counted and logged", () => {
    const h = harness();
    const refused = [h.connect("PROXY TCP4 192.0.2.7 192.0.2.1 40000 9999\r\nip=203.0.113.1\n"), h.connect(bytes(V2_CLIENT7, "ip=203.0.113.2\n"))];
    expect({ destroyed: refused.map((s) => s.destroyed), events: h.events, proxyRefused: h.counters.proxyRefused, logs: h.logs }).toEqual({
      destroyed: [true, true],
      events: [],
      proxyRefused: 2,
      logs: [1, 2].map(
        (n) => `warn connection from 192.0.2.1 closed: it starts with a PROXY protocol header, but ServiceSettings > ProxyProtocol is off (turn it on when a load balancer sends one); ${n} refused so far`,
      ),
    });
  });

  test("off: bytes that only begin like a signature, or a line that begins with PROXY but is no header, are ordinary events", async () => {
    const h = harness({}, 3);
    h.connect("PROXIMITY ip=203.0.113.1\n");
    await settle();
    const split = h.connect("PR");
    split.send("OBE ip=203.0.113.2\n");
    await settle();
    h.connect("PROXY server restarted ip=203.0.113.3\n");
    await settle();
    expect({ events: h.events, sources: h.sources, proxyRefused: h.counters.proxyRefused }).toEqual({
      events: ["PROXIMITY ip=203.0.113.1", "PROBE ip=203.0.113.2", "PROXY server restarted ip=203.0.113.3"],
      sources: ["default", "default", "default"],
      proxyRefused: 0,
    });
  });
});

describe("Connections idle eviction", () => {
  test("while a client waits, a session idle for IdleTimeout gives up its slot; a partial line it held is counted", async () => {
    const h = harness({ idleTimeoutSeconds: 10 });
    const idle = h.connect("src=10.0.0.1");
    await settle();
    h.clock.t = 10_000;
    const waiting = h.connect("src=10.0.0.2\n");
    await settle();
    expect({ idle: idle.destroyed, served: h.events, counters: h.counters, waiting: waiting.destroyed }).toEqual({
      idle: true,
      served: ["src=10.0.0.2"],
      counters: { refused: 0, evicted: 1, dropped: 1, proxyRefused: 0 },
      waiting: false,
    });
  });

  test("a session idle for less than IdleTimeout keeps its slot", async () => {
    const h = harness({ idleTimeoutSeconds: 10 });
    const busy = h.connect("src=10.0.0.1\n");
    await settle();
    h.clock.t = 9_999;
    h.connect("src=10.0.0.2\n");
    await settle();
    expect({ busy: busy.destroyed, evicted: h.counters.evicted, waiting: h.pool.waiting }).toEqual({ busy: false, evicted: 0, waiting: 1 });
  });
});

describe("Connections drain", () => {
  test("connections still in their preamble close at once; quiescent sessions close; nothing is dropped", async () => {
    const h = harness({}, 2);
    const preamble = h.connect("X-KF-Reply");
    const session = h.connect("src=10.0.0.1\n");
    await settle();
    h.connections.stopAccepting();
    await h.connections.drain();
    expect({ preamble: preamble.destroyed, session: session.destroyed, counters: h.counters }).toEqual({ preamble: true, session: true, counters: { refused: 0, evicted: 0, dropped: 0, proxyRefused: 0 } });
  });

  test("at StopDrainTimeout a session in the middle of a line is closed and its partial line counted", async () => {
    const h = harness({ drainTimeoutSeconds: 0 });
    const midLine = h.connect("src=10.0.0.1");
    await settle();
    h.connections.stopAccepting();
    await h.connections.drain();
    expect({ destroyed: midLine.destroyed, counters: h.counters, logs: h.logs.filter((l) => l.startsWith("warn")) }).toEqual({
      destroyed: true,
      counters: { refused: 0, evicted: 0, dropped: 1, proxyRefused: 0 },
      logs: [
        "warn stop: 1 connection(s) still busy after ServiceSettings > StopDrainTimeout 0 s: closing them",
        "warn a partial line was dropped: the service stopped before its end of line; 1 dropped so far",
      ],
    });
  });
});

describe("Connections output hold (worker threads)", () => {
  test("holds the input of output-bound sessions, those started later too, never a ReplyBack one, until released", async () => {
    const h = harness({}, 4);
    const forwarder = h.connect("X-KF-SendFinishedEventhello\n");
    const replyBack = h.connect("X-KF-ReplyBackhello\n");
    await settle();
    expect([forwarder.paused, replyBack.paused]).toEqual([false, false]);
    h.connections.holdOutputSessions(true);
    const later = h.connect("X-KF-SendFinishedEventhello\n");
    await settle();
    expect([forwarder.paused, replyBack.paused, later.paused]).toEqual([true, false, true]);
    h.connections.holdOutputSessions(false);
    expect([forwarder.paused, replyBack.paused, later.paused]).toEqual([false, false, false]);
  });
});
