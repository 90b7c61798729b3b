import { describe, expect, test } from "bun:test";
import { AnswerReader } from "../../src/protocol/answer_reader.ts";
import { prng } from "../_support/child_processes.ts";

interface Line {
  readonly text: string;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
/** What `send` returns, written one piece after the other, as text. */
const written = (pieces: readonly Uint8Array[]): string => pieces.map((p) => new TextDecoder().decode(p)).join("");

/** A reader that records each answer as `[line text, detections, sent_events]`. */
function recordingReader(): { reader: AnswerReader<Line>; answers: [string, readonly string[], number][] } {
  const answers: [string, readonly string[], number][] = [];
  const reader = new AnswerReader<Line>((item, detections, sent) => answers.push([item.text, detections, sent]));
  return { reader, answers };
}

describe("AnswerReader", () => {
  test("send returns each line with its LF and counts it as unanswered", () => {
    const { reader } = recordingReader();
    const a = { text: "a" };
    expect(written(reader.send([a, { text: "b c é" }]))).toBe("a\nb c é\n");
    expect(reader.unansweredCount).toBe(2);
    expect(reader.oldest).toBe(a);
  });

  test("send copies a line's bytes when it has them, and encodes the text of one without", () => {
    const { reader } = recordingReader();
    // The bytes win: `text` is not read when they are there (a scan line decodes it only if asked).
    const withBytes = { get text(): string { throw new Error("text read"); }, bytes: bytes("bytes é") };
    const sent = reader.send([withBytes, { text: "text ü" }, { text: "", bytes: new Uint8Array(0) }]);
    expect(sent).toHaveLength(1);
    expect(written(sent)).toBe("bytes é\ntext ü\n\n");
    expect(reader.unansweredCount).toBe(3);
  });

  test("send writes lines back to back in one chunk, each with its LF there, as one view of it", () => {
    const { reader } = recordingReader();
    const chunk = bytes("one\ntwo\r\nthree\nfour\nfive");
    const other = bytes("six\n");
    // `text` must not be read for lines given by range.
    const at = (from: Uint8Array, start: number, end: number) => ({
      get text(): string {
        throw new Error("text read");
      },
      bytes: from.subarray(start, end),
      chunk: from,
      start,
      end,
    });
    const lines = [
      at(chunk, 0, 3), // one: LF after it
      at(chunk, 4, 7), // two: a CR after it, not an LF: copied
      at(chunk, 9, 14), // three
      at(chunk, 15, 19), // four, back to back with three
      at(chunk, 20, 24), // five: no LF after it: copied
      at(other, 0, 3), // six: another chunk
      { text: "seven" },
    ];
    const sent = reader.send(lines);
    expect(written(sent)).toBe("one\ntwo\nthree\nfour\nfive\nsix\nseven\n");
    expect(sent.map((p) => new TextDecoder().decode(p))).toEqual(["one\n", "two\n", "three\nfour\n", "five\n", "six\n", "seven\n"]);
    // The runs are views of their chunk, not copies.
    expect(sent[0]!.buffer).toBe(chunk.buffer);
    expect(sent[2]!.buffer).toBe(chunk.buffer);
    expect(sent[4]!.buffer).toBe(other.buffer);
    expect(reader.unansweredCount).toBe(7);
    expect(reader.unanswered()).toEqual(lines);
  });

  test("attributes detections to the oldest unanswered line, in sending order", () => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "one" }, { text: "two" }, { text: "three" }]);
    reader.push(bytes("d1\nd2\nLookupFinished sent_events=2\nLookupFinished\nd3\nalert=LookupFinished\n"));
    expect(answers).toEqual([
      ["one", ["d1", "d2"], 2],
      ["two", [], 0],
      ["three", ["d3"], 0],
    ]);
    expect(reader.unansweredCount).toBe(0);
    expect(reader.oldest).toBeUndefined();
  });

  // Each case: the answer bytes cut into the chunks a socket might deliver.
  const cuts: [string, string[]][] = [
    ["whole", ["det é\r\nLookupFinished\n"]],
    ["cut inside a line", ["det ", "é\r\nLookupFin", "ished\n"]],
    ["cut between CR and LF", ["det é\r", "\nLookupFinished\r", "\n"]],
  ];
  test.each(cuts)("reads answers %s: drops the CR before LF", (_name, chunks) => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "x" }]);
    for (const chunk of chunks) reader.push(bytes(chunk));
    expect(answers).toEqual([["x", ["det é"], 0]]);
  });

  test("a UTF-8 character split across two reads is decoded whole", () => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "x" }]);
    const all = bytes("é\nLookupFinished\n");
    reader.push(all.subarray(0, 1));
    reader.push(all.subarray(1));
    expect(answers).toEqual([["x", ["é"], 0]]);
  });

  test("skips empty answer lines and holds a line until its LF arrives", () => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "x" }]);
    reader.push(bytes("\n\r\nd\n\nLookupFinished"));
    expect(answers).toEqual([]);
    expect(reader.unansweredCount).toBe(1);
    reader.push(bytes("\n"));
    expect(answers).toEqual([["x", ["d"], 0]]);
  });

  test("ignores a finished event when no line waits for it", () => {
    const { reader, answers } = recordingReader();
    reader.push(bytes("LookupFinished\n"));
    reader.send([{ text: "x" }]);
    reader.push(bytes("LookupFinished\n"));
    expect(answers).toEqual([["x", [], 0]]);
  });

  test("unanswered lists the lines still waiting, oldest first, also after many answered lines", () => {
    const { reader, answers } = recordingReader();
    const lines = Array.from({ length: 10_000 }, (_, i) => ({ text: `line ${i}` }));
    reader.send(lines.slice(0, 9_000));
    reader.push(bytes("LookupFinished\n".repeat(8_990)));
    // Past the compaction threshold: the answered lines are dropped from the front.
    reader.send(lines.slice(9_000));
    expect(reader.unanswered()).toEqual(lines.slice(8_990));
    expect(reader.oldest).toBe(lines[8_990]!);
    reader.push(bytes("d\nLookupFinished\n"));
    expect(answers.at(-1)).toEqual(["line 8990", ["d"], 0]);
    expect(answers).toHaveLength(8_991);
    expect(reader.unansweredCount).toBe(1_009);
  });

  test("a line sent from within onAnswer is attributed in order", () => {
    const answered: string[] = [];
    const reader: AnswerReader<Line> = new AnswerReader<Line>((item) => {
      answered.push(item.text);
      if (item.text === "a") reader.send([{ text: "c" }]);
    });
    reader.send([{ text: "a" }, { text: "b" }]);
    reader.push(bytes("LookupFinished\nLookupFinished\nLookupFinished\n"));
    expect(answered).toEqual(["a", "b", "c"]);
  });
});

describe("sent_events of a finished line", () => {
  const cases: [string, number][] = [
    [" alert=LookupFinished sent_events=3 total=KL_Malicious_URL:3;", 3],
    ["LookupFinished", 0],
    ['{"alert":"LookupFinished","sent_events=12"}', 12],
    ["LookupFinished sent_events= sent_events=7", 7],
  ];
  test.each(cases)("%p → %p", (line, count) => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "a" }]);
    reader.push(bytes(`${line}\n`));
    expect(answers).toEqual([["a", [], count]]);
  });
});

/** `sent_events=N` read with a regex from a line's text, as the text reader did. */
function sentEvents(finishedLine: string): number {
  const match = /sent_events=(\d+)/.exec(finishedLine);
  return match ? Number(match[1]) : 0;
}

/**
 * The reader as it was before it worked on bytes (decode the stream, split the text, test each
 * line for the mark, read sent_events with the regex): the reference the byte reader must match.
 */
function textReference(chunks: readonly Uint8Array[], sentCount: number): [string, readonly string[], number][] {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  const answers: [string, readonly string[], number][] = [];
  let detections: string[] = [];
  let carry = "";
  let next = 0;
  for (const chunk of chunks) {
    const text = carry + decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline = text.indexOf("\n");
    while (newline >= 0) {
      const line = text.slice(start, newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline);
      start = newline + 1;
      newline = text.indexOf("\n", start);
      if (line.length === 0) continue;
      if (!line.includes("LookupFinished")) {
        detections.push(line);
        continue;
      }
      if (next >= sentCount) continue;
      answers.push([`line ${next++}`, detections, sentEvents(line)]);
      detections = [];
    }
    carry = text.slice(start);
  }
  return answers;
}

describe("AnswerReader against the text reader it replaced", () => {
  // Pieces the answers are made of: detections (with non-ASCII, invalid UTF-8, a BOM, CRs),
  // finished events in several shapes, empty lines.
  const pieces: (string | number[])[] = [
    "Category=KL_Malicious_URL|MatchedIndicator=bad.example|url=http://bad.example/é\n",
    "Dec 05 08:37:29 alert=LookupFinished sent_events=0 total=\n",
    "Dec 05 08:37:29 alert=LookupFinished sent_events=3 total=KL_Malicious_URL:3;\r\n",
    "LookupFinished\n",
    '{"alert":"LookupFinished","sent_events=12"}\n',
    "alert=LookupFinished sent_events= sent_events=x sent_events=7\n",
    "alert=LookupFinished sent_events=123456789012345678901\n",
    "sent_events=4 before the mark: LookupFinished\n",
    "Lookup Finished is not the mark\n",
    "\n",
    "\r\n",
    "\ufeffa BOM inside the stream\n",
    "日本語の検出 ip=192.0.2.1\n",
    [0xff, 0xfe, 0x41, 0x0a],
    [0xe2, 0x82, 0x0a],
    [0xe2, 0x82, 0x4c, 0x6f, 0x6f, 0x6b, 0x75, 0x70, 0x46, 0x69, 0x6e, 0x69, 0x73, 0x68, 0x65, 0x64, 0x0a],
  ];
  const encoder = new TextEncoder();
  for (let seed = 1; seed <= 200; seed++) {
    test(`seed ${seed}: the same answers from the same bytes cut anywhere`, () => {
      const random = prng(seed).next;
      const parts: Uint8Array[] = [];
      if (seed % 5 === 0) parts.push(new Uint8Array([0xef, 0xbb, 0xbf]));
      for (let i = 0; i < 60; i++) {
        const piece = pieces[Math.floor(random() * pieces.length)]!;
        parts.push(typeof piece === "string" ? encoder.encode(piece) : new Uint8Array(piece));
      }
      if (random() < 0.5) parts.push(encoder.encode("LookupFinished sent_events=9 without its LF"));
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < all.length; ) {
        const size = random() < 0.3 ? 1 + Math.floor(random() * 3) : 1 + Math.floor(random() * 200);
        chunks.push(all.slice(at, at + size));
        at += size;
      }
      const sentCount = 40;
      const { reader, answers } = recordingReader();
      reader.send(Array.from({ length: sentCount }, (_, i) => ({ text: `line ${i}` })));
      for (const chunk of chunks) reader.push(chunk);
      const expected = textReference(chunks, sentCount);
      expect(expected.length).toBeGreaterThan(0);
      expect(answers).toEqual(expected);
    });
  }
});
