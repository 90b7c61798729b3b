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

const pipeline = compilePipeline(testConfig());
const index = { lookup: () => ({ records: [], suppressed: 0 }), counts: () => new Map<string, number>() };

const opened: Connections[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.stopAccepting();
});

/** Connections over fake sockets, with `slots` scanner slots and a clock the test sets. */
function harness(limits: Partial<ConnectionLimits> = {}, slots = 1, pongLine?: () => string) {
  const clock = { t: 0 };
  const logs: string[] = [];
  const counters: ConnectionCounters = { refused: 0, evicted: 0, dropped: 0 };
  const events: string[] = [];
  const host: SessionHost = {
    current: () => ({ pipeline, index }),
    now: () => clock.t,
    toOutput: () => {},
    onEvent: (event) => events.push(event),
    onError: (error) => {
      throw error;
    },
    onCut: () => {},
  };
  const pool = new SlotPool(slots);
  const connections = new Connections({
    now: () => clock.t,
    log: (level, message) => logs.push(`${level} ${message}`),
    limits: { max: 100, idleTimeoutSeconds: 0, drainTimeoutSeconds: 5, ...limits },
    pool,
    host,
    counters,
    pongLine,
  });
  opened.push(connections);
  const connect = (first?: string): FakeSocket => {
    const socket = new FakeSocket();
    connections.accept(socket);
    if (first !== undefined) socket.send(first);
    return socket;
  };
  return { clock, logs, counters, events, pool, connections, connect };
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
      counters: { refused: 3, evicted: 0, dropped: 0 },
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
      counters: { refused: 0, evicted: 1, dropped: 1 },
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
    expect({ preamble: preamble.destroyed, session: session.destroyed, counters: h.counters }).toEqual({ preamble: true, session: true, counters: { refused: 0, evicted: 0, dropped: 0 } });
  });

  test("at StopDrainTimeout a session in the middle of a line is closed and its partial line counted", async () => {
    const h = harness({ drainTimeoutSeconds: 0 });
    const midLine = h.connect("src=10.0.0.1");
    await settle();
    h.connections.stopAccepting();
    await h.connections.drain();
    expect({ destroyed: midLine.destroyed, counters: h.counters, logs: h.logs.filter((l) => l.startsWith("warn")) }).toEqual({
      destroyed: true,
      counters: { refused: 0, evicted: 0, dropped: 1 },
      logs: [
        "warn stop: 1 connection(s) still busy after ServiceSettings > StopDrainTimeout 0 s: closing them",
        "warn a partial line was dropped: the service stopped before its end of line; 1 dropped so far",
      ],
    });
  });
});
