/**
 * A forwarder that streams and never reads, as its own process (as a real one is, so the test's
 * SIEM listener does not share an event loop with it):
 * `bun never_reading_forwarder-fixture.ts PORT LINES [PREAMBLE]`.
 *
 * Connects to 127.0.0.1:PORT, pauses its socket (so whatever the service sends stays unread in
 * the kernel, and would stall the writes once that filled up), sends PREAMBLE as its own write
 * when given, then LINES lines of _maxpatrol_lines.ts in 64 KiB writes (the same byte stream as
 * one send per line). Prints `written N MS` once all are written. When its stdin closes it reads
 * what the service sent, closes its side, waits for the service to close, prints `received B`
 * and exits 0.
 */
import { createConnection, type Socket } from "node:net";
import { maxPatrolLine } from "./_maxpatrol_lines.ts";

const [port, lines, preamble = ""] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const BATCH_BYTES = 64 * 1024;

/** Writes `text`, waiting for the socket to take it when its buffer is full (never for a read). */
function write(socket: Socket, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (socket.write(text)) resolve();
    else socket.once("drain", () => resolve());
  });
}

const started = performance.now();
const socket = createConnection({ host: "127.0.0.1", port });
socket.on("error", (error) => {
  process.stderr.write(`forwarder: ${error.message}\n`);
  process.exit(1);
});
await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
socket.pause();
let received = 0;
socket.on("data", (chunk: Buffer) => (received += chunk.length));

if (preamble !== "") await write(socket, preamble);
let batch = "";
for (let i = 1; i <= lines; i++) {
  batch += maxPatrolLine(i).line;
  if (batch.length >= BATCH_BYTES || i === lines) {
    await write(socket, batch);
    batch = "";
  }
}
process.stdout.write(`written ${lines} ${Math.round(performance.now() - started)}\n`);

process.stdin.resume();
await new Promise<void>((resolve) => process.stdin.once("end", () => resolve()));
const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
socket.resume();
socket.end();
await closed;
process.stdout.write(`received ${received}\n`);
