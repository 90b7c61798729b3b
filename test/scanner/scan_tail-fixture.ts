/**
 * Runs a scan against a service that answers one line at a time, each answer in its own write:
 * the answers to the last lines then arrive one by one after the input is exhausted. Prints
 * `done <sent> <complete>` and exits 0; a scan that never ends is killed by the test.
 */
import { createConnection, createServer, type Socket } from "node:net";
import { runScan, type ScanItem } from "../../src/scanner/run_scan.ts";

const LINES = 3000;
const server = createServer((socket: Socket) => {
  let preamble = true;
  let carry = "";
  const queue: string[] = [];
  let pumping = false;
  const pump = () => {
    if (queue.length === 0) {
      pumping = false;
      return;
    }
    socket.write(queue.shift()!);
    setImmediate(pump);
  };
  socket.on("data", (chunk: Buffer) => {
    let text = carry + chunk.toString("utf8");
    if (preamble) {
      // The scanner's preamble has no newline; the first line follows it directly.
      text = text.replace(/^(X-KF-[A-Za-z]+)+/, "");
      preamble = false;
    }
    const lines = text.split("\n");
    carry = lines.pop()!;
    for (const _ of lines) queue.push("alert=LookupFinished sent_events=0\n");
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", async () => {
  const port = (server.address() as { port: number }).port;
  async function* items(): AsyncGenerator<ScanItem> {
    for (let i = 1; i <= LINES; i++) yield { source: "tail.log", line: i, text: `line ${i}` };
  }
  const outcome = await runScan(
    items(),
    { targets: [{ name: "127.0.0.1", connect: () => createConnection({ port, host: "127.0.0.1" }) }], now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    { connections: 2, window: 2048, replyBack: true, connectionTimeoutMs: 5000, replyTimeoutMs: 60_000 },
    { onLineDone: () => {} },
  );
  process.stdout.write(`done ${outcome.sent} ${outcome.complete}\n`);
  server.close();
  process.exit(0);
});
