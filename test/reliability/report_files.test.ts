/**
 * Where `ioclens scan -r` puts its report when the obvious place is taken: names used by an
 * earlier scan in the same second. Runs the real scanner process against an in-process service on
 * port 0.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportTimestamp } from "../../src/scanner/report_files.ts";
import { startTestService } from "../service/_service_fixture.ts";
import { killChildren, spawnIoclens } from "./_reliability_fixture.ts";

afterEach(killChildren);

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), "ioclens-reports-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** A scanner config for the service on `port` with `OutputDir` as given. */
async function scannerConfig(dir: string, port: number, outputDir: string): Promise<string> {
  const path = join(dir, "log_scanner.conf");
  await writeFile(path, `<Settings><ThreadsCount>2</ThreadsCount><OutputDir>${outputDir}</OutputDir><Connection>127.0.0.1:${port}</Connection><ConnectionTimeout>5</ConnectionTimeout></Settings>\n`);
  return path;
}

async function scan(args: readonly string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnIoclens(["scan", ...args], {}, { cwd });
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

const reportOf = (stdout: string) => /^Report: (.+)$/m.exec(stdout)?.[1];

describe("report names", () => {
  test("a scan started in the same second as an earlier one writes beside it, never over it", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const reports = join(dir.path, "reports");
    await mkdir(reports);
    const config = await scannerConfig(dir.path, service.port, reports);
    // Take the names of every second of the next two minutes, as a scan started then would.
    const start = Date.now();
    const taken = new Map<string, string>();
    for (let s = 0; s < 120; s++) {
      const stamp = reportTimestamp(new Date(start + s * 1000));
      for (const extension of [".txt", ".ndjson"]) taken.set(join(reports, `log_scanner_report${stamp}${extension}`), `earlier scan ${stamp}${extension}\n`);
    }
    await Promise.all([...taken].map(([path, text]) => writeFile(path, text)));

    const { code, stdout, stderr } = await scan(["-r", "-c", config, "-i", "192.0.2.0"], dir.path);

    // Before: the earlier report and its sidecar were replaced without a word.
    expect({ code, stderr, report: reportOf(stdout) }).toEqual({ code: 0, stderr: "", report: expect.stringMatching(/\/log_scanner_report\d{8}_\d{6}-2\.txt$/) });
    for (const [path, text] of taken) expect(await readFile(path, "utf8")).toBe(text);
    const report = reportOf(stdout)!;
    expect(await readFile(report, "utf8")).toMatch(/^.*KL_IP_Reputation.*\nTotal number of objects sent to KTFS: 1\n/);
    expect(JSON.parse((await readFile(report.replace(/\.txt$/, ".ndjson"), "utf8")).split("\n")[0]!)).toMatchObject({ type: "detection", file: "<command line>", line: 1 });
  });

  test("four scans started together each keep their own report pair", async () => {
    await using service = await startTestService();
    await using dir = await tempDir();
    const config = await scannerConfig(dir.path, service.port, join(dir.path, "reports"));
    // Four indicators of the demo feeds, one per scan.
    const values = [["-i", "192.0.2.0"], ["-i", "192.0.2.4"], ["-u", "http://fakess123.nu"], ["-s", "C912705B4BBB14EC7E78FA8B370532C9"]];
    const results = await Promise.all(values.map((value) => scan(["-r", "-c", config, ...value], dir.path)));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const found = await Promise.all(results.map(async (r) => JSON.parse((await readFile(reportOf(r.stdout)!.replace(/\.txt$/, ".ndjson"), "utf8")).split("\n")[0]!).sent as string));
    expect(found).toEqual(values.map(([, value]) => expect.stringContaining(`=${value}`)));
    expect(await readdir(join(dir.path, "reports"))).toHaveLength(8);
  });
});
