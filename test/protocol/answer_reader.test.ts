import { describe, expect, test } from "bun:test";
import { AnswerReader, sentEvents } from "../../src/protocol/answer_reader.ts";

interface Line {
  readonly text: string;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A reader that records each answer as `[line text, detections, finished line]`. */
function recordingReader(): { reader: AnswerReader<Line>; answers: [string, string[], string][] } {
  const answers: [string, string[], string][] = [];
  const reader = new AnswerReader<Line>((item, detections, finished) => answers.push([item.text, detections, finished]));
  return { reader, answers };
}

describe("AnswerReader", () => {
  test("send returns each line with its LF and counts it as unanswered", () => {
    const { reader } = recordingReader();
    const a = { text: "a" };
    expect(reader.send([a, { text: "b c" }])).toBe("a\nb c\n");
    expect(reader.unansweredCount).toBe(2);
    expect(reader.oldest).toBe(a);
  });

  test("attributes detections to the oldest unanswered line, in sending order", () => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "one" }, { text: "two" }, { text: "three" }]);
    reader.push(bytes("d1\nd2\nLookupFinished sent_events=2\nLookupFinished\nd3\nalert=LookupFinished\n"));
    expect(answers).toEqual([
      ["one", ["d1", "d2"], "LookupFinished sent_events=2"],
      ["two", [], "LookupFinished"],
      ["three", ["d3"], "alert=LookupFinished"],
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
    expect(answers).toEqual([["x", ["det é"], "LookupFinished"]]);
  });

  test("a UTF-8 character split across two reads is decoded whole", () => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "x" }]);
    const all = bytes("é\nLookupFinished\n");
    reader.push(all.subarray(0, 1));
    reader.push(all.subarray(1));
    expect(answers).toEqual([["x", ["é"], "LookupFinished"]]);
  });

  test("skips empty answer lines and holds a line until its LF arrives", () => {
    const { reader, answers } = recordingReader();
    reader.send([{ text: "x" }]);
    reader.push(bytes("\n\r\nd\n\nLookupFinished"));
    expect(answers).toEqual([]);
    expect(reader.unansweredCount).toBe(1);
    reader.push(bytes("\n"));
    expect(answers).toEqual([["x", ["d"], "LookupFinished"]]);
  });

  test("ignores a finished event when no line waits for it", () => {
    const { reader, answers } = recordingReader();
    reader.push(bytes("LookupFinished\n"));
    reader.send([{ text: "x" }]);
    reader.push(bytes("LookupFinished\n"));
    expect(answers).toEqual([["x", [], "LookupFinished"]]);
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
    expect(answers.at(-1)).toEqual(["line 8990", ["d"], "LookupFinished"]);
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

describe("sentEvents", () => {
  const cases: [string, number][] = [
    [" alert=LookupFinished sent_events=3 total=KL_Malicious_URL:3;", 3],
    ["LookupFinished", 0],
    ['{"alert":"LookupFinished","sent_events=12"}', 12],
  ];
  test.each(cases)("%p → %p", (line, count) => {
    expect(sentEvents(line)).toBe(count);
  });
});
