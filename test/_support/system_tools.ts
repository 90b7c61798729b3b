/**
 * Helpers for the system tests: run the real `ioclens` CLI and the Debian tools the tests check
 * it against, collecting stdout, stderr and exit code together. The tools come from
 * `scripts/install-system-deps.sh`; a missing one fails the test with that hint, never skips it.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
export const FIXTURES = join(ROOT, "test/fixtures/system");

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` with `input` on stdin and waits for it to exit. */
export function runProcess(cmd: string, args: string[], input = ""): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs `ioclens report ARGS` from the source tree on the current runtime. */
export function runReportCli(args: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, [join(ROOT, "src/main.ts"), "report", ...args]);
}

/** The absolute path of an installed program, or an error naming the install script. */
export function requireTool(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`System test tool missing: ${name} is not on PATH, run scripts/install-system-deps.sh as root`);
}

/** A fresh temporary directory, removed on dispose. */
export async function tempDir(prefix: string): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `ioclens-${prefix}-`));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}
