/**
 * `ioclens scan -p` against inputs that are not plain files in plain folders: symbolic-link loops,
 * FIFOs and devices, missing and unopenable paths. Each runs the real `ioclens scan` process
 * against an in-process service on port 0 and asserts what the user sees.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestService } from "../service/_service_fixture.ts";
import { killChildren, spawnIoclens } from "./_reliability_fixture.ts";

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
