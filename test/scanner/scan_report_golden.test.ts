/**
 * `ioclens scan -r` end to end against a fake service whose answers are every dialect the report
 * reader knows (test/fixtures/scan_report/answers.txt): the report and its sidecar, and the
 * ndjson and json reports, must equal byte for byte the files the scanner wrote before its report
 * path was made cheaper (fixtures made by main at d3d20b4), except for what depends on the clock:
 * the scan time, the start time and the year of year-less time stamps.
 */
import { describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { PREAMBLE_TOKENS } from "../../src/protocol/preamble.ts";
import { recordingIo } from "../_support/recording_io.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "scan_report");
const ANSWERS = (await readFile(join(FIXTURES, "answers.txt"), "utf8")).trimEnd().split("\n");

/** What the request lines carry besides their number: the sidecar's `sent`, escaped in JSON. */
const SENT_TAILS = ["GET http://bad.example/a?x=1 200", "ünïcödé 日本語 🙂", 'say "hi" \\ back', "tab\there", "", "SRC=192.0.2.1 DST=198.51.100.10"];
const REQUESTS = ANSWERS.map((_, i) => `event ${i} ${SENT_TAILS[i % SENT_TAILS.length]}`);

/** The detection lines the fake service sends for request `i`: its answer, and every fifth a second one. */
function answersFor(i: number): string[] {
  return i % 5 === 0 ? [ANSWERS[i]!, ANSWERS[(i * 7 + 3) % ANSWERS.length]!] : [ANSWERS[i]!];
}

const PREAMBLE = new RegExp(`^(?:${PREAMBLE_TOKENS.join("|")})+`);

/** A service that answers `event <i> …` with answersFor(i) and a finished event, and PING with PONG. */
async function fakeService(): Promise<{ port: number } & AsyncDisposable> {
  const server = createServer((socket) => {
    let carry = "";
    let started = false;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      let text = carry + chunk;
      if (!started) {
        if (/^(?:X-KF-[A-Za-z]+?)+PING/.test(text)) return void socket.end("PONG\n");
        text = text.replace(PREAMBLE, "");
        started = true;
      }
      const parts = text.split("\n");
      carry = parts.pop()!;
      let reply = "";
      for (const line of parts) {
        const detections = answersFor(Number(/^event (\d+)/.exec(line)![1]));
        reply += `${detections.join("\n")}\nalert=LookupFinished sent_events=${detections.length}\n`;
      }
      socket.write(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { port, [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The parts that depend on the clock, masked: scan time, start time, the year of a `time`. */
function masked(text: string): string {
  return text
    .replace(/^Total scan time: .*$/m, "Total scan time: T")
    .replace(/"scanTimeMs":\d+/g, '"scanTimeMs":0')
    .replace(/"startedAt":"[^"]*"/g, '"startedAt":"S"')
    .replace(/"time":"\d{4}-/g, '"time":"YYYY-');
}

/** The files a scan with `--format format` writes, masked, by fixture name. */
async function scanFiles(format: "text" | "ndjson" | "json"): Promise<Record<string, string>> {
  await using service = await fakeService();
  const dir = await mkdtemp(join(tmpdir(), "ioclens-golden-"));
  try {
    await writeFile(join(dir, "events.log"), REQUESTS.join("\n") + "\n");
    // One connection: answers, and so the report's lines, come in the order of the input.
    await writeFile(join(dir, "log_scanner.conf"), `<Settings>\n<ThreadsCount>1</ThreadsCount>\n<Connection>127.0.0.1:${service.port}</Connection>\n<ConnectionTimeout>5</ConnectionTimeout>\n</Settings>\n`);
    const extension = { text: "txt", ndjson: "ndjson", json: "json" }[format];
    const io = recordingIo({ cwd: dir });
    const code = await main(["scan", "-r", "--quiet", "-c", "log_scanner.conf", "-p", "events.log", "--format", format, "--output", `report.${extension}`], io);
    expect({ code, err: io.err() }).toEqual({ code: 0, err: "" });
    const report = masked(await readFile(join(dir, `report.${extension}`), "utf8"));
    // An ndjson report is what a text report's sidecar is: one fixture for both.
    if (format === "ndjson") return { "sidecar.ndjson": report };
    if (format === "json") return { "report.json": report };
    return { "report.txt": report, "sidecar.ndjson": masked(await readFile(join(dir, "report.ndjson"), "utf8")) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("ioclens scan -r: report files", () => {
  test.each(["text", "ndjson", "json"] as const)("--format %s: the same bytes as before, answers of every dialect", async (format) => {
    const files = await scanFiles(format);
    // IOCLENS_WRITE_GOLDEN=1 writes the fixtures instead (only when the report format changes on purpose).
    if (process.env["IOCLENS_WRITE_GOLDEN"] === "1") for (const [name, text] of Object.entries(files)) await writeFile(join(FIXTURES, name), text);
    const expected: Record<string, string> = {};
    for (const name of Object.keys(files)) expected[name] = await readFile(join(FIXTURES, name), "utf8");
    expect(files).toEqual(expected);
  });

  test("the fixtures hold every answer: one detection per line sent, a second for every fifth", async () => {
    const sidecar = (await readFile(join(FIXTURES, "sidecar.ndjson"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l) as { type: string; text?: string });
    const detections = sidecar.filter((r) => r.type === "detection").map((r) => r.text);
    expect(detections).toEqual(ANSWERS.flatMap((_, i) => answersFor(i)));
  });
});
