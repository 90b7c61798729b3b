/**
 * `ioclens report --summary` on scan reports cut off while being written (a full disk, a killed
 * scanner, a copy taken too early): it must say so and exit 6, not print counts that pass for the
 * scan's. The reports come from a real scan against an in-process service on port 0.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTestService } from "../_support/test_service.ts";
import { killChildren, spawnIoclens, tempDir } from "../_support/child_processes.ts";

afterEach(killChildren);

const LINES = 200;

/** The files one real scan wrote: a text report with its sidecar, and a --format json report. */
interface ScanFiles {
  readonly text: string;
  readonly sidecar: string;
  readonly json: string;
}

let work: { path: string } & AsyncDisposable;
let files: ScanFiles;

async function runIoclens(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnIoclens(args, {}, { cwd: work.path });
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

beforeAll(async () => {
  work = await tempDir("ioclens-truncated-");
  await using service = await startTestService();
  const log = join(work.path, "app.log");
  await writeFile(log, Array.from({ length: LINES }, (_, i) => (i % 4 === 0 ? `line ${i} ip=192.0.2.0` : `line ${i} clean`)).join("\n") + "\n");
  const config = join(work.path, "log_scanner.conf");
  await writeFile(config, `<Settings><ThreadsCount>2</ThreadsCount><OutputDir>${join(work.path, "reports")}</OutputDir><Connection>127.0.0.1:${service.port}</Connection></Settings>\n`);
  const text = await runIoclens(["scan", "-r", "-c", config, "-p", "app.log"]);
  const json = await runIoclens(["scan", "-r", "-c", config, "-p", "app.log", "--format", "json", "--output", "whole.json"]);
  if (text.code !== 0 || json.code !== 0) throw new Error(`the scans failed: ${text.stderr}${json.stderr}`);
  const report = /^Report: (.+)$/m.exec(text.stdout)![1]!;
  files = { text: report, sidecar: report.replace(/\.txt$/, ".ndjson"), json: join(work.path, "whole.json") };
});

afterAll(() => work[Symbol.asyncDispose]());

/** The first `keep` bytes of `source`, written as `name` in a folder of its own (no sidecar beside it). */
async function cutCopy(source: string, name: string, keep: (text: string) => number): Promise<string> {
  const text = await readFile(source, "utf8");
  const dir = join(work.path, `cut-${Math.random().toString(36).slice(2)}`);
  await mkdir(dir);
  const path = join(dir, name);
  await writeFile(path, text.slice(0, keep(text)));
  return path;
}

const SUMMARY = /^Total number of objects sent to KTFS: \d+\nTotal number of detects received from KTFS: \d+\nTotal scan time: \d\d:\d\d:\d\d\.\d{3}\n$/;

describe("report --summary on a truncated report", () => {
  test.each<[string, () => string, string[]]>([
    ["the text report and its sidecar", () => files.text, []],
    ["the text report alone", () => files.text, ["--no-sidecar"]],
    ["a --format json report", () => files.json, []],
  ])("a whole one: %s gives its counts and exits 0", async (_name, path, flags) => {
    const { code, stdout, stderr } = await runIoclens(["report", "--summary", ...flags, path()]);
    expect({ code, stderr, stdout }).toEqual({ code: 0, stderr: "", stdout: expect.stringMatching(/^Total number of objects sent to KTFS: 200\nTotal number of detects received from KTFS: 50\n/) });
  });

  test.each([
    ["a text report cut before its summary lines", () => files.text, "log_scanner_report20261128_101500.txt", (t: string) => t.indexOf("Total number"), "it ends before its summary"],
    ["a text report cut inside a line", () => files.text, "log_scanner_report20261128_101500.txt", (t: string) => Math.floor(t.length / 2), "its last line is cut off"],
    ["a sidecar cut inside a record", () => files.sidecar, "log_scanner_report20261128_101500.ndjson", (t: string) => Math.floor(t.length / 2), "its last line is cut off"],
    ["a sidecar cut before its summary record", () => files.sidecar, "anything.ndjson", (t: string) => t.lastIndexOf('{"type":"summary"'), "it ends before its summary"],
    ["a --format json report cut before its end", () => files.json, "whole.json", (t: string) => t.lastIndexOf("],"), "it ends before its summary"],
  ])("%s: says so and exits 6", async (_name, source, name, keep, why) => {
    const path = await cutCopy(source(), name, keep);
    const { code, stdout, stderr } = await runIoclens(["report", "--summary", path]);
    // Before: counts of the part that was there, exit 0, and not a word.
    expect({ code, stdout, truncated: stderr.split("\n").filter((l) => l.includes(": the report is truncated")) }).toEqual({
      code: 6,
      stdout: expect.stringMatching(SUMMARY),
      truncated: [`ioclens: ${path}: the report is truncated: ${why}`],
    });
  });

  test("a cut report read without --summary is named too, but converts with exit 0", async () => {
    const path = await cutCopy(files.text, "log_scanner_report20261128_101500.txt", (t) => t.indexOf("Total number"));
    const { code, stderr } = await runIoclens(["report", "--format", "csv", path]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: `ioclens: ${path}: the report is truncated: it ends before its summary\n` });
  });
});
