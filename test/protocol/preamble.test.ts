import { describe, expect, test } from "bun:test";
import { type Preamble, PreambleParser } from "../../src/protocol/preamble.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Pushes chunks until decided; returns the decision with `rest` as text and the chunk that decided it. */
function parse(chunks: string[], end = false): { flags: Omit<Preamble, "rest">; rest: string; decidedAt: number } | undefined {
  const p = new PreambleParser();
  for (let i = 0; i < chunks.length; i++) {
    const r = p.push(enc.encode(chunks[i]!));
    if (r !== undefined) {
      const { rest, ...flags } = r;
      return { flags, rest: dec.decode(rest) + chunks.slice(i + 1).join(""), decidedAt: i };
    }
  }
  if (!end) return undefined;
  const { rest, ...flags } = p.end();
  return { flags, rest: dec.decode(rest), decidedAt: chunks.length };
}

const none = { replyBack: false, sendFinished: false, saveStatistic: false, finishedBack: false, ping: false };

describe("PreambleParser", () => {
  test.each([
    ["no preamble", ["Feb  2 11:57:59 host x\n"], { ...none }, "Feb  2 11:57:59 host x\n"],
    ["ReplyBack then data in the same read", ["X-KF-ReplyBackurl=http://a.example\n"], { ...none, replyBack: true }, "url=http://a.example\n"],
    [
      "all three flags in any order, no separator",
      ["X-KF-SendFinishedEventX-KF-ReplyBackX-KF-SaveStatisticip=192.0.2.1\n"],
      { ...none, replyBack: true, sendFinished: true, saveStatistic: true },
      "ip=192.0.2.1\n",
    ],
    ["ours: FinishedBack with SendFinishedEvent", ["X-KF-SendFinishedEventX-IOCLENS-FinishedBackx\n"], { ...none, sendFinished: true, finishedBack: true }, "x\n"],
    ["SaveStatistic first", ["X-KF-SaveStatisticX-KF-ReplyBackx\n"], { ...none, replyBack: true, saveStatistic: true }, "x\n"],
    ["a newline after the flags stays in rest", ["X-KF-ReplyBack\nx\n"], { ...none, replyBack: true }, "\nx\n"],
    ["CRLF after the flags stays in rest", ["X-KF-ReplyBack\r\nx"], { ...none, replyBack: true }, "\r\nx"],
    ["health probe", ["X-KF-ReplyBackPING"], { ...none, replyBack: true, ping: true }, ""],
    ["health probe with newline", ["X-KF-ReplyBackPING\n"], { ...none, replyBack: true, ping: true }, "\n"],
    ["PING without a flag is ordinary text", ["PING 192.0.2.1\n"], { ...none }, "PING 192.0.2.1\n"],
    ["a flag later in the stream is ordinary text", ["x X-KF-ReplyBack\n"], { ...none }, "x X-KF-ReplyBack\n"],
    ["a near-miss token is ordinary text", ["X-KF-ReplyFront\n"], { ...none }, "X-KF-ReplyFront\n"],
    ["a flag after PING is ordinary text", ["X-KF-ReplyBackPINGX-KF-SaveStatistic"], { ...none, replyBack: true, ping: true }, "X-KF-SaveStatistic"],
  ])("%s", (_name, chunks, flags, rest) => {
    expect(parse(chunks)).toEqual({ flags, rest, decidedAt: 0 });
  });

  test.each([
    ["a flag split mid-token", ["X-KF-Rep", "lyBackPING"], { ...none, replyBack: true, ping: true }, ""],
    ["one byte at a time", [..."X-KF-SendFinishedEventX-KF-ReplyBacka"], { ...none, replyBack: true, sendFinished: true }, "a"],
    ["PING split", ["X-KF-ReplyBackPI", "NG"], { ...none, replyBack: true, ping: true }, ""],
    ["a prefix that turns out to be data", ["X-KF-", "data\n"], { ...none }, "X-KF-data\n"],
  ])("decides only when the bytes can no longer be a token: %s", (_name, chunks, flags, rest) => {
    const r = parse(chunks);
    expect(r).toEqual({ flags, rest, decidedAt: chunks.length - 1 });
  });

  test("waits after complete flags, since another flag may follow", () => {
    expect(parse(["X-KF-ReplyBack"])).toBeUndefined();
    expect(parse(["X-KF-ReplyBack"], true)).toEqual({ flags: { ...none, replyBack: true }, rest: "", decidedAt: 1 });
  });

  test("end() returns a held-back partial token as data", () => {
    expect(parse(["X-KF-ReplyBackX-KF-Sa"], true)).toEqual({ flags: { ...none, replyBack: true }, rest: "X-KF-Sa", decidedAt: 1 });
  });

  test("rejects a push after the decision", () => {
    const p = new PreambleParser();
    p.push(enc.encode("hello"));
    expect(() => p.push(enc.encode("x"))).toThrow("Preamble parser push failed: the preamble was already decided");
  });
});
