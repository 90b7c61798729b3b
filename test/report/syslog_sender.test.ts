import { describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { type ConnectSyslog, connectSyslog, type SyslogConnection } from "../../src/report/connect_syslog.ts";
import { parseReportLine } from "../../src/report/parse_report_line.ts";
import { SyslogSender } from "../../src/report/syslog_sender.ts";
import { FIXTURES, NOW, run } from "./_report_cli.ts";

const SIDECAR = join(FIXTURES, "scan_out", "log_scanner_report20240415_100211.ndjson");

/** A TCP syslog receiver on port 0 that collects newline-framed lines. */
async function startReceiver() {
  const lines: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((socket) => {
    let buf = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      for (const w of waiters) if (lines.length >= w.n) w.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    lines,
    received: (n: number) => (lines.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("ioclens report --send", () => {
  test("replays records as RFC 5424 lines over TCP, retrying a refused connect", async () => {
    const receiver = await startReceiver();
    try {
      let attempts = 0;
      const connect: ConnectSyslog = (t) => (++attempts <= 2 ? Promise.reject(new Error("Connection refused")) : connectSyslog(t));
      const sleeps: number[] = [];
      const result = await run(["--send", `tcp://127.0.0.1:${receiver.port}`, "--retry-delay", "0.25", SIDECAR], {
        connect, sleep: async (ms) => void sleeps.push(ms),
      });
      await receiver.received(3);
      expect(result).toEqual({ code: 0, stdout: "", stderr: `ioclens: sent 3 records to tcp://127.0.0.1:${receiver.port}\n` });
      expect(sleeps).toEqual([250, 250]);
      expect(receiver.lines[0]).toBe(
        '<12>1 2024-04-15T10:02:11.000Z relay01 ioclens - detection [ioclens@32473 category="KL_Malicious_URL" indicator="bad.example/*" type="url" file="logs/proxy.log" line="12"] ' +
          "category=KL_Malicious_URL matchedIndicator=bad.example/* url=http://bad.example/a b first_seen=11.01.2016 07:17",
      );
    } finally {
      await receiver.close();
    }
  });

  test("sends CEF inside a syslog header that our reader takes apart again", async () => {
    const receiver = await startReceiver();
    try {
      const result = await run(["--send", `tcp://127.0.0.1:${receiver.port}`, "--format", "cef", SIDECAR]);
      await receiver.received(3);
      expect(result.code).toBe(0);
      expect(receiver.lines[1]).toStartWith("<12>1 2024-04-15T10:02:12.000Z relay01 ioclens - detection - CEF:0|Kaspersky Lab|");
      const back = receiver.lines.map((l) => parseReportLine(l, { now: NOW })).map((p) => (p.kind === "detection" ? [p.record.dialect, p.record.indicator, p.record.time] : p.kind));
      expect(back).toEqual([
        ["cef", "bad.example/*", "2024-04-15T10:02:11.000Z"],
        ["cef", "192.0.2.1", "2024-04-15T10:02:12.000Z"],
        ["cef", "44D88612FEA8A8F36DE82E1278ABB02F", "2024-04-15T10:02:13.000Z"],
      ]);
    } finally {
      await receiver.close();
    }
  });

  test("exits 4 naming the target when every attempt fails", async () => {
    const port = await closedPort();
    const sleeps: number[] = [];
    const result = await run(["--send", `tcp://127.0.0.1:${port}`, "--retries", "2", SIDECAR], { sleep: async (ms) => void sleeps.push(ms) });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(new RegExp(`^ioclens: sending to tcp://127\\.0\\.0\\.1:${port} failed: .+ \\(3 attempts\\)\\n$`));
    expect(sleeps).toEqual([1000, 1000]);
  });

  test("sends one datagram per record over UDP", async () => {
    const socket = createSocket("udp4");
    const got: string[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    socket.on("message", (m) => {
      got.push(m.toString("utf8"));
      if (got.length === 3) done();
    });
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    try {
      const result = await run(["--send", `udp://127.0.0.1:${socket.address().port}`, "--format", "leef", SIDECAR]);
      await all;
      expect(result.code).toBe(0);
      expect(got.map((g) => g.split(" - detection - ")[1]!.split("|")[4])).toEqual(["KL_Malicious_URL", "KL_IP_Reputation", "KL_Malicious_Hash_MD5"]);
      expect(got.every((g) => !g.endsWith("\n"))).toBe(true);
    } finally {
      await new Promise<void>((r) => socket.close(() => r()));
    }
  });
});

describe("SyslogSender", () => {
  test("resends the line that failed on a fresh connection, in order", async () => {
    const delivered: string[] = [];
    let connections = 0;
    const connect: ConnectSyslog = async () => {
      const id = ++connections;
      const conn: SyslogConnection = {
        write: async (line) => {
          // The first connection breaks on its second line.
          if (id === 1 && delivered.length === 1) throw new Error("Connection reset");
          delivered.push(`${id}:${line}`);
        },
        close: async () => undefined,
      };
      return conn;
    };
    const sender = new SyslogSender({ protocol: "tcp", host: "127.0.0.1", port: 1 }, { connect, retries: 3, retryDelayMs: 0, sleep: async () => undefined });
    for (const l of ["a", "b", "c"]) await sender.send(l);
    await sender.close();
    expect([delivered, sender.sent, sender.reconnects]).toEqual([["1:a", "2:b", "2:c"], 3, 1]);
  });
});
