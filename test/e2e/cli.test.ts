/**
 * The command line as a new user meets it, on the built binary: help texts, usage errors, one
 * dialect for the three commands (issue 13).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCAN_OPTIONS } from "../../src/cli/scan_command.ts";
import { SERVE_OPTIONS } from "../../src/cli/serve_command.ts";
import { REPORT_OPTIONS } from "../../src/cli/report_command.ts";
import { ensureBinary, freePort, ioclens, ROOT } from "../_support/ioclens_binary.ts";

const dir = mkdtempSync(join(tmpdir(), "ioclens-cli-"));
const SIDECAR = join(ROOT, "test", "fixtures", "report", "scan_out", "log_scanner_report20240415_100211.ndjson");

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ioclens <command> --help", () => {
  test.each([
    ["scan", SCAN_OPTIONS],
    ["serve", SERVE_OPTIONS],
    ["report", REPORT_OPTIONS],
  ] as const)("%s --help lists every option the command accepts (scan: --window too)", async (command, options) => {
    const help = await ioclens([command, "--help"], dir);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: "" });
    const listed = [...help.stdout.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(options).sort());
    if (command === "scan") expect(help.stdout).toMatch(/\n {6}--window N +lines in flight per connection, 1 to 65536 \(default 2048\)\n/);
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

describe("ioclens report speaks the same dialect as scan and serve", () => {
  test("en-dash options pasted from Kaspersky's help pages work (–f json, ––format json)", async () => {
    const dash = await ioclens(["report", "\u2013f", "json", SIDECAR], dir);
    const double = await ioclens(["report", "\u2013\u2013format", "json", SIDECAR], dir);
    const plain = await ioclens(["report", "-f", "json", SIDECAR], dir);
    expect({ code: dash.code, stderr: dash.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(dash.stdout)).toHaveLength(3);
    expect(dash.stdout).toBe(plain.stdout);
    expect(double.stdout).toBe(plain.stdout);
  });

  test.each([
    [["--bogus", "a.txt"], "ioclens: unknown option: --bogus\nRun 'ioclens report --help' for usage.\n"],
    [["--format", "xml", "a.txt"], "ioclens: --format must be one of table, json, ndjson, csv, cef, leef, leef2, syslog, markdown, html: got \"xml\"\nRun 'ioclens report --help' for usage.\n"],
  ])("a usage error %p: ioclens: prefix, the --help pointer, exit 2", async (args, stderr) => {
    expect(await ioclens(["report", ...args], dir)).toEqual({ code: 2, stdout: "", stderr });
  });

  test("nothing readable exits 5 (I/O) and a lost --send target exits 4 (unreachable), both as ioclens:", async () => {
    const missing = await ioclens(["report", "-f", "json", join(dir, "missing.txt")], dir);
    expect(missing).toEqual({ code: 5, stdout: "", stderr: `ioclens: cannot read ${join(dir, "missing.txt")}: no such file or folder\n` });
    const port = await freePort();
    const send = await ioclens(["report", "--send", `tcp://127.0.0.1:${port}`, "--retries", "0", SIDECAR], dir);
    expect(send).toEqual({ code: 4, stdout: "", stderr: `ioclens: sending to tcp://127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port} (1 attempt)\n` });
  });

  test("report --help has the layout of the other commands: usage, option groups, examples, exit codes", async () => {
    const help = await ioclens(["report", "--help"], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: ioclens report [options] [FILE|FOLDER|-]...\n\n");
    expect(help.stdout).toMatch(/\nOutput:\n {2}-f, --format FMT +table \| json/);
    expect(help.stdout).toContain("\nExamples:\n  ioclens report out/log_scanner_report20240415_100211.txt\n");
    expect(help.stdout).toEndWith(
      "\n\nExit codes: 0 done (bad lines are counted, not fatal), 2 usage, 4 --send target unreachable\n" +
        "after the retries, 5 nothing could be read, 6 --summary of a truncated report or of an\n" +
        "interrupted scan (the counts cover only part of it).\n",
    );
  });
});

describe("config typos", () => {
  test("serve --check-config names the element a typo meant; --strict makes it exit 3", async () => {
    const conf = join(dir, "typo_service.conf");
    writeFileSync(conf, "<Configuration>\n<InputSettings>\n<ConectionString>127.0.0.1:9</ConectionString>\n</InputSettings>\n</Configuration>\n");
    const warned = await ioclens(["serve", "--check-config", conf], dir);
    expect(warned).toEqual({
      code: 0,
      stdout: `${conf}: ok (listen 127.0.0.1:9999, 0 feeds, 1 sources)\n`,
      stderr: `ioclens: warning: ${conf}:3: unknown element Configuration > InputSettings > ConectionString ignored: did you mean ConnectionString?\n`,
    });
    expect(await ioclens(["serve", "--check-config", "--strict", conf], dir)).toEqual({
      code: 3,
      stdout: "",
      stderr: `ioclens: ${conf}:3: unknown element Configuration > InputSettings > ConectionString (--strict): did you mean ConnectionString?\n`,
    });
  });

  test("scan --strict refuses an unknown element of log_scanner.conf with exit 3", async () => {
    const conf = join(dir, "typo_scanner.conf");
    writeFileSync(conf, "<Settings>\n<Conection>127.0.0.1:9</Conection>\n</Settings>\n");
    expect(await ioclens(["scan", "--strict", "-c", conf, "-u", "http://fakess123.nu"], dir)).toEqual({
      code: 3,
      stdout: "",
      stderr: `ioclens: ${conf}:2: unknown element Settings > Conection (--strict): did you mean Connection?\n`,
    });
  });
});

describe("scan without a log_scanner.conf", () => {
  test("warns that the built-in defaults are used, as docs/configuration.md says", async () => {
    const empty = mkdtempSync(join(dir, "no-config-"));
    const check = await ioclens(["scan", "--check-config"], empty);
    expect({ code: check.code, stderr: check.stderr, stdout: check.stdout.replace(/output \S+\)/, "output OUT)") }).toEqual({
      code: 0,
      stderr: `ioclens: warning: ${join(empty, "log_scanner.conf")}: config file not found, using the built-in defaults\n`,
      stdout: `${join(empty, "log_scanner.conf")}: ok (connection 127.0.0.1:9999, 8 threads, output OUT)\n`,
    });
  });
});
