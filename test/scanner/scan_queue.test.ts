import { describe, expect, test } from "bun:test";
import { FILL_TARGET, type NextLines, ScanQueue, UNPROVEN } from "../../src/scanner/scan_queue.ts";

interface Line {
  readonly n: number;
}

/** A queue over lines 0..count-1 (input ended), recording its callbacks. */
function queueOf(count: number, { end = true } = {}) {
  const calls = { wake: 0, low: 0, givenUp: [] as [number, number][] };
  const queue = new ScanQueue<Line>({
    onWake: () => calls.wake++,
    onLow: () => calls.low++,
    onGiveUp: (item, losses) => calls.givenUp.push([item.n, losses]),
  });
  const lines = Array.from({ length: count }, (_, n) => ({ n }));
  for (const line of lines) queue.add(line);
  if (end) queue.end();
  return { queue, lines, calls };
}

/** The line numbers of a `send`, or the kind of the answer. */
function show(next: NextLines<Line>): number[] | string {
  return next.kind === "send" ? next.items.map((item) => item.n) : next.kind;
}

/** Takes `room` lines on a proven connection; fails unless they are sent. */
function sendNext(queue: ScanQueue<Line>, room: number): Line[] {
  const next = queue.next(room, queue.connectionEpoch());
  if (next.kind !== "send") throw new Error(`next failed: found ${next.kind}, expected send`);
  return next.items;
}

describe("ScanQueue", () => {
  test("hands out lines in input order, within the room given, and is done once all are answered", () => {
    const { queue, lines } = queueOf(5);
    expect(show(queue.next(2, 0))).toEqual([0, 1]);
    expect(show(queue.next(10, 0))).toEqual([2, 3, 4]);
    expect(show(queue.next(10, 0))).toBe("empty");
    expect(queue.done).toBe(false);
    for (const line of lines.slice(0, 4)) queue.answered(line);
    expect(queue.done).toBe(false);
    queue.answered(lines[4]!);
    expect(queue.done).toBe(true);
    expect(queue.sent).toBe(5);
  });

  test("asks for input below half of FILL_TARGET, but never once the input has ended", () => {
    const open = queueOf(FILL_TARGET / 2 + 1, { end: false });
    expect(open.queue.needsInput).toBe(true);
    open.queue.next(1, 0);
    expect(open.calls.low).toBe(0);
    open.queue.next(1, 0);
    expect(open.calls.low).toBe(1);
    const ended = queueOf(3);
    expect(ended.queue.needsInput).toBe(false);
    ended.queue.next(3, 0);
    ended.queue.next(3, 0);
    expect(ended.calls.low).toBe(0);
  });

  test("lines of a connection closed by us go back to the front without counting a loss", () => {
    const { queue, calls } = queueOf(4);
    const batch = sendNext(queue, 2);
    queue.giveBack(batch, false);
    expect(calls.wake).toBe(1);
    expect(queue.needsProof).toBe(false);
    expect(show(queue.next(10, 0))).toEqual([0, 1, 2, 3]);
    expect(queue.sent).toBe(4);
  });

  test("lost lines are resent first, after the service proves itself, and counted as sent once", () => {
    const { queue, lines } = queueOf(4);
    const batch = sendNext(queue, 2);
    queue.giveBack(batch, true);
    expect(queue.needsProof).toBe(true);
    expect(queue.connectionEpoch()).toBe(UNPROVEN);
    queue.proven(queue.lossEpoch);
    expect(queue.needsProof).toBe(false);
    expect(show(queue.next(10, queue.connectionEpoch()))).toEqual([0, 1, 2, 3]);
    expect(queue.sent).toBe(4);
    for (const line of lines) queue.answered(line);
    expect(queue.done).toBe(true);
  });

  test("a proof from before the latest loss does not count", () => {
    const { queue } = queueOf(2);
    queue.giveBack(sendNext(queue, 1), true);
    const oldEpoch = queue.lossEpoch;
    queue.proven(oldEpoch);
    queue.giveBack(sendNext(queue, 1), true);
    queue.proven(oldEpoch);
    expect(queue.needsProof).toBe(true);
    // A late answer to an older PING does not undo a newer proof.
    queue.proven(queue.lossEpoch);
    queue.proven(oldEpoch);
    expect(queue.needsProof).toBe(false);
    expect(queue.connectionEpoch()).toBe(queue.lossEpoch);
  });

  test("a line lost twice is a suspect: never batched, sent alone on a proven connection once nothing is in flight", () => {
    const { queue, lines } = queueOf(4);
    for (let i = 0; i < 2; i++) {
      const sent = sendNext(queue, 1);
      expect(sent).toEqual([lines[0]!]);
      queue.giveBack(sent, true);
      queue.proven(queue.lossEpoch);
    }
    // A connection opened before the service proved itself must reconnect first.
    expect(show(queue.next(10, UNPROVEN))).toBe("stale");
    const epoch = queue.connectionEpoch();
    expect(show(queue.next(10, epoch))).toEqual([0]);
    // While it is alone in flight, nothing else goes out.
    expect(queue.next(10, epoch)).toEqual({ kind: "isolated", item: lines[0]! });
    queue.answered(lines[0]!);
    expect(show(queue.next(10, epoch))).toEqual([1, 2, 3]);
  });

  test("a suspect waits for the lines in flight elsewhere, and a batch stops before it", () => {
    const { queue, lines } = queueOf(4);
    const first = sendNext(queue, 2); // 0, 1 in flight
    queue.giveBack([first[1]!], true); // 1 lost once
    queue.proven(queue.lossEpoch);
    const again = sendNext(queue, 1);
    expect(again).toEqual([lines[1]!]);
    queue.giveBack(again, true); // 1 lost twice: a suspect at the front
    queue.proven(queue.lossEpoch);
    const epoch = queue.connectionEpoch();
    expect(show(queue.next(10, epoch))).toBe("drain"); // line 0 is still in flight
    queue.answered(lines[0]!);
    expect(show(queue.next(10, epoch))).toEqual([1]);
    queue.answered(lines[1]!);
    expect(show(queue.next(10, epoch))).toEqual([2, 3]);
  });

  test("a batch stops before a suspect further down the queue", () => {
    const { queue, lines } = queueOf(4);
    queue.giveBack(sendNext(queue, 1), true); // line 0 lost once
    queue.proven(queue.lossEpoch);
    const onA = sendNext(queue, 1); // line 0 on one connection
    const onB = sendNext(queue, 1); // line 1 on another
    expect([onA, onB]).toEqual([[lines[0]!], [lines[1]!]]);
    queue.giveBack(onA, true); // line 0: lost twice, a suspect
    queue.giveBack(onB, true); // line 1: lost once, now in front of line 0
    queue.proven(queue.lossEpoch);
    const epoch = queue.connectionEpoch();
    expect(show(queue.next(10, epoch))).toEqual([1]);
    expect(show(queue.next(10, epoch))).toBe("drain");
    queue.answered(lines[1]!);
    expect(show(queue.next(10, epoch))).toEqual([0]);
  });

  test("a suspect lost again while alone is given up, reported once and not resent", () => {
    const { queue, lines, calls } = queueOf(2);
    for (let i = 0; i < 2; i++) {
      queue.giveBack(sendNext(queue, 1), true);
      queue.proven(queue.lossEpoch);
    }
    const alone = sendNext(queue, 10);
    expect(alone).toEqual([lines[0]!]);
    const wakes = calls.wake;
    queue.giveBack(alone, true);
    expect(calls.givenUp).toEqual([[0, 3]]);
    expect(queue.failed).toBe(1);
    expect(calls.wake).toBe(wakes + 1);
    queue.proven(queue.lossEpoch);
    expect(show(queue.next(10, queue.connectionEpoch()))).toEqual([1]);
    queue.answered(lines[1]!);
    expect(queue.done).toBe(true);
    expect(queue.sent).toBe(2);
  });

  test("an answered suspect wakes the waiting connections and is no longer one", () => {
    const { queue, lines, calls } = queueOf(1);
    for (let i = 0; i < 2; i++) {
      queue.giveBack(sendNext(queue, 1), true);
      queue.proven(queue.lossEpoch);
    }
    sendNext(queue, 1);
    const wakes = calls.wake;
    queue.answered(lines[0]!);
    expect(calls.wake).toBe(wakes + 1);
    expect(queue.done).toBe(true);
    expect(queue.needsProof).toBe(false);
  });

  test("a replica dies: lines in flight on its connection are resent by a connection to the other, each answered once", () => {
    const { queue, lines } = queueOf(12);
    // Connection A to replica 1 and connection B to replica 2, both opened before any loss.
    const onA = sendNext(queue, 4);
    const onB = sendNext(queue, 4);
    const epochB = queue.connectionEpoch();
    const answered: number[] = [];
    const answer = (items: Line[]) => {
      for (const item of items) {
        queue.answered(item);
        answered.push(item.n);
      }
    };
    answer(onB.slice(0, 2));
    queue.giveBack(onA, true); // replica 1 was killed: A's lines got no answer
    // B keeps going without a new PING: A's lines come first, then the rest of the input.
    const next = queue.next(8, epochB);
    expect(show(next)).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
    // A new connection (A moving to replica 2) must first see replica 2 answer PING.
    expect(queue.needsProof).toBe(true);
    queue.proven(queue.lossEpoch);
    expect(queue.needsProof).toBe(false);
    answer(onB.slice(2));
    answer((next as { items: Line[] }).items);
    expect({ done: queue.done, sent: queue.sent, failed: queue.failed, answered: [...answered].sort((a, b) => a - b) }).toEqual({
      done: true,
      sent: 12,
      failed: 0,
      answered: lines.map((line) => line.n),
    });
  });

  test("keeps its order across compaction of a long input", () => {
    const { queue } = queueOf(0, { end: false });
    const count = 70_000;
    for (let n = 0; n < count; n++) queue.add({ n });
    const first = sendNext(queue, 66_000);
    queue.add({ n: count }); // compacts the sent lines away
    queue.end();
    const rest = sendNext(queue, 10_000);
    expect(first.length + rest.length).toBe(count + 1);
    expect(rest[0]!.n).toBe(66_000);
    expect(rest.at(-1)!.n).toBe(count);
  });
});
