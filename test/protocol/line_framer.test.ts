import { describe, expect, test } from "bun:test";
import { LineFramer, type LineFramerOptions } from "../../src/protocol/line_framer.ts";

const enc = new TextEncoder();

function frame(chunks: (string | Uint8Array)[], options: Partial<LineFramerOptions> = {}): { events: string[]; cut: number } {
  const events: string[] = [];
  const framer = new LineFramer({ ...options, onEvent: (e) => events.push(e) });
  for (const c of chunks) framer.push(typeof c === "string" ? enc.encode(c) : c);
  framer.end();
  return { events, cut: framer.cutEvents };
}

describe("LineFramer", () => {
  test.each([
    ["LF ends an event", ["a\nb\n"], ["a", "b"]],
    ["CRLF works like LF", ["a\r\nb\r\n"], ["a", "b"]],
    ["CR is dropped inside an event", ["a\rb\n"], ["ab"]],
    ["empty events are skipped", ["\n\na\n\r\n\n"], ["a"]],
    ["end() flushes a final unterminated event", ["a\nlast"], ["a", "last"]],
    ["an event split across chunks is joined", ["he", "llo wo", "rld\nx"], ["hello world", "x"]],
    ["CR split from its LF across chunks is still dropped", ["a\r", "\nb"], ["a", "b"]],
    ["a lone CR chunk adds nothing", ["a", "\r", "b\n"], ["ab"]],
  ])("%s", (_name, chunks, expected) => {
    expect(frame(chunks).events).toEqual(expected);
  });

  test("replaces invalid UTF-8 with U+FFFD", () => {
    expect(frame([new Uint8Array([0x61, 0xff, 0x62, 0x0a])]).events).toEqual(["a\uFFFDb"]);
  });

  test("joins a multi-byte character split across chunks", () => {
    const euro = enc.encode("€\n");
    expect(frame([euro.subarray(0, 1), euro.subarray(1)]).events).toEqual(["€"]);
  });

  test("keeps an event of exactly the limit whole", () => {
    const line = "x".repeat(65_536);
    expect(frame([`${line}\n`])).toEqual({ events: [line], cut: 0 });
  });

  test("cuts an event over 64 KiB into pieces and counts it once", () => {
    const line = "y".repeat(65_536 * 2 + 10);
    const { events, cut } = frame([`${line}\nok\n`]);
    expect(events.map((e) => e.length)).toEqual([65_536, 65_536, 10, 2]);
    expect(cut).toBe(1);
  });

  test("never cuts inside a UTF-8 character", () => {
    // 65,535 ASCII bytes then a 3-byte character: the cut falls before it, not through it.
    const line = `${"a".repeat(65_535)}€tail`;
    const { events } = frame([`${line}\n`]);
    expect(events).toEqual(["a".repeat(65_535), "€tail"]);
  });

  test("cuts a 50 MB line without newline into 64 KiB pieces as it streams", () => {
    const chunk = new Uint8Array(1 << 20).fill(0x41);
    const sizes: number[] = [];
    const framer = new LineFramer({ onEvent: (e) => sizes.push(e.length) });
    for (let i = 0; i < 50; i++) framer.push(chunk);
    // Everything but the last (possibly partial) piece has been emitted before end().
    expect(sizes.length).toBe(799);
    framer.end();
    expect(sizes.length).toBe(800);
    expect(sizes.every((s) => s === 65_536)).toBe(true);
    expect(framer.cutEvents).toBe(1);
  });

  test.each([
    ["splits before each match and keeps the delimiter", ";", ["a;b;c\n"], ["a", ";b", ";c"]],
    ["a match at the start makes no empty event", ";", [";a;b\n"], [";a", ";b"]],
    ["never matching keeps the line whole", "XYZ", ["a;b\n"], ["a;b"]],
    ["LF still splits", ";", ["a;b\nc;d"], ["a", ";b", "c", ";d"]],
    ["a zero-width lookahead works", "(?=<\\d+>)", ["<1>a<2>b\n"], ["<1>a", "<2>b"]],
    ["a Boost escape that u mode rejects still compiles", "\\=", ["a=b\n"], ["a", "=b"]],
  ])("EventDelimiter: %s", (_name, delimiter, chunks, expected) => {
    expect(frame(chunks, { eventDelimiter: delimiter }).events).toEqual(expected);
  });

  test("EventDelimiter: splits a long line into delimited events without cutting any", () => {
    const piece = `;${"z".repeat(999)}`;
    const line = piece.repeat(200); // 200,000 bytes, no LF
    const { events, cut } = frame([line], { eventDelimiter: ";" });
    expect(cut).toBe(0);
    expect(events.length).toBe(200);
    expect(events.every((e) => e === piece)).toBe(true);
  });

  test("gives the same events however the stream is chunked", () => {
    // Short lines, CRLF, multi-byte text and lines far over the limit, in one stream.
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const parts: string[] = [];
    for (let i = 0; i < 200; i++) {
      const len = rand(10) === 0 ? 60_000 + rand(80_000) : rand(300);
      parts.push(`${i}:${"é€a".repeat(Math.floor(len / 6))}${rand(3) === 0 ? "\r\n" : "\n"}`);
    }
    const bytes = enc.encode(parts.join(""));
    const whole = frame([bytes]);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; ) {
      const k = 1 + rand(rand(2) === 0 ? 7 : 100_000);
      chunks.push(bytes.subarray(i, i + k));
      i += k;
    }
    expect(frame(chunks)).toEqual(whole);
    expect(whole.events.filter((e) => e.includes(":")).length).toBe(200);
    expect(whole.events.every((e) => enc.encode(e).length <= 65_536 && !e.includes("\r"))).toBe(true);
    expect(whole.cut).toBeGreaterThan(0);
  });

  test.each([
    ["no delimiter", undefined],
    ["EventDelimiter", ";"],
  ])("names where each event sits in the text it was decoded with (%s)", (_name, eventDelimiter) => {
    const lines = ["a;b;c", "x".repeat(70_000), "ü;€", "\r", "plain", ";lead;;trail;", "😀 2", ""];
    const stream = lines.join("\n") + "\nlast";
    const seen: { event: string; inBase: string; base: string }[] = [];
    const framer = new LineFramer({
      ...(eventDelimiter === undefined ? {} : { eventDelimiter }),
      onEvent: (event, _bmp, base, offset) => seen.push({ event, inBase: base.slice(offset, offset + event.length), base }),
    });
    const bytes = enc.encode(stream);
    for (let i = 0; i < bytes.length; i += 5_000) framer.push(bytes.subarray(i, i + 5_000));
    framer.end();
    expect(seen.map((s) => s.inBase)).toEqual(seen.map((s) => s.event));
    // Whole lines decoded together share one text: fewer texts than events.
    expect(new Set(seen.map((s) => s.base)).size).toBeLessThan(seen.length);
    expect(seen.length).toBe(eventDelimiter === undefined ? 8 : 14);
  });

  test("keeps a byte order mark as text", () => {
    expect(frame(["\uFEFFa\n"]).events).toEqual(["\uFEFFa"]);
  });

  test("rejects a maximum size too small to hold a character", () => {
    expect(() => new LineFramer({ onEvent: () => {}, maxEventBytes: 2 })).toThrow(
      "Line framer max event size is invalid: got 2, expected an integer >= 4",
    );
  });
});

describe("LineFramer bmp flag", () => {
  function flags(chunks: (string | Uint8Array)[]): [string, boolean][] {
    const seen: [string, boolean][] = [];
    const framer = new LineFramer({ onEvent: (e, bmp) => seen.push([e, bmp]) });
    for (const c of chunks) framer.push(typeof c === "string" ? enc.encode(c) : c);
    framer.end();
    return seen;
  }

  test("is true for events whose bytes hold no 4-byte UTF-8 sequence, false when they do or when unknown", () => {
    expect(flags(["plain ascii\ncafé ü ж €\n"])).toEqual([["plain ascii", true], ["café ü ж €", true]]);
    // One astral character anywhere in the decoded span makes the whole span unknown-safe: false.
    expect(flags(["a 😀 b\nplain\n"])).toEqual([["a 😀 b", false], ["plain", false]]);
    // Invalid bytes F5-FF decode to U+FFFD, which is not astral.
    expect(flags([new Uint8Array([0x61, 0xff, 0xf5, 0x0a])])).toEqual([["a\uFFFD\uFFFD", true]]);
    // A lone F0 lead (invalid) is still treated as possibly astral.
    expect(flags([new Uint8Array([0x61, 0xf0, 0x0a])])).toEqual([["a\uFFFD", false]]);
    // An event completed across chunks or left without LF takes the slow path: not known.
    expect(flags(["par", "tial\n", "tail"])).toEqual([["partial", false], ["tail", false]]);
  });
});

describe("LineFramer onLineEnd", () => {
  test("marks the end of each line, after all the events the line produced", () => {
    const seen: string[] = [];
    const framer = new LineFramer({ onEvent: (e) => seen.push(e), onLineEnd: () => seen.push("|"), eventDelimiter: ";", maxEventBytes: 8 });
    framer.push(new TextEncoder().encode("a;b\n\nabcdefghijkl\nz"));
    framer.end();
    expect(seen).toEqual(["a", ";b", "|", "|", "abcdefgh", "ijkl", "|", "z", "|"]);
  });
});
