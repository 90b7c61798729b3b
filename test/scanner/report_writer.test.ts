import { describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReportWriter } from "../../src/scanner/report_writer.ts";

const fields = (text: string) => ({ category: text.split(" ")[0]! });
const summary = { objectsSent: 20_000, detectsReceived: 20_000, scanTimeMs: 1000, startedAt: "2026-11-28T00:00:00.000Z", partial: false };

describe("ReportWriter", () => {
  test("keeps every detection in order across many batched writes, then the summary", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ioclens-report-"));
    try {
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
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("shows detections in the file while the scan still runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ioclens-report-"));
    try {
      const paths = { report: join(dir, "r.txt"), sidecar: join(dir, "r.ndjson") };
      const writer = await ReportWriter.open(paths, "text", fields);
      writer.addDetections("a.log", 7, "line 7", ["KL_Test early detection"]);
      // Waits for the periodic flush (every 0.5 s), not for finish().
      while (!(await readFile(paths.report, "utf8")).includes("KL_Test early detection")) await new Promise((r) => setTimeout(r, 50));
      await writer.finish(summary);
      expect((await readFile(paths.report, "utf8")).startsWith("KL_Test early detection\n")).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
