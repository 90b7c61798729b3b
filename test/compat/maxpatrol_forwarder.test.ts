/**
 * Forwarders that stream and never read (issue 11, "Done when"), replayed against `ioclens serve`
 * running as a real process on the embedded config:
 *
 * - a MaxPatrol-style forwarder (spec §2.2; the public MaxPatrol SIEM → CyberTrace forwarder):
 *   connects, sends `X-KF-SendFinishedEvent` as its own write, then one `k=v k=v\n` line per
 *   SIEM event (the event's IOC fields, `src.ip=… dst.ip=… object.hash=…`), and never reads;
 * - a forwarder with no preamble at all (rsyslog, syslog-ng, Splunk tcpout): the same lines.
 *
 * Each pushes 1 M lines without blocking and receives 0 bytes, while every detection and every
 * finished event reaches the SIEM listener, in order. Before routing by preamble both stalled
 * for good (~152 k and ~190 k lines). The time each run takes is printed, not asserted.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createConnection, type Socket } from "node:net";
import { killChildren } from "../reliability/_reliability_fixture.ts";
import { tempDir } from "../system/_system.ts";
import { cleanOutcome, forwardingOutcome, startServe, startTallyListener, within } from "./_compat_fixture.ts";

afterEach(killChildren);

const LINES = 1_000_000;
/** Lines are written in batches of about this many bytes; the byte stream is the same as one send per line. */
const BATCH_BYTES = 64 * 1024;

/**
 * Line `i` (from 1) as the forwarder formats a MaxPatrol event's IOC fields. Every 100th line
 * hits a demo feed, alternately 192.0.2.0 (KL_IP_Reputation) and an MD5
 * (KL_Malicious_Hash_MD5); `hit` names the matched indicator, if any.
 */
function maxPatrolLine(i: number): { line: string; hit?: string } {
  const base = `src.ip=10.0.${(i >> 8) & 255}.${i & 255} event_src.host=mp-collector-${i % 7} event_src.title=windows`;
  if (i % 200 === 100) return { line: `${base} dst.ip=192.0.2.0 dst.port=443 dst.host=srv-${i % 97}.corp.example\n`, hit: "192.0.2.0" };
  if (i % 200 === 0) return { line: `${base} object.path=C:\\Users\\u${i % 50}\\AppData\\x.exe object.hash=C912705B4BBB14EC7E78FA8B370532C9\n`, hit: "C912705B4BBB14EC7E78FA8B370532C9" };
  return { line: `${base} dst.ip=10.20.${(i >> 8) & 255}.${i & 255} dst.port=443 dst.host=srv-${i % 97}.corp.example\n` };
}

/** Writes `text`, waiting for the socket to take it when its buffer is full (never for a read). */
function write(socket: Socket, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once("error", onError);
    const flushed = socket.write(text, () => {
      socket.off("error", onError);
      if (flushed) resolve();
    });
    if (!flushed) socket.once("drain", () => resolve());
  });
}

describe.each([
  ["a MaxPatrol-style forwarder (X-KF-SendFinishedEvent only)", "X-KF-SendFinishedEvent"],
  ["a forwarder with no preamble", ""],
] as const)("%s, never reading its socket", (name, preamble) => {
  test(
    `pushes ${LINES} lines through the embedded config; receives 0 bytes; every detection and finished event reaches the output`,
    async () => {
      await using dir = await tempDir("maxpatrol");
      await using siem = await startTallyListener();
      await using serve = await startServe(dir.path, siem.port);

      const started = performance.now();
      const socket = createConnection({ host: "127.0.0.1", port: serve.port });
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("error", reject);
      });
      // A forwarder that never reads: anything the service sent would wait in the kernel, and
      // once that filled up the service would stop reading us and the writes below would stall.
      socket.pause();
      let received = 0;
      socket.on("data", (chunk: Buffer) => (received += chunk.length));

      const expected: string[] = [];
      let sentLines = 0;
      const push = async () => {
        if (preamble !== "") await write(socket, preamble);
        let batch = "";
        for (let i = 1; i <= LINES; i++) {
          const { line, hit } = maxPatrolLine(i);
          if (hit !== undefined) expected.push(`${i}:${hit}`);
          batch += line;
          if (batch.length >= BATCH_BYTES || i === LINES) {
            await write(socket, batch);
            sentLines = i;
            batch = "";
          }
        }
      };
      await within(150_000, push(), () => `${name}: writing stalled after ${sentLines} lines (${received} bytes back); SIEM has ${siem.tally}`);
      const pushed = performance.now();
      await within(150_000, siem.until((t) => t.finished >= LINES), () => `${name}: all ${LINES} lines written, SIEM has ${siem.tally}`);
      const done = performance.now();

      // Read what the service may have sent, then close our side and let it close its side.
      socket.resume();
      socket.end();
      await within(30_000, new Promise<void>((resolve) => socket.once("close", () => resolve())), () => `${name}: the service to close the connection`);
      const status = await serve.status();

      const seconds = (done - started) / 1000;
      console.log(
        `compat: ${name}: ${LINES} lines written in ${((pushed - started) / 1000).toFixed(1)} s, all finished events at the SIEM after ${seconds.toFixed(1)} s (${Math.round(LINES / seconds)} events/s)`,
      );
      expect(forwardingOutcome(received, siem.tally, status)).toEqual(cleanOutcome(LINES, expected));
    },
    360_000,
  );
});
