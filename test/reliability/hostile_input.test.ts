import { describe, expect, test } from "bun:test";
import { createConnection, type Socket } from "node:net";
import { converse, startTestService } from "../_support/test_service.ts";
import { prng, rssAfterGcMiB, waitFor } from "../_support/child_processes.ts";

const FLAGS = "X-KF-SendFinishedEventX-KF-ReplyBack";
const DEMO_LINE = "ip=192.0.2.0 url=http://fakess123.nu md5=C912705B4BBB14EC7E78FA8B370532C9";
const MiB = 1048576;

/** Sends `total` bytes made of `chunk` repeated, honouring back-pressure, then `tail`; returns every line received until close. */
async function stream(port: number, head: string, chunk: Uint8Array, total: number, tail: string): Promise<string[]> {
  const socket: Socket = createConnection({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let text = "";
  socket.on("data", (data: Buffer) => void (text += data.toString()));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.write(head);
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  socket.end(tail);
  await closed;
  return text.split("\n").filter((l) => l.length > 0);
}

describe("hostile input", () => {
  test("a 50 MB line without a newline streams through in 64 KiB pieces with bounded memory, and is counted as cut", async () => {
    await using service = await startTestService();
    const rssBefore = rssAfterGcMiB();
    // One long token: the default regexes scan it at ~2 ms per 64 KiB piece.
    const chunk = new TextEncoder().encode("x".repeat(MiB));
    const total = 50 * MiB;
    const lines = await stream(service.port, FLAGS, chunk, total, " url=http://fakess123.nu\n");
    // One input line: one finished event, whatever it was cut into.
    expect(lines.filter((l) => l.includes("LookupFinished"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("category=KL_Malicious_URL"))).toHaveLength(1);
    const status = service.status();
    expect(status.events.cut).toBe(1);
    expect(status.events.total).toBe(Math.ceil((chunk.length * Math.ceil(total / chunk.length) + 24) / 65536));
    expect(rssAfterGcMiB() - rssBefore).toBeLessThan(100);
    expect((await converse(service.port, [FLAGS + DEMO_LINE + "\n"], 1)).at(-1)).toContain("sent_events=3");
  }, 30_000);

  test("1 MiB of seeded random bytes is answered line by line and the service keeps serving", async () => {
    await using service = await startTestService();
    const random = prng(20240601);
    const bytes = new Uint8Array(MiB);
    for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(256);
    // Events are what the framer sees: LF-separated, CR removed, empty ones skipped.
    let expectedLines = 0;
    let length = 0;
    for (const b of bytes) {
      if (b === 0x0a) {
        if (length > 0) expectedLines++;
        length = 0;
      } else if (b !== 0x0d) length++;
    }
    const lines = await stream(service.port, FLAGS, bytes, bytes.length, "\n");
    const finished = lines.filter((l) => l.includes("LookupFinished")).length;
    expect(finished).toBe(expectedLines + (length > 0 ? 1 : 0));
    expect(service.status().events.total).toBe(finished);
    expect((await converse(service.port, [FLAGS + DEMO_LINE + "\n"], 1)).at(-1)).toContain("sent_events=3");
  });

  test.each([
    ["invalid UTF-8 (lone continuation, overlong, surrogate half, 0xFF)", [0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe, 0x20]],
    ["NUL bytes", [0x00, 0x00, 0x20, 0x00]],
    ["a truncated 4-byte character", [0xf0, 0x9f, 0x98, 0x20]],
  ])("%s around an indicator: the indicator is still found and the line answered", async (_name, junk) => {
    await using service = await startTestService();
    const encoder = new TextEncoder();
    const line = new Uint8Array([...junk, ...encoder.encode("GET http://fakess123.nu/ "), ...junk, 0x0a]);
    const lines = await converse(service.port, [FLAGS, line], 1);
    expect(lines.filter((l) => l.includes("category=KL_Malicious_URL"))).toHaveLength(1);
    expect(lines.at(-1)).toContain("sent_events=1");
  });

  test("a preamble sent twice: repeated flags are flags, a preamble after the first line is an ordinary event", async () => {
    await using service = await startTestService();
    const lines = await converse(service.port, [FLAGS + FLAGS + "http://fakess123.nu\n" + FLAGS + "\n" + FLAGS + "PING\n"], 3);
    expect(lines.map((l) => (l.includes("LookupFinished") ? `finished ${/sent_events=(\d+)/.exec(l)?.[1]}` : "detection"))).toEqual([
      "detection",
      "finished 1",
      "finished 0",
      "finished 0",
    ]);
    expect(service.status().events.total).toBe(3);
  });

  test("a flood of PINGs: 2,000 probes get 2,000 PONGs, PINGs after the preamble are ignored, PING lines are events", async () => {
    await using service = await startTestService();
    const rssBefore = rssAfterGcMiB();
    let pongs = 0;
    for (let i = 0; i < 2000; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => converse(service.port, ["X-KF-ReplyBackPING"], 1)));
      pongs += batch.filter((lines) => lines.length === 1 && lines[0] === "PONG").length;
    }
    expect(pongs).toBe(2000);
    // After PING nothing is parsed: a megabyte of PINGs behind it gets one PONG and a close.
    expect(await stream(service.port, "X-KF-ReplyBackPING", new TextEncoder().encode("PING".repeat(4096)), MiB, "")).toEqual(["PONG"]);
    // In a session, PING is text: 10,000 "PING" lines are 10,000 events with 10,000 answers (empty lines are no events).
    expect(await converse(service.port, [FLAGS + "\n" + "PING\n\n".repeat(10_000)], 10_000).then((l) => l.length)).toBe(10_000);
    expect(service.status().events.total).toBe(10_000);
    await waitFor(() => service.status().connections.active === 0, "every connection to be released");
    expect(rssAfterGcMiB() - rssBefore).toBeLessThan(60);
  });
});
