/**
 * The command line as a new user meets it, on the built binary: help texts, usage errors, one
 * dialect for the three commands (issue 13).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCAN_OPTIONS } from "../../src/cli/scan_command.ts";
import { SERVE_OPTIONS } from "../../src/cli/serve_command.ts";
import { ensureBinary, ioclens } from "./_binary.ts";

const dir = mkdtempSync(join(tmpdir(), "ioclens-cli-"));

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ioclens <command> --help", () => {
  test.each([
    ["scan", SCAN_OPTIONS],
    ["serve", SERVE_OPTIONS],
  ] as const)("%s --help lists every option the command accepts (scan: --window too)", async (command, options) => {
    const help = await ioclens([command, "--help"], dir);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: "" });
    const listed = [...help.stdout.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(options).sort());
    if (command === "scan") expect(help.stdout).toContain("      --window N         lines in flight per connection, 1 to 65536 (default 2048)\n");
  });
});

describe("usage errors", () => {
  test.each([
    [["scan", "--bogus"], "ioclens: unknown option: --bogus\nRun 'ioclens scan --help' for usage.\n"],
    [["serve", "-c"], "ioclens: option needs a value: -c, --config <value>\nRun 'ioclens serve --help' for usage.\n"],
    [["scan", "-r"], "ioclens: nothing to scan: give -p PATH, -s HASH, -u URL or -i IP\nRun 'ioclens scan --help' for usage.\n"],
  ])("%p prints the error and one line pointing at --help, not the whole help, and exits 2", async (args, stderr) => {
    expect(await ioclens(args, dir)).toEqual({ code: 2, stdout: "", stderr });
  });
});
