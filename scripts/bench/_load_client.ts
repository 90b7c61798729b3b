/**
 * The client side of the throughput benchmark: N connections with `X-KF-ReplyBack
 * X-KF-SendFinishedEvent`, each keeping up to `window` lines in flight, written in batches of
 * pre-encoded lines. A line is answered when its finished event arrives (the protocol answers
 * in order), so its latency is that arrival minus the write of its batch. Kept cheap on purpose:
 * on a 2-core machine the client shares the CPU with the service.
 */
import { createConnection, type Socket } from "node:net";
import { readCpuSplit } from "./_service_process.ts";

const MARKER = Buffer.from("LookupFinished");
const TAIL = MARKER.length - 1;
const PREAMBLE = "X-KF-ReplyBackX-KF-SendFinishedEvent";

/** Settings of one load run. */
export interface LoadOptions {
  readonly port: number;
  readonly connections: number;
  /** Lines in flight per connection. */
  readonly window: number;
  /** Pre-encoded batches, each exactly `batchLines` lines ending in LF. */
  readonly batches: readonly Buffer[];
  readonly batchLines: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** The server's pid: its CPU time over the measured window is reported. */
  readonly serverPid?: number;
}

/** What one run measured (over the measured window only). */
export interface LoadResult {
  readonly eventsPerSecond: number;
  readonly events: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Detection lines per input line. */
  readonly detectionsPerLine: number;
  /** Server CPU seconds per wall second (1.0 = one core busy). */
  readonly serverCpu: number;
  /** The part of `serverCpu` spent in the kernel (socket calls, page faults). */
  readonly serverSystemCpu: number;
  /** Client CPU seconds per wall second. */
  readonly clientCpu: number;
}

/** Splits `lines` into LF-terminated batches of `batchLines` (the tail that does not fill one is dropped). */
export function encodeBatches(lines: readonly string[], batchLines: number): Buffer[] {
  const batches: Buffer[] = [];
  for (let i = 0; i + batchLines <= lines.length; i += batchLines) batches.push(Buffer.from(lines.slice(i, i + batchLines).join("\n") + "\n"));
  return batches;
}

/** Runs the load described by `options`; resolves once every connection is drained and closed. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { batchLines: B, window: W, batches } = options;
  if (W < B) throw new Error(`Load client window is invalid: got ${W}, expected at least the batch size ${B}`);
  const started = performance.now();
  const t0 = started + options.warmupMs;
  const t1 = t0 + options.measureMs;
  const capacity = Math.min(20_000_000, Math.max(100_000, Math.round(options.measureMs * 500)));
  const latencies = new Float64Array(capacity);
  let samples = 0;
  let measuredEvents = 0;
  let measuredLines = 0;
  let measuredNewlines = 0;
  let stopSending = false;
  let serverCpu0 = { user: 0, system: 0 };
  let serverCpu1 = { user: 0, system: 0 };
  let client0 = process.cpuUsage();
  let clientCpu = 0;
  const windowTimer = setTimeout(() => {
    if (options.serverPid) serverCpu0 = readCpuSplit(options.serverPid);
    client0 = process.cpuUsage();
  }, options.warmupMs);
  const pumps: (() => void)[] = [];
  const endTimer = setTimeout(() => {
    stopSending = true;
    // A connection with nothing in flight gets no more data events: close it from here.
    for (const pump of pumps) pump();
    if (options.serverPid) serverCpu1 = readCpuSplit(options.serverPid);
    const c = process.cpuUsage(client0);
    clientCpu = (c.user + c.system) / 1e6;
  }, options.warmupMs + options.measureMs);

  const connection = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const socket: Socket = createConnection({ port: options.port, host: "127.0.0.1", noDelay: true });
      const ring = Math.ceil(W / B) + 2;
      const sendTimes = new Float64Array(ring);
      let nextBatch = (index * 7919) % batches.length;
      let sentLines = 0;
      let answered = 0;
      const tail = Buffer.alloc(TAIL * 2);
      let tailLen = 0;
      let ended = false;
      const pump = () => {
        if (stopSending) {
          if (answered === sentLines && !ended) {
            ended = true;
            socket.end();
          }
          return;
        }
        let payload: Buffer | undefined;
        let parts: Buffer[] | undefined;
        const now = performance.now();
        while (sentLines - answered + B <= W) {
          sendTimes[(sentLines / B) % ring] = now;
          const b = batches[nextBatch]!;
          nextBatch = nextBatch + 1 === batches.length ? 0 : nextBatch + 1;
          if (payload === undefined) payload = b;
          else (parts ??= [payload]).push(b);
          sentLines += B;
        }
        if (parts) socket.write(Buffer.concat(parts));
        else if (payload) socket.write(payload);
      };
      pumps.push(pump);
      socket.once("connect", () => {
        socket.write(PREAMBLE);
        pump();
      });
      socket.on("data", (chunk: Buffer) => {
        const at = performance.now();
        const inWindow = at >= t0 && at < t1;
        let found = 0;
        // A marker split across reads: join the end of the last read with the start of this one.
        if (tailLen > 0) {
          chunk.copy(tail, tailLen, 0, Math.min(TAIL, chunk.length));
          if (tail.subarray(0, tailLen + Math.min(TAIL, chunk.length)).indexOf(MARKER) >= 0) found++;
        }
        for (let i = chunk.indexOf(MARKER); i >= 0; i = chunk.indexOf(MARKER, i + MARKER.length)) found++;
        tailLen = Math.min(TAIL, chunk.length);
        chunk.copy(tail, 0, chunk.length - tailLen);
        if (inWindow) {
          let nl = 0;
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) nl++;
          measuredNewlines += nl;
          measuredEvents += found;
          for (let k = 0; k < found; k++) {
            const line = answered + k;
            if (samples < capacity) latencies[samples++] = at - sendTimes[Math.floor(line / B) % ring]!;
          }
          measuredLines += found;
        }
        answered += found;
        if (answered > sentLines) {
          socket.destroy();
          reject(new Error(`Load client failed: connection ${index} got ${answered} finished events for ${sentLines} lines sent`));
          return;
        }
        if (sentLines - answered + B <= W || stopSending) pump();
      });
      socket.once("error", (error) => reject(new Error(`Load client connection ${index} failed: ${error.message}`)));
      socket.once("close", () => resolve());
    });

  await Promise.all(Array.from({ length: options.connections }, (_, i) => connection(i)));
  clearTimeout(windowTimer);
  clearTimeout(endTimer);
  const seconds = options.measureMs / 1000;
  const sorted = latencies.subarray(0, samples).sort();
  const q = (p: number) => (samples === 0 ? Number.NaN : sorted[Math.min(samples - 1, Math.floor(p * samples))]!);
  return {
    events: measuredEvents,
    eventsPerSecond: measuredEvents / seconds,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    detectionsPerLine: measuredLines > 0 ? (measuredNewlines - measuredLines) / measuredLines : 0,
    serverCpu: options.serverPid ? (serverCpu1.user + serverCpu1.system - serverCpu0.user - serverCpu0.system) / seconds : Number.NaN,
    serverSystemCpu: options.serverPid ? (serverCpu1.system - serverCpu0.system) / seconds : Number.NaN,
    clientCpu: clientCpu / seconds,
  };
}
