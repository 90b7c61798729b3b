import { describe, expect, test } from "bun:test";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openReport, type OpenReportOptions } from "../../src/scanner/open_report.ts";
import { ReportWriteError, ReportWriter } from "../../src/scanner/report_writer.ts";

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), "ioclens-open-report-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** `ReportWriter.open`, except under the folders of `refuse`, which fail with their error code. */
function refusing(refuse: Record<string, string>): typeof ReportWriter.open {
  return (paths, ...rest) => {
    for (const [dir, code] of Object.entries(refuse)) {
      if (paths.report.startsWith(dir + "/")) {
        const cause = Object.assign(new Error(`${code}: refused, open '${paths.report}'`), { code });
        return Promise.reject(new ReportWriteError(`cannot create report ${paths.report}: refused`, cause));
      }
    }
    return ReportWriter.open(paths, ...rest);
  };
}

const summary = { objectsSent: 0, detectsReceived: 0, scanTimeMs: 0, startedAt: "2026-11-28T00:00:00.000Z", partial: false };

async function opened(options: Omit<OpenReportOptions, "format" | "startedAt" | "parseFields">) {
  const { writer, notice } = await openReport({ ...options, format: "text", startedAt: new Date(2026, 10, 28, 10, 15, 0), parseFields: () => ({}) });
  await writer.finish(summary);
  return { report: writer.paths.report, notice };
}

describe("openReport()", () => {
  test("writes in OutputDir when it can (CyberTrace's rule), without a notice", async () => {
    await using dir = await tempDir();
    const bin = join(dir.path, "bin");
    expect(await opened({ outputDir: bin, cwd: join(dir.path, "home"), output: undefined })).toEqual({
      report: join(bin, "log_scanner_report20261128_101500.txt"),
      notice: undefined,
    });
  });

  test("falls back to the working directory with a notice when OutputDir is not writable", async () => {
    await using dir = await tempDir();
    const bin = join(dir.path, "bin");
    const home = join(dir.path, "home");
    expect(await opened({ outputDir: bin, cwd: home, output: undefined, open: refusing({ [bin]: "EACCES" }) })).toEqual({
      report: join(home, "log_scanner_report20261128_101500.txt"),
      notice: `cannot write in OutputDir ${bin} (permission denied): the report goes to the working directory ${home}`,
    });
  });

  test("names both places and how to choose one when neither is writable", async () => {
    await using dir = await tempDir();
    const bin = join(dir.path, "bin");
    const home = join(dir.path, "home");
    const failure = openReport({ outputDir: bin, cwd: home, output: undefined, format: "text", startedAt: new Date(), parseFields: () => ({}), open: refusing({ [bin]: "EACCES", [home]: "EROFS" }) });
    await expect(failure).rejects.toThrow(
      new ReportWriteError(
        `cannot create a report in OutputDir ${bin} (permission denied) nor in the working directory ${home} (read-only file system); name a writable file with --output FILE, or a folder with OutputDir in log_scanner.conf`,
      ),
    );
    expect(await readdir(dir.path)).toEqual([]);
  });

  test("a full disk is no reason to write elsewhere: the error names OutputDir", async () => {
    await using dir = await tempDir();
    const bin = join(dir.path, "bin");
    const failure = openReport({ outputDir: bin, cwd: dir.path, output: undefined, format: "text", startedAt: new Date(), parseFields: () => ({}), open: refusing({ [bin]: "ENOSPC" }) });
    await expect(failure).rejects.toThrow(`cannot create a report in OutputDir ${bin}: no space left on device; name a writable file with --output FILE, or a folder with OutputDir in log_scanner.conf`);
  });

  test("a file named with --output is not moved elsewhere: the error names --output", async () => {
    await using dir = await tempDir();
    const out = join(dir.path, "ro", "out.txt");
    const failure = openReport({ outputDir: dir.path, cwd: dir.path, output: out, format: "text", startedAt: new Date(), parseFields: () => ({}), open: refusing({ [join(dir.path, "ro")]: "EACCES" }) });
    await expect(failure).rejects.toThrow(`cannot create report ${out}: refused; name a writable file with --output FILE`);
  });
});
