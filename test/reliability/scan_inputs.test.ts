/**
 * `ioclens scan -p` against inputs that are not plain files in plain folders: symbolic-link loops,
 * FIFOs and devices, missing and unopenable paths. Each runs the real `ioclens scan` process
 * against an in-process service on port 0 and asserts what the user sees.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestService } from "../_support/test_service.ts";
import { killChildren, REPO, spawnChild, spawnIoclens } from "../_support/child_processes.ts";

afterEach(killChildren);

/** Three lines, one detection each against the embedded demo feeds. */
const THREE_DETECTIONS = "ip=192.0.2.0\nurl=http://fakess123.nu\nmd5=C912705B4BBB14EC7E78FA8B370532C9\n";

/** A temp folder with a scanner config for the service on `port`; reports go to `reports/`. */
async function workspace(port: number): Promise<{ dir: string; config: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), "ioclens-inputs-"));
  const config = join(dir, "log_scanner.conf");
  await writeFile(config, `<Settings><ThreadsCount>2</ThreadsCount><OutputDir>${join(dir, "reports")}</OutputDir><Connection>127.0.0.1:${port}</Connection><ConnectionTimeout>5</ConnectionTimeout></Settings>\n`);
  return { dir, config, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `ioclens scan -r -c CONFIG ARGS` in `dir` to its end. */
async function scan(ws: { dir: string; config: string }, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnIoclens(["scan", "-r", "-c", ws.config, ...args], {}, { cwd: ws.dir });
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/** Objects sent and detects received, from the summary on stdout. */
function counts(stdout: string): [number, number] | undefined {
  const m = /^Total number of objects sent to KTFS: (\d+)\nTotal number of detects received from KTFS: (\d+)\n/.exec(stdout);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** `file:line` of every detection in the sidecar of the report named on stdout. */
async function detectedAt(stdout: string): Promise<string[]> {
  const report = /^Report: (.+)$/m.exec(stdout)![1]!;
  const sidecar = (await readFile(report.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
  return sidecar.filter((r) => r.type === "detection").map((r) => `${r.file}:${r.line}`).sort();
}

describe("scan --recursive and symbolic links", () => {
  test("a link back to a parent folder is named once as a warning and each file is scanned once", async () => {
    await using service = await startTestService();
    await using ws = await workspace(service.port);
    await mkdir(join(ws.dir, "logs", "sub"), { recursive: true });
    await writeFile(join(ws.dir, "logs", "a.log"), THREE_DETECTIONS);
    await symlink("..", join(ws.dir, "logs", "sub", "loop"));

    const { code, stdout, stderr } = await scan(ws, ["--recursive", "-p", "logs"]);

    // Before: the loop was followed until ELOOP - 3 detections reported as 123, exit 6.
    expect({ code, stderr, counts: counts(stdout) }).toEqual({
      code: 0,
      stderr: "ioclens: warning: logs/sub/loop: leads back to logs (a directory loop), not followed\n",
      counts: [3, 3],
    });
    expect(await detectedAt(stdout)).toEqual(["logs/a.log:1", "logs/a.log:2", "logs/a.log:3"]);
  });

  test("two links to the folder itself end the listing, and a file linked under a second name is scanned once", async () => {
    await using service = await startTestService();
    await using ws = await workspace(service.port);
    const logs = join(ws.dir, "logs");
    await mkdir(logs);
    await writeFile(join(logs, "a.log"), THREE_DETECTIONS);
    await symlink("a.log", join(logs, "alias.log"));
    await symlink(".", join(logs, "x"));
    await symlink(".", join(logs, "y"));

    // Before: the listing never ended (2^40 paths), its memory grew, and one Ctrl-C was ignored.
    const { code, stdout, stderr } = await scan(ws, ["--recursive", "-p", "logs"]);

    expect({ code, stderr, counts: counts(stdout) }).toEqual({
      code: 0,
      stderr:
        "ioclens: warning: logs/x: leads back to logs (a directory loop), not followed\n" +
        "ioclens: warning: logs/y: leads back to logs (a directory loop), not followed\n",
      counts: [3, 3],
    });
    expect(await detectedAt(stdout)).toEqual(["logs/a.log:1", "logs/a.log:2", "logs/a.log:3"]);
    expect(await readdir(join(ws.dir, "reports"))).toHaveLength(2);
  });
});

describe("scan -p and files that are not regular files", () => {
  test("a process substitution named with -p is read as a stream, like -p -", async () => {
    await using service = await startTestService();
    await using ws = await workspace(service.port);
    // bash hands ioclens /dev/fd/63, a pipe; `exec` keeps the pid, so the test can clean it up.
    const child = spawnChild(
      "bash",
      ["-c", `exec "$0" "$1" scan -r -c "$2" -p <(printf 'url=http://fakess123.nu\\nip=192.0.2.0\\n')`, process.execPath, join(REPO, "src/main.ts"), ws.config],
      { cwd: ws.dir },
    );
    const code = await child.exited;
    // Before: "0 objects sent", exit 0 - a false "clean".
    expect({ code, stderr: child.stderr(), counts: counts(child.stdout()) }).toEqual({ code: 0, stderr: "", counts: [2, 2] });
    expect(await detectedAt(child.stdout())).toEqual([expect.stringMatching(/^\/(dev|proc\/self)\/fd\/\d+:1$/), expect.stringMatching(/:2$/)]);
  });

  test("a FIFO named with -p is read until its writer closes it", async () => {
    await using service = await startTestService();
    await using ws = await workspace(service.port);
    const fifo = join(ws.dir, "feed.pipe");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const child = spawnIoclens(["scan", "-r", "-c", ws.config, "-p", "feed.pipe"], {}, { cwd: ws.dir });
    // Opening for writing waits for the scanner to open it for reading: no race, no sleep.
    const written = writeFile(fifo, THREE_DETECTIONS);
    const code = await child.exited;
    // A scanner that never opened the FIFO would leave that write waiting for good: be its reader.
    closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
    await written;
    expect({ code, stderr: child.stderr(), counts: counts(child.stdout()) }).toEqual({ code: 0, stderr: "", counts: [3, 3] });
    expect(await detectedAt(child.stdout())).toEqual(["feed.pipe:1", "feed.pipe:2", "feed.pipe:3"]);
  });

  test("a FIFO and a socket met inside a folder are named as skipped, and the scan says it was partial", async () => {
    await using service = await startTestService();
    await using ws = await workspace(service.port);
    const logs = join(ws.dir, "logs");
    await mkdir(logs);
    await writeFile(join(logs, "a.log"), THREE_DETECTIONS);
    expect(spawnSync("mkfifo", [join(logs, "b.pipe")]).status).toBe(0);
    const listener = createServer();
    await new Promise<void>((done) => listener.listen(join(logs, "c.sock"), done));
    try {
      const { code, stdout, stderr } = await scan(ws, ["-p", "logs"]);
      // Before: both vanished without a word, exit 0.
      expect({ code, stderr, counts: counts(stdout) }).toEqual({
        code: 6,
        stderr: "ioclens: logs/b.pipe: not a regular file (a FIFO), skipped\nioclens: logs/c.sock: not a regular file (a socket), skipped\n",
        counts: [3, 3],
      });
    } finally {
      await new Promise<void>((done) => listener.close(() => done()));
    }
  });
});

describe("scan -p and paths that cannot be read", () => {
  test("a path that does not exist is a usage error: exit 2, one line naming it, nothing sent, no report", async () => {
    await using service = await startTestService();
    await using ws = await workspace(service.port);
    await writeFile(join(ws.dir, "a.log"), THREE_DETECTIONS);

    const { code, stdout, stderr } = await scan(ws, ["-p", "a.log", "-p", "nope.log"]);

    // Before: a.log was scanned, "nope.log: no such file or directory, skipped", exit 6 and a report.
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: "", stderr: "ioclens: -p nope.log: no such file or directory\n" });
    expect(await readdir(ws.dir)).not.toContain("reports");
    expect(service.status().events.total).toBe(0);
  });

  test("a file that cannot be opened is named without a line number and skipped; the others are scanned", async () => {
    await using service = await startTestService();
    await using ws = await workspace(service.port);
    await writeFile(join(ws.dir, "a.log"), THREE_DETECTIONS);
    await writeFile(join(ws.dir, "b.log"), THREE_DETECTIONS);
    await chmod(join(ws.dir, "b.log"), 0o000);
    // Root opens any file: run the scan as nobody, who may read the folder and write reports.
    await Promise.all([chmod(ws.dir, 0o755), mkdir(join(ws.dir, "reports"), { mode: 0o777 }).then(() => chmod(join(ws.dir, "reports"), 0o777))]);
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawnChild(process.execPath, [join(REPO, "src/main.ts"), "scan", "-r", "-c", ws.config, "-p", "a.log", "-p", "b.log"], { cwd: ws.dir, ...asUser });
    const code = await child.exited;

    // Before: "ioclens: b.log:1: permission denied, rest of file skipped" - as if line 1 were to blame.
    expect({ code, stderr: child.stderr(), counts: counts(child.stdout()) }).toEqual({ code: 6, stderr: "ioclens: b.log: cannot open: permission denied; skipped\n", counts: [3, 3] });
  });
});
