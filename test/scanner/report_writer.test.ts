import { describe, expect, test } from "bun:test";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReportWriteError, ReportWriter } from "../../src/scanner/report_writer.ts";

/** A temp folder removed on dispose. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), "ioclens-report-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

const fields = (text: string) => ({ category: text.split(" ")[0]! });
const summary = { objectsSent: 20_000, detectsReceived: 20_000, scanTimeMs: 1000, startedAt: "2026-11-28T00:00:00.000Z", partial: false };

describe("ReportWriter", () => {
  test("keeps every detection in order across many batched writes, then the summary", async () => {
    await using temp = await tempDir();
    const dir = temp.path;
    const paths = { report: join(dir, "r.txt"), sidecar: join(dir, "r.ndjson") };
    const writer = await ReportWriter.open(paths, "text", fields);
    for (let i = 1; i <= 20_000; i++) writer.addDetections("a.log", i, `line ${i}`, [`KL_Test detection ${i}`]);
    await writer.finish(summary);
    const report = (await readFile(paths.report, "utf8")).split("\n");
    const sidecar = (await readFile(paths.sidecar, "utf8")).trimEnd().split("\n");
    expect({
      first: report[0],
      last: report[19_999],
      ordered: report.slice(0, 20_000).every((l, i) => l === `KL_Test detection ${i + 1}`),
      sidecarLines: sidecar.length,
      sidecarLast: JSON.parse(sidecar[19_999]!).line,
      summary: JSON.parse(sidecar[20_000]!).type,
    }).toEqual({ first: "KL_Test detection 1", last: "KL_Test detection 20000", ordered: true, sidecarLines: 20_001, sidecarLast: 20_000, summary: "summary" });
  });

  test("shows detections in the file while the scan still runs", async () => {
    await using temp = await tempDir();
    const dir = temp.path;
    const paths = { report: join(dir, "r.txt"), sidecar: join(dir, "r.ndjson") };
    const writer = await ReportWriter.open(paths, "text", fields);
    writer.addDetections("a.log", 7, "line 7", ["KL_Test early detection"]);
    // Waits for the periodic flush (every 0.5 s), not for finish().
    while (!(await readFile(paths.report, "utf8")).includes("KL_Test early detection")) await new Promise((r) => setTimeout(r, 50));
    await writer.finish(summary);
    expect((await readFile(paths.report, "utf8")).startsWith("KL_Test early detection\n")).toBe(true);
  });

  test("two reports given the same name both keep their detections: the second pair becomes -2", async () => {
    await using temp = await tempDir();
    const dir = temp.path;
    const paths = { report: join(dir, "log_scanner_report20261128_101500.txt"), sidecar: join(dir, "log_scanner_report20261128_101500.ndjson") };
    const first = await ReportWriter.open(paths, "text", fields, { unique: true });
    const second = await ReportWriter.open(paths, "text", fields, { unique: true });
    first.addDetections("a.log", 1, "line 1", ["KL_First detection"]);
    second.addDetections("b.log", 1, "line 1", ["KL_Second detection"]);
    await Promise.all([first.finish(summary), second.finish(summary)]);
    expect(second.paths).toEqual({ report: join(dir, "log_scanner_report20261128_101500-2.txt"), sidecar: join(dir, "log_scanner_report20261128_101500-2.ndjson") });
    expect((await readFile(first.paths.report, "utf8")).split("\n")[0]).toBe("KL_First detection");
    expect((await readFile(second.paths.report, "utf8")).split("\n")[0]).toBe("KL_Second detection");
    expect(JSON.parse((await readFile(second.paths.sidecar!, "utf8")).split("\n")[0]!).file).toBe("b.log");
  });

  test("a taken sidecar name moves the pair on, leaving the existing file alone and no half pair behind", async () => {
    await using temp = await tempDir();
    const dir = temp.path;
    await writeFile(join(dir, "r.ndjson"), "someone else's\n");
    const writer = await ReportWriter.open({ report: join(dir, "r.txt"), sidecar: join(dir, "r.ndjson") }, "text", fields, { unique: true });
    await writer.finish(summary);
    expect({ paths: writer.paths, files: (await readdir(dir)).sort(), kept: await readFile(join(dir, "r.ndjson"), "utf8") }).toEqual({
      paths: { report: join(dir, "r-2.txt"), sidecar: join(dir, "r-2.ndjson") },
      files: ["r-2.ndjson", "r-2.txt", "r.ndjson"],
      kept: "someone else's\n",
    });
  });

  test("a name the user chose (--output) is replaced, as before", async () => {
    await using temp = await tempDir();
    const dir = temp.path;
    await writeFile(join(dir, "out.txt"), "old\n");
    const writer = await ReportWriter.open({ report: join(dir, "out.txt"), sidecar: join(dir, "out.ndjson") }, "text", fields);
    await writer.finish(summary);
    expect(writer.paths.report).toBe(join(dir, "out.txt"));
    expect(await readFile(join(dir, "out.txt"), "utf8")).toStartWith("Total number of objects sent to KTFS: 20000\n");
  });

  test("a write that fails (a full disk) ends the scan with ReportWriteError naming the report, after the lines before it", async () => {
    await using temp = await tempDir();
    const writer = await ReportWriter.open({ report: "/dev/full", sidecar: join(temp.path, "r.ndjson") }, "text", fields);
    for (let i = 1; i <= 2_000; i++) writer.addDetections("a.log", i, `line ${i}`, [`KL_Test detection ${i}`]);
    const failure = await writer.finish(summary).then(() => undefined, (error: unknown) => error);
    expect([failure instanceof ReportWriteError, (failure as ReportWriteError).code, (failure as Error).message]).toEqual([
      true, "ENOSPC", "cannot write report /dev/full: no space left on device",
    ]);
    expect((await readFile(join(temp.path, "r.ndjson"), "utf8")).trimEnd().split("\n").length).toBe(2_001);
  });

  test("a detection longer than the write buffer, multi-byte characters and all, lands whole and in order", async () => {
    await using temp = await tempDir();
    const paths = { report: join(temp.path, "r.txt"), sidecar: join(temp.path, "r.ndjson") };
    const writer = await ReportWriter.open(paths, "text", fields);
    const long = `KL_Long ${"日本語 ünï 🙂 ".repeat(4_000)}end`;
    const texts = ["KL_Test before", long, "KL_Test after"];
    for (let i = 0; i < 300; i++) writer.addDetections("a.log", i + 1, `line ${i + 1}`, [texts[i % 3]!]);
    await writer.finish(summary);
    const report = (await readFile(paths.report, "utf8")).split("\n").slice(0, 300);
    const sidecar = (await readFile(paths.sidecar, "utf8")).trimEnd().split("\n").slice(0, 300).map((l) => JSON.parse(l).text as string);
    expect([report.every((l, i) => l === texts[i % 3]), sidecar.every((t, i) => t === texts[i % 3])]).toEqual([true, true]);
  });
});
