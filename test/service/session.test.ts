import { describe, expect, test } from "bun:test";
import type { FeedInfo, IndexReader, LookupResult, LookupType } from "../../src/matching/types.ts";
import type { Preamble } from "../../src/protocol/preamble.ts";
import { compilePipeline } from "../../src/service/process_event.ts";
import { Session, type SessionHost } from "../../src/service/session.ts";
import { FakeSocket } from "./_fake_socket.ts";
import { testConfig } from "../_support/test_service.ts";

const FEED: FeedInfo = { name: "IP_Reputation_Data_Feed.json", category: "KL_IP_Reputation", confidence: 100, allowList: false, loadedAt: 0, indicatorLifetimeMinutes: 0 };
const BAD_IP = "192.0.2.7";

/** One indicator: the IP 192.0.2.7. */
const index: IndexReader = {
  lookup(type: LookupType, value: string): LookupResult {
    if (type !== "IP" || value !== BAD_IP) return { records: [], suppressed: 0 };
    return { records: [{ feed: FEED, kind: "IP", category: FEED.category, indicator: BAD_IP, fields: [] }], suppressed: 0 };
  },
  counts: () => new Map([[FEED.name, 1]]),
};

const pipeline = compilePipeline(testConfig());
/** The same config with FinishedEventFormat disabled: finished events only when a client asks. */
const quietPipeline = compilePipeline(testConfig((xml) => xml.replace('<FinishedEventFormat enabled="true">', '<FinishedEventFormat enabled="false">')));
const DETECTION = `Jan 01 00:00:00 eventName=KL_IP_Reputation matchedIndicator=${BAD_IP} category=KL_IP_Reputation url= domain= ip=${BAD_IP} md5= sha1= sha256=`;
/** Lets every pending promise reaction and queued callback run (a macrotask turn, not a wait for time). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const isFinished = (line: string): boolean => line.includes("LookupFinished");

/** A session on a fake socket, with a host that records what reaches the output. */
function open(flags: Partial<Omit<Preamble, "rest">> = {}, rest = "", current = pipeline) {
  const socket = new FakeSocket();
  const output: string[] = [];
  const events: string[] = [];
  const cuts: number[] = [];
  const host: SessionHost = {
    current: () => ({ pipeline: current, index }),
    now: () => 0,
    toOutput: (line) => output.push(line),
    onEvent: (event) => events.push(event),
    onError: (error) => {
      throw error;
    },
    onCut: (lines) => cuts.push(lines),
  };
  const preamble: Preamble = { replyBack: false, sendFinished: false, saveStatistic: false, finishedBack: false, ping: false, ...flags, rest: new TextEncoder().encode(rest) };
  const session = new Session(socket, preamble, "127.0.0.1", host);
  return { socket, session, output, events, cuts };
}

/** Summary of where one line's answers went: socket or output, detection (D) or finished (F). */
const route = (lines: string[]): string[] => lines.map((l) => (isFinished(l) ? "F" : l === DETECTION ? "D" : `? ${l}`));

describe("Session routing", () => {
  test("X-KF-ReplyBack: the detection and the finished event are answered on the connection, nothing goes to the output", () => {
    const s = open({ replyBack: true });
    s.socket.send(`src=${BAD_IP} msg=hello\n`);
    expect({ socket: route(s.socket.lines()), output: s.output, paused: s.socket.paused }).toEqual({ socket: ["D", "F"], output: [], paused: false });
  });

  test.each([
    ["no preamble", {}],
    ["X-KF-SendFinishedEvent", { sendFinished: true }],
  ])("%s: everything goes to the output, nothing is written to the client", (_name, flags) => {
    const s = open(flags);
    s.socket.send(`src=${BAD_IP} msg=hello\nclean line\n`);
    expect({ socket: s.socket.written, output: route(s.output) }).toEqual({ socket: [], output: ["D", "F", "F"] });
  });

  test.each([
    ["no preamble", {}, ["D"]],
    ["X-KF-SendFinishedEvent", { sendFinished: true }, ["D", "F", "F"]],
  ])("FinishedEventFormat disabled, %s: finished events only when asked for", (_name, flags, expected) => {
    const s = open(flags, "", quietPipeline);
    s.socket.send(`src=${BAD_IP} msg=hello\nclean line\n`);
    expect({ socket: s.socket.written, output: route(s.output) }).toEqual({ socket: [], output: expected });
  });

  test("X-IOCLENS-FinishedBack: finished events come back, detections go to the output", () => {
    const s = open({ finishedBack: true });
    s.socket.send(`src=${BAD_IP} msg=hello\nclean line\n`);
    expect({ socket: route(s.socket.lines()), output: route(s.output) }).toEqual({ socket: ["F", "F"], output: ["D"] });
  });

  test("bytes that came with the preamble are processed as events", () => {
    const s = open({ replyBack: true }, `src=${BAD_IP}\n`);
    expect(route(s.socket.lines())).toEqual(["D", "F"]);
  });
});

describe("Session framing", () => {
  test("a line split across chunks is one event with one finished event", () => {
    const s = open({ replyBack: true });
    s.socket.send("src=192.0.");
    s.socket.send(`2.7 msg=hello\nsrc=10.0`);
    expect(route(s.socket.lines())).toEqual(["D", "F"]);
    s.socket.send(".0.1\n");
    expect({ socket: route(s.socket.lines()), events: s.events }).toEqual({ socket: ["D", "F", "F"], events: [`src=${BAD_IP} msg=hello`, "src=10.0.0.1"] });
  });

  test("empty lines (the newline after a preamble) are no events and get no finished event", () => {
    const s = open({ replyBack: true }, "\n");
    s.socket.send(`\n\nsrc=${BAD_IP}\n`);
    expect({ socket: route(s.socket.lines()), events: s.events }).toEqual({ socket: ["D", "F"], events: [`src=${BAD_IP}`] });
  });

  test("a line cut at 64 KiB is several events but one finished event, and the cut is reported", () => {
    const s = open({ replyBack: true });
    s.socket.send(`src=${BAD_IP} ${"x".repeat(70_000)}\n`);
    const lines = s.socket.lines();
    expect({ finished: lines.filter(isFinished).length, events: s.events.length > 1, cuts: s.cuts }).toEqual({ finished: 1, events: true, cuts: [1] });
  });
});

describe("Session backpressure", () => {
  test("a full send buffer pauses the client's input; drain resumes it", () => {
    const s = open({ replyBack: true });
    s.socket.writeReturns = false;
    s.socket.send(`src=${BAD_IP}\n`);
    expect(s.socket.paused).toBe(true);
    s.socket.writeReturns = true;
    s.socket.drain();
    expect(s.socket.paused).toBe(false);
  });

  test("hold() stops the input until released, and a drain meanwhile does not resume it", () => {
    const s = open({ replyBack: true });
    expect(s.session.routesToOutput).toBe(false);
    s.socket.writeReturns = false;
    s.socket.send(`src=${BAD_IP}\n`);
    s.session.hold(true);
    s.socket.writeReturns = true;
    s.socket.drain();
    expect(s.socket.paused).toBe(true);
    s.session.hold(false);
    expect(s.socket.paused).toBe(false);
  });

  test("release after hold() waits for a drain still owed", () => {
    const s = open({ replyBack: true });
    s.session.hold(true);
    s.socket.writeReturns = false;
    s.socket.send(`src=${BAD_IP}\n`);
    s.session.hold(false);
    expect(s.socket.paused).toBe(true);
    s.socket.writeReturns = true;
    s.socket.drain();
    expect(s.socket.paused).toBe(false);
  });

  test("a session without ReplyBack routes to the output, so worker threads hold it while the output is backed up", () => {
    const s = open({});
    expect(s.session.routesToOutput).toBe(true);
  });
});

describe("Session stop and abort", () => {
  test("stop() closes a quiescent connection at once", async () => {
    const s = open({ replyBack: true });
    s.socket.send(`src=${BAD_IP}\n`);
    await s.session.stop();
    expect({ ended: s.socket.ended, destroyed: s.socket.destroyed, answers: route(s.socket.lines()) }).toEqual({ ended: true, destroyed: true, answers: ["D", "F"] });
  });

  test("stop() in the middle of a line waits for the line, answers it, then closes", async () => {
    const s = open({ replyBack: true });
    s.socket.send(`src=${BAD_IP}`);
    let closed = false;
    const stopped = s.session.stop().then(() => (closed = true));
    await settle();
    expect({ closed, ended: s.socket.ended, midLine: s.session.midLine }).toEqual({ closed: false, ended: false, midLine: true });
    s.socket.send(" msg=hello\n");
    await stopped;
    expect({ closed, answers: route(s.socket.lines()) }).toEqual({ closed: true, answers: ["D", "F"] });
  });

  test("stop() with answers still in the send buffer closes after drain", async () => {
    const s = open({ replyBack: true });
    s.socket.writeReturns = false;
    s.socket.send(`src=${BAD_IP}\n`);
    let closed = false;
    const stopped = s.session.stop().then(() => (closed = true));
    await settle();
    expect({ closed, quiescent: s.session.quiescent }).toEqual({ closed: false, quiescent: false });
    s.socket.drain();
    await stopped;
    expect(closed).toBe(true);
  });

  test("abort() reports a partial line as lost, and a quiescent connection as not", () => {
    const partial = open({ replyBack: true });
    partial.socket.send(`src=${BAD_IP}`);
    const idle = open({ replyBack: true });
    idle.socket.send(`src=${BAD_IP}\n`);
    expect({ partial: partial.session.abort(), idle: idle.session.abort(), destroyed: [partial.socket.destroyed, idle.socket.destroyed] }).toEqual({
      partial: true,
      idle: false,
      destroyed: [true, true],
    });
  });

  test("the client's end processes its last unterminated line and half-closes", () => {
    const s = open({ replyBack: true });
    s.socket.send(`src=${BAD_IP}`);
    s.socket.endInput();
    expect({ answers: route(s.socket.lines()), ended: s.socket.ended }).toEqual({ answers: ["D", "F"], ended: true });
  });

  test("an end after abort() (Bun emits one when we destroy) does not process the cut line", () => {
    const s = open({ finishedBack: true });
    s.socket.send(`src=${BAD_IP}`);
    expect(s.session.abort()).toBe(true);
    s.socket.endInput();
    expect({ events: s.events, output: s.output, written: s.socket.written, aborted_again: s.session.abort() }).toEqual({ events: [], output: [], written: [], aborted_again: false });
  });
});

describe("Session clock", () => {
  test("an event's time is the clock read that ended the event before it in the chunk; the last partial line reads the clock at end of input", () => {
    let clock = 1000;
    const seen: [string, number, number][] = [];
    const socket = new FakeSocket();
    const host: SessionHost = {
      current: () => ({ pipeline, index }),
      // Every read moves the clock on by 10 ms, so each read is told apart.
      now: () => (clock += 10),
      toOutput: () => {},
      onEvent: (event, result, ms) => seen.push([event, result.context.now, ms]),
      onError: (error) => {
        throw error;
      },
      onCut: () => {},
    };
    new Session(socket, { replyBack: false, sendFinished: false, saveStatistic: false, finishedBack: false, ping: false, rest: new Uint8Array(0) }, "127.0.0.1", host);
    const start = clock;
    socket.send("one\ntwo\nthr");
    clock += 5000;
    socket.endInput();
    // Reads after the constructor's: chunk arrival (+10), end of "one" (+20), end of "two" (+30);
    // 5 s later the end of input (+5040) and the end of "thr" (+5050).
    expect(seen).toEqual([
      ["one", start + 10, 10],
      ["two", start + 20, 10],
      ["thr", start + 5040, 10],
    ]);
  });
});
