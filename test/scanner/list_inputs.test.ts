import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { listInputs, type ListFs } from "../../src/scanner/list_inputs.ts";
import { recordingIo } from "../_support/recording_io.ts";

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), "ioclens-list-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** `root/d0 … d9`, ten files each. */
async function tree(root: string): Promise<void> {
  for (let d = 0; d < 10; d++) {
    await mkdir(join(root, `d${d}`));
    for (let f = 0; f < 10; f++) await writeFile(join(root, `d${d}`, `f${f}.log`), "x\n");
  }
}

const realFs: ListFs = { stat: (p) => stat(p, { bigint: true }), readdir: (p) => readdir(p) };

describe("listInputs()", () => {
  test("stops at the next path once its signal fires, and says it was interrupted", async () => {
    await using dir = await tempDir();
    await tree(dir.path);
    const controller = new AbortController();
    let statsAfterAbort = 0;
    const fs: ListFs = {
      stat: (p) => {
        if (controller.signal.aborted) statsAfterAbort++;
        return realFs.stat(p);
      },
      readdir: async (p) => {
        // Ctrl-C arrives while the third folder is being read.
        if (p.endsWith("d2")) controller.abort();
        return realFs.readdir(p);
      },
    };
    const listed = await listInputs([dir.path], { recursive: true, include: [], exclude: [], signal: controller.signal }, fs);
    expect({ interrupted: listed.interrupted, files: listed.files.length, statsAfterAbort }).toEqual({ interrupted: true, files: 20, statsAfterAbort: 0 });
  });

  test("lists a file reached under several names once, by device and inode, under the first name in order", async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, "a.log"), "x\n");
    await symlink("a.log", join(dir.path, "b.log"));
    await mkdir(join(dir.path, "sub"));
    await symlink("..", join(dir.path, "sub", "up"));
    const listed = await listInputs([dir.path, join(dir.path, "a.log")], { recursive: true, include: [], exclude: [] });
    expect(listed).toEqual({
      files: [join(dir.path, "a.log")],
      totalBytes: 2,
      problems: [],
      loops: [{ path: join(dir.path, "sub", "up"), target: dir.path }],
      missing: [],
      interrupted: false,
    });
  });

  test("a device named on the command line is listed as a stream of unknown size; a FIFO inside a folder is named as a problem", async () => {
    await using dir = await tempDir();
    expect(spawnSync("mkfifo", [join(dir.path, "in.pipe")]).status).toBe(0);
    await writeFile(join(dir.path, "a.log"), "x\n");
    const listed = await listInputs(["/dev/null", dir.path], { recursive: false, include: [], exclude: [] });
    expect(listed).toEqual({
      files: ["/dev/null", join(dir.path, "a.log")],
      totalBytes: 2,
      problems: [{ path: join(dir.path, "in.pipe"), message: "not a regular file (a FIFO)" }],
      loops: [],
      missing: [],
      interrupted: false,
    });
  });

  test("a command-line path that does not exist is reported as missing, and nothing is listed", async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, "a.log"), "x\n");
    const listed = await listInputs([dir.path, join(dir.path, "nope.log"), join(dir.path, "a.log", "under-a-file")], { recursive: false, include: [], exclude: [] });
    expect(listed).toEqual({ files: [], totalBytes: 0, problems: [], loops: [], missing: [join(dir.path, "nope.log"), join(dir.path, "a.log", "under-a-file")], interrupted: false });
  });

  test("a folder linked from two places that is no loop is listed once, without a warning", async () => {
    await using dir = await tempDir();
    await mkdir(join(dir.path, "shared"));
    await writeFile(join(dir.path, "shared", "s.log"), "x\n");
    await mkdir(join(dir.path, "one"));
    await symlink("../shared", join(dir.path, "one", "link"));
    const listed = await listInputs([dir.path], { recursive: true, include: [], exclude: [] });
    expect({ files: listed.files, loops: listed.loops }).toEqual({ files: [join(dir.path, "one", "link", "s.log")], loops: [] });
  });
});

describe("ioclens scan interrupted while listing", () => {
  test("exits 130 with one line, sends nothing and writes no report", async () => {
    await using dir = await tempDir();
    await tree(join(dir.path));
    const config = join(dir.path, "log_scanner.conf");
    await writeFile(config, `<Settings><OutputDir>${join(dir.path, "reports")}</OutputDir><Connection>127.0.0.1:1</Connection><ConnectionTimeout>0</ConnectionTimeout></Settings>`);
    const io = recordingIo({ cwd: dir.path });
    io.abort();
    const code = await main(["scan", "-r", "-c", config, "--recursive", "-p", "."], io);
    expect({ code, out: io.out(), err: io.err() }).toEqual({ code: 130, out: "", err: "ioclens: scan interrupted while listing the inputs; nothing was sent\n" });
    expect(await readdir(dir.path)).not.toContain("reports");
  });
});
