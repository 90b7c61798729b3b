import { describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { buildPreamble } from "../../src/protocol/preamble.ts";
import { ScanQueue } from "../../src/scanner/scan_queue.ts";
import { ScanSession, type SessionContext } from "../../src/scanner/scan_session.ts";

interface Line {
  readonly text: string;
}

/** The part of a socket a session uses, driven by the test instead of the network. */
class FakeSocket extends EventEmitter {
  /** What was written, as text (the preamble is a string, lines go as bytes). */
  readonly written: string[] = [];
  destroyed = false;
  write(data: string | Uint8Array): boolean {
    this.written.push(typeof data === "string" ? data : new TextDecoder().decode(data));
    return true;
  }
  setNoDelay(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.emit("close");
    return this;
  }
  answer(text: string): void {
    this.emit("data", new TextEncoder().encode(text));
  }
}

/** A session context over `texts` (input ended), recording answers and log lines. */
function contextOf(texts: string[], overrides: Partial<SessionContext<Line>> = {}) {
  const socket = new FakeSocket();
  const answers: [string, string[], number][] = [];
  const logs: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    const woken = [...waiters];
    waiters.clear();
    for (const waiter of woken) waiter();
  };
  const queue = new ScanQueue<Line>({ onWake: wake, onLow: () => {}, onGiveUp: () => {} });
  for (const text of texts) queue.add({ text });
  queue.end();
  const context: SessionContext<Line> = {
    queue,
    waiters,
    wake,
    connect: () => socket as unknown as Socket,
    now: () => 0,
    window: 2,
    replyBack: true,
    replyTimeoutMs: 60_000,
    onAnswered: (item, lines, count) => answers.push([item.text, [...lines], count]),
    onLog: (message) => logs.push(message),
    ...overrides,
  };
  return { socket, queue, context, answers, logs };
}

describe("ScanSession", () => {
  test("writes the preamble, keeps the window, attributes the answers and ends done", async () => {
    const { socket, context, answers } = contextOf(["a", "b", "c"]);
    const session = ScanSession.run(context, 0);
    socket.emit("connect");
    expect(socket.written).toEqual([buildPreamble({ sendFinished: true, replyBack: true }), "a\nb\n"]);
    socket.answer("det a\nLookupFinished\n");
    expect(socket.written.slice(2)).toEqual(["c\n"]);
    socket.answer("LookupFinished\nLookupFinished\n");
    expect(await session).toBe("done");
    expect(answers).toEqual([
      ["a", ["det a"], 1],
      ["b", [], 0],
      ["c", [], 0],
    ]);
    expect(socket.destroyed).toBe(true);
  });

  test("without ReplyBack asks for FinishedBack and counts the finished event's sent_events", async () => {
    const { socket, context, answers } = contextOf(["a"], { replyBack: false });
    const session = ScanSession.run(context, 0);
    socket.emit("connect");
    expect(socket.written[0]).toBe(buildPreamble({ sendFinished: true, finishedBack: true }));
    socket.answer("LookupFinished sent_events=3\n");
    expect(await session).toBe("done");
    expect(answers).toEqual([["a", [], 3]]);
  });

  test("a close by the service is a loss: the unanswered lines go back to the queue", async () => {
    const { socket, queue, context, logs } = contextOf(["a", "b"]);
    const session = ScanSession.run(context, 1);
    socket.emit("connect");
    const epoch = queue.lossEpoch;
    socket.emit("close");
    expect(await session).toBe("lost");
    expect(queue.pendingCount).toBe(2);
    expect(queue.lossEpoch).not.toBe(epoch);
    expect(logs).toEqual(["connection 2 closed by the service; resending its unanswered lines"]);
  });

  test("an error before the connection opens is a connect failure, not a loss", async () => {
    const { socket, queue, context } = contextOf(["a"]);
    const epoch = queue.lossEpoch;
    const session = ScanSession.run(context, 0);
    socket.emit("error", new Error("connect ECONNREFUSED"));
    expect(await session).toEqual({ error: "connect ECONNREFUSED" });
    expect(queue.lossEpoch).toBe(epoch);
  });

  test("lines in flight with no answer for replyTimeoutMs: reconnect, the lines counted lost", async () => {
    let clock = 0;
    const { socket, queue, context, logs } = contextOf(["a"], { now: () => clock, replyTimeoutMs: 5 });
    const session = ScanSession.run(context, 0);
    socket.emit("connect");
    clock = 6;
    expect(await session).toBe("lost");
    expect(queue.pendingCount).toBe(1);
    expect(logs).toEqual(["connection 1: no answer for 5 ms, reconnecting"]);
  });

  test("an abort ends the session without counting a loss", async () => {
    const stop = new AbortController();
    const { socket, queue, context } = contextOf(["a"], { signal: stop.signal });
    const session = ScanSession.run(context, 0);
    socket.emit("connect");
    const epoch = queue.lossEpoch;
    stop.abort();
    expect(await session).toBe("lost");
    expect(queue.lossEpoch).toBe(epoch);
    expect(queue.pendingCount).toBe(1);
  });
});
