/**
 * Where `ioclens scan -r` puts its report when the obvious place is taken (names used by an
 * earlier scan in the same second) or not writable (the binary's folder, for a user who is not
 * root). Runs the real scanner - the built binary where its folder matters - against an
 * in-process service on port 0.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmod, copyFile, link, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportTimestamp } from "../../src/scanner/report_files.ts";
import { BINARY, ensureBinary } from "../_support/ioclens_binary.ts";
import { startTestService } from "../_support/test_service.ts";
import { killChildren, spawnChild, spawnIoclens, tempDir } from "../_support/child_processes.ts";

afterEach(killChildren);

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
    await using dir = await tempDir("ioclens-reports-");
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
    await using dir = await tempDir("ioclens-reports-");
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

/**
 * `root/bin/ioclens` (the built binary) in a folder its user cannot write, as /usr/local/bin is
 * for anyone but root, `root/home` (writable) and `root/ro` (not) to run it from, and a scanner
 * config for the service on `port` without OutputDir (CyberTrace's rule: the binary's folder).
 * A test running as root runs the binary as nobody, for whom the folder modes hold.
 */
async function installedBinary(port: number): Promise<{ bin: string; home: string; ro: string; scan(cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> } & AsyncDisposable> {
  const root = await mkdtemp(join(tmpdir(), "ioclens-installed-"));
  const [bin, home, ro] = ["bin", "home", "ro"].map((name) => join(root, name)) as [string, string, string];
  await Promise.all([mkdir(bin), mkdir(home), mkdir(ro)]);
  // A hard link costs nothing; a copy when the temp folder is on another file system.
  await link(BINARY, join(bin, "ioclens")).catch(() => copyFile(BINARY, join(bin, "ioclens")));
  await chmod(join(bin, "ioclens"), 0o755);
  await Promise.all([chmod(root, 0o755), chmod(bin, 0o555), chmod(home, 0o777), chmod(ro, 0o555)]);
  const config = join(root, "log_scanner.conf");
  await writeFile(config, `<Settings><ThreadsCount>2</ThreadsCount><Connection>127.0.0.1:${port}</Connection></Settings>\n`);
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  return {
    bin, home, ro,
    scan: async (cwd) => {
      const child = spawnChild(join(bin, "ioclens"), ["scan", "-r", "-c", config, "-i", "192.0.2.0"], { cwd, env: { IOCLENS_LOG_FORMAT: "text" }, ...asUser });
      const code = await child.exited;
      return { code, stdout: child.stdout(), stderr: child.stderr() };
    },
    [Symbol.asyncDispose]: async () => {
      await Promise.all([chmod(bin, 0o755), chmod(ro, 0o755)]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

describe("report folder", () => {
  beforeAll(ensureBinary, 120_000);

  test("OutputDir next to a binary the user cannot write: the report goes to the working directory, with a notice", async () => {
    await using service = await startTestService();
    await using installed = await installedBinary(service.port);

    const { code, stdout, stderr } = await installed.scan(installed.home);

    // Before: exit 5, "cannot create report …: EACCES: permission denied, open …" and no hint.
    expect({ code, stderr, report: reportOf(stdout) }).toEqual({
      code: 0,
      stderr: `ioclens: notice: cannot write in OutputDir ${installed.bin} (permission denied): the report goes to the working directory ${installed.home}\n`,
      report: expect.stringMatching(new RegExp(`^${installed.home}/log_scanner_report\\d{8}_\\d{6}\\.txt$`)),
    });
    expect(await readFile(reportOf(stdout)!, "utf8")).toContain("Total number of detects received from KTFS: 1\n");
  });

  test("neither the binary's folder nor the working directory writable: exit 5, one line naming both and --output / OutputDir", async () => {
    await using service = await startTestService();
    await using installed = await installedBinary(service.port);

    const { code, stdout, stderr } = await installed.scan(installed.ro);

    expect({ code, stdout, stderr }).toEqual({
      code: 5,
      stdout: "",
      stderr:
        `ioclens: cannot create a report in OutputDir ${installed.bin} (permission denied) nor in the working directory ${installed.ro} (permission denied); ` +
        "name a writable file with --output FILE, or a folder with OutputDir in log_scanner.conf\n",
    });
    expect([...(await readdir(installed.bin)), ...(await readdir(installed.ro))]).toEqual(["ioclens"]);
  });
});
