import { describe, expect, test } from "bun:test";
import { mkdtemp, readFile, readdir, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { main } from "../../src/cli/main.ts";
import { recordingIo } from "../_support/recording_io.ts";
import { startTestService, testConfig } from "../_support/test_service.ts";

/** A temp folder removed on dispose. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), "ioclens-scan-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

async function scannerConfig(dir: string, port: number, extra = ""): Promise<string> {
  const path = join(dir, "log_scanner.conf");
  await writeFile(
    path,
    `<Settings>\n<ThreadsCount>4</ThreadsCount>\n<OutputDir>${join(dir, "reports")}</OutputDir>\n<Pattern>ip=%IP% md5=%MD5% sha1=%SHA1% sha256=%SHA256% url=%URL%</Pattern>\n<Connection>127.0.0.1:${port}</Connection>\n<ConnectionTimeout>2</ConnectionTimeout>\n${extra}</Settings>\n`,
  );
  return path;
}

async function scan(argv: string[], cwd: string) {
  const io = recordingIo({ cwd });
  const code = await main(["scan", ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

const SUMMARY = /^Total number of objects sent to KTFS: (\d+)\nTotal number of detects received from KTFS: (\d+)\nTotal scan time: \d\d:\d\d:\d\d\.\d{3}\n/;

describe("ioclens scan", () => {
  test("a folder of three files (one gzipped) with ThreadsCount 4 gives exactly the expected detections and counts", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    const logs = join(dir.path, "logs");
    await Promise.all([
      (async () => {
        const { mkdir } = await import("node:fs/promises");
        await mkdir(logs);
        await writeFile(join(logs, "proxy.log"), "GET http://fakess123.nu/ 200\nGET http://www.example.com/ 200\n\nCONNECT fakess123ap.nu:443\n");
        await writeFile(join(logs, "fw.log.gz"), gzipSync("SRC=192.0.2.4 DST=198.51.100.10\nSRC=198.51.100.7 DST=198.51.100.10\n"));
        await writeFile(join(logs, "av.log"), Array.from({ length: 500 }, (_, i) => (i === 250 ? "md5=C912705B4BBB14EC7E78FA8B370532C9" : `clean line ${i}`)).join("\n"));
      })(),
    ]);
    const { code, out, err } = await scan(["-r", "-c", config, "-p", "logs"], dir.path);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const match = SUMMARY.exec(out);
    expect(match?.slice(1)).toEqual(["505", "4"]);
    const reportPath = /^Report: (.+)$/m.exec(out)![1]!;
    expect(reportPath).toMatch(/log_scanner_report\d{8}_\d{6}\.txt$/);
    const report = await readFile(reportPath, "utf8");
    const lines = report.trimEnd().split("\n");
    expect(lines.slice(-3).map((l) => l.replace(/\d\d:\d\d:\d\d\.\d{3}$/, "T"))).toEqual([
      "Total number of objects sent to KTFS: 505",
      "Total number of detects received from KTFS: 4",
      "Total scan time: T",
    ]);
    const categories = lines.slice(0, -3).map((l) => /category=(\S+)/.exec(l)?.[1]).sort();
    expect(categories).toEqual(["KL_APT_IP", "KL_Malicious_Hash_MD5", "KL_Malicious_URL", "KL_Phishing_URL"]);
    const sidecar = (await readFile(reportPath.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    const where = sidecar.filter((r) => r.type === "detection").map((r) => `${r.file}:${r.line}`).sort();
    expect(where).toEqual(["logs/av.log:251", "logs/fw.log.gz:1", "logs/proxy.log:1", "logs/proxy.log:4"]);
    expect(sidecar.at(-1)).toEqual({ type: "summary", objectsSent: 505, detectsReceived: 4, scanTimeMs: expect.any(Number), startedAt: expect.any(String), partial: false });
  });

  test("-u, -i and -s values are detected with their categories against the demo feeds", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    const { code, out } = await scan(["-r", "-c", config, "-u", "http://fakess123.nu", "-i", "192.0.2.0", "-s", "C912705B4BBB14EC7E78FA8B370532C9"], dir.path);
    expect(code).toBe(0);
    expect(SUMMARY.exec(out)?.slice(1)).toEqual(["3", "3"]);
    const report = await readFile(/^Report: (.+)$/m.exec(out)![1]!, "utf8");
    expect(report.split("\n").map((l) => /category=(\S+)/.exec(l)?.[1]).filter(Boolean).sort()).toEqual(["KL_IP_Reputation", "KL_Malicious_Hash_MD5", "KL_Malicious_URL"]);
  });

  test("--fail-on-detect exits 1 when something was detected", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    expect((await scan(["-c", config, "-i", "192.0.2.0", "--fail-on-detect", "--quiet"], dir.path)).code).toBe(1);
    expect((await scan(["-c", config, "-i", "198.51.100.99", "--fail-on-detect", "--quiet"], dir.path)).code).toBe(0);
  });

  test("an unreachable service gives one clear line and exit 4", async () => {
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, 1, "").then(async (path) => {
      await writeFile(path, (await readFile(path, "utf8")).replace("<ConnectionTimeout>2</ConnectionTimeout>", "<ConnectionTimeout>0</ConnectionTimeout>"));
      return path;
    });
    const { code, err } = await scan(["-c", config, "-i", "192.0.2.0", "--quiet"], dir.path);
    expect(code).toBe(4);
    expect(err).toBe("ioclens: cannot connect to the lookup service at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1 (waited 0 s, ConnectionTimeout 0 s)\n");
  });

  test("--connection lists replicas: connections given a dead one move to the live one, and the counts are exact", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, 1);
    await writeFile(join(dir.path, "app.log"), Array.from({ length: 3000 }, (_, i) => (i % 100 === 0 ? `line ${i} src=192.0.2.0` : `line ${i}`)).join("\n") + "\n");
    const { code, out, err } = await scan(["-r", "-c", config, "--connection", "127.0.0.1:1", "--connection", `127.0.0.1:${service.port}`, "-p", "app.log"], dir.path);
    expect({ code, err, counts: SUMMARY.exec(out)?.slice(1) }).toEqual({ code: 0, err: "", counts: ["3000", "30"] });
  });

  test("when no address answers, the error names each one and why", async () => {
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, 1);
    await writeFile(config, (await readFile(config, "utf8")).replace("<ConnectionTimeout>2</ConnectionTimeout>", "<ConnectionTimeout>0</ConnectionTimeout>"));
    const { code, err } = await scan(["-c", config, "--connection", "127.0.0.1:1,127.0.0.1:2", "-i", "192.0.2.0", "--quiet"], dir.path);
    expect({ code, err }).toEqual({
      code: 4,
      err: "ioclens: cannot connect to the lookup service at 127.0.0.1:1, 127.0.0.1:2: connect ECONNREFUSED 127.0.0.1:1; connect ECONNREFUSED 127.0.0.1:2 (waited 0 s, ConnectionTimeout 0 s)\n",
    });
  });

  test("a bad --connection is a usage error naming the address", async () => {
    await using dir = await tempDir();
    const { code, err } = await scan(["--connection", "127.0.0.1:9999,nowhere", "-i", "192.0.2.0"], dir.path);
    expect({ code, err: err.split("\n")[0] }).toEqual({
      code: 2,
      err: 'ioclens: --connection must be host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name, got "nowhere" (address 2 of 2)',
    });
  });

  test("a binary file is named and skipped, and the exit code says the scan was partial", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    await writeFile(join(dir.path, "ok.log"), "ip=192.0.2.0\n");
    await writeFile(join(dir.path, "blob.bin"), new Uint8Array([0x41, 0x00, 0x42, 0x0a]));
    const { code, out, err } = await scan(["-r", "-c", config, "-p", "ok.log", "-p", "blob.bin"], dir.path);
    expect(code).toBe(6);
    expect(err).toBe("ioclens: blob.bin: binary file (NUL bytes), skipped; use --binary to send it\n");
    expect(SUMMARY.exec(out)?.slice(1)).toEqual(["1", "1"]);
  });

  test("a line over 1 MiB is sent in pieces with one warning naming it, and the scan finishes", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    await writeFile(join(dir.path, "app.log"), `first\n${"x".repeat(3 << 20)} ip=192.0.2.0\nlast 192.0.2.1\n`);
    const { code, out, err } = await scan(["-r", "-c", config, "-p", "app.log"], dir.path);
    expect({ code, err }).toEqual({ code: 0, err: "ioclens: app.log:2: line is longer than 1048576 bytes: sent in 4 pieces\n" });
    // 1 + 4 pieces + 1 lines; the address at the end of the long line is in its last piece
    expect(SUMMARY.exec(out)?.slice(1)).toEqual(["6", "2"]);
    const sidecar = (await readFile(/^Report: (.+)$/m.exec(out)![1]!.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(sidecar.filter((r) => r.type === "detection").map((r) => `${r.file}:${r.line}`).sort()).toEqual(["app.log:2", "app.log:3"]);
  });

  test("lines come from standard input with -p -", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    const io = recordingIo({ cwd: dir.path, stdin: "one 192.0.2.1\ntwo\n" });
    const code = await main(["scan", "-c", config, "-p", "-"], io);
    expect(code).toBe(0);
    expect(SUMMARY.exec(io.out())?.slice(1)).toEqual(["2", "1"]);
  });
});

/**
 * A stand-in service: answers a PING with `pong`, and each line sent on another connection with
 * a finished event and no detection (what scan without -r waits for, docs/protocol.md §2).
 */
async function startPongService(pong: string): Promise<{ port: number } & AsyncDisposable> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (chunk) => {
      const text = chunk.toString("latin1");
      head = (head + text).slice(-64);
      if (head.includes("PING")) socket.end(`${pong}\n`);
      else socket.write("LookupFinished sent_events=0\n".repeat(text.split("\n").length - 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    [Symbol.asyncDispose]: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("ioclens scan without -r names the service's output target", () => {
  test("escaped: the target comes from the service's PONG line and cannot drive the terminal", async () => {
    await using service = await startPongService("PONG feeds=1 indicators=5 demo_indicators=0 output_up=no output=siem\x1b]0;pwned\x07.example:514");
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    const { code, err } = await scan(["-c", config, "-u", "http://fakess123.nu"], dir.path);
    expect({ code, err }).toEqual({
      code: 0,
      err: "ioclens: warning: without -r, detections go to the service's output target siem\\x1b]0;pwned\\x07.example:514, where nothing listens: they reach no one; -r writes them to a report\n",
    });
  });
});

describe("ioclens scan over a Unix socket", () => {
  test("serve listens on a socket path and scan connects to it", async () => {
    await using dir = await tempDir();
    const socketPath = join(dir.path, "ioclens.sock");
    await using service = await startTestService(testConfig((xml) => xml.replace("127.0.0.1:0", socketPath)));
    const config = join(dir.path, "log_scanner.conf");
    await writeFile(config, `<Settings><ThreadsCount>2</ThreadsCount><Connection>${socketPath}</Connection><OutputDir>${dir.path}</OutputDir></Settings>`);
    const { code, out } = await scan(["-r", "-c", config, "-i", "192.0.2.0"], dir.path);
    expect(code).toBe(0);
    expect(SUMMARY.exec(out)?.slice(1)).toEqual(["1", "1"]);
    expect(service.address).toBe(socketPath);
  });
});

/** Runs `ioclens report ARGS` in `cwd`. */
async function report(argv: string[], cwd: string) {
  const io = recordingIo({ cwd });
  const code = await main(["report", ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

/**
 * A stand-in for a CyberTrace service that writes a record's own `category` after the service's
 * (`category=KL_IP_Reputation … category=test`), as CyberTrace does: answers every request line
 * with that detection and a finished event.
 */
async function cyberTraceTwin(): Promise<{ port: number } & AsyncDisposable> {
  const { createServer } = await import("node:net");
  const server = createServer((socket) => {
    let carry = "";
    socket.on("data", (chunk: Buffer) => {
      // The health probe, which CyberTrace answers too (spec §2.2): the scanner sends it first.
      if (/^(?:X-KF-[A-Za-z]+?)+PING/.test(carry + chunk.toString("utf8"))) return void socket.end("PONG\n");
      const parts = (carry + chunk.toString("utf8")).replace(/^X-KF-[A-Za-z]+?(?=ip=)/, "").split("\n");
      carry = parts.pop()!;
      for (const line of parts) {
        const ip = /ip=(\S+)/.exec(line)?.[1];
        if (ip) socket.write(`Dec 04 15:03:44 category=KL_IP_Reputation matchedIndicator=${ip} ip=${ip} threat_score=75 category=test popularity=5\n`);
        socket.write("Dec 04 15:03:44 alert=LookupFinished sent_events=1 total=KL_IP_Reputation:1;\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { port, [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("ioclens scan, then report: a record's own category field", () => {
  test("from a CyberTrace that writes category twice, the sidecar and every report format keep the service's category", async () => {
    await using twin = await cyberTraceTwin();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, twin.port);
    const scanned = await scan(["-r", "-c", config, "-i", "192.0.2.0"], dir.path);
    expect([scanned.code, scanned.err]).toEqual([0, ""]);
    const reportPath = /^Report: (.+)$/m.exec(scanned.out)![1]!;
    const sidecar = (await readFile(reportPath.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(sidecar[0].fields).toEqual({
      time: expect.any(String),
      category: "KL_IP_Reputation",
      matchedIndicator: "192.0.2.0",
      ip: "192.0.2.0",
      threat_score: "75",
      record_category: "test",
      popularity: "5",
    });

    const reports = join(dir.path, "reports");
    const json = await report(["--format", "json", reports], dir.path);
    const records = JSON.parse(json.out) as { category: string; context: Record<string, string> }[];
    expect(records.map((r) => [r.category, r.context.record_category])).toEqual([["KL_IP_Reputation", "test"]]);
    const csv = await report(["--format", "csv", reports], dir.path);
    expect(csv.out.split("\n")[1]).toContain(",KL_IP_Reputation,");
    expect((await report(["--format", "cef", reports], dir.path)).out).toContain(" reason=KL_IP_Reputation ");
    expect((await report(["--format", "leef", reports], dir.path)).out).toContain("|KL_IP_Reputation|cat=KL_IP_Reputation\t");
    const filtered = await Promise.all(["test", "KL_IP_Reputation"].map((c) => report(["--format", "json", "--filter", `category=${c}`, reports], dir.path)));
    expect(filtered.map((r) => (JSON.parse(r.out) as unknown[]).length)).toEqual([0, 1]);
  });

  test("from ioclens's embedded config the record's field arrives as record_category, the category once", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port);
    const scanned = await scan(["-r", "-c", config, "-i", "192.0.2.0"], dir.path);
    expect([scanned.code, scanned.err]).toEqual([0, ""]);
    const text = await readFile(/^Report: (.+)$/m.exec(scanned.out)![1]!, "utf8");
    const line = text.split("\n")[0]!;
    expect(line.match(/ category=\S+/g)).toEqual([" category=KL_IP_Reputation"]);
    expect(line).toContain(" eventName=KL_IP_Reputation matchedIndicator=192.0.2.0 ");
    expect(line).toContain(" record_category=test ");
  });
});
