/**
 * Text from outside - file names, indicators in logs - reaching a terminal through `ioclens scan`
 * and `ioclens report`: control characters must arrive escaped, never as ESC, BEL or a line break
 * that forges a line. Real processes; `script` gives `report` a terminal for its standard output.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTestService } from "../_support/test_service.ts";
import { killChildren, REPO, spawnChild, spawnIoclens, tempDir } from "../_support/child_processes.ts";

afterEach(killChildren);

/** What a terminal would act on: C0 controls other than LF, CR and TAB, DEL and C1. */
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

describe("ioclens scan prints file names escaped", () => {
  test("a name with ESC, BEL and a newline cannot forge a line; the sidecar keeps the name as it is", async () => {
    await using service = await startTestService();
    await using dir = await tempDir("ioclens-injection-");
    const logs = join(dir.path, "logs");
    await mkdir(logs);
    const forging = "a\x1b]0;pwned\x07\nioclens: forged.log";
    const coloured = "b\x1b[31m.log";
    await writeFile(join(logs, forging), new Uint8Array([0x41, 0x00, 0x0a]));
    // The line itself carries an escape sequence too: it is sent, and never echoed on stderr.
    await writeFile(join(logs, coloured), `ip=192.0.2.0 \x1b[2J\x07\n${"x".repeat((1 << 20) + 10)}\n`);
    const config = join(dir.path, "log_scanner.conf");
    await writeFile(config, `<Settings><ThreadsCount>2</ThreadsCount><OutputDir>${join(dir.path, "reports")}</OutputDir><Connection>127.0.0.1:${service.port}</Connection></Settings>\n`);

    const scan = spawnIoclens(["scan", "-r", "-c", config, "-p", "logs"], {}, { cwd: dir.path });
    const code = await scan.exited;

    // Before: both names were printed raw - the first one made a line of its own.
    expect({ code, stderr: scan.stderr() }).toEqual({
      code: 6,
      stderr:
        "ioclens: logs/a\\x1b]0;pwned\\x07\\nioclens: forged.log: binary file (NUL bytes), skipped; use --binary to send it\n" +
        "ioclens: logs/b\\x1b[31m.log:2: line is longer than 1048576 bytes: sent in 2 pieces\n",
    });
    const report = /^Report: (.+)$/m.exec(scan.stdout())![1]!;
    const detection = JSON.parse((await readFile(report.replace(/\.txt$/, ".ndjson"), "utf8")).split("\n")[0]!);
    expect({ file: detection.file, sent: detection.sent }).toEqual({ file: `logs/${coloured}`, sent: "ip=192.0.2.0 \x1b[2J\x07" });
  });
});

describe("ioclens report on a terminal escapes control characters", () => {
  /** A key=value detection whose indicator and URL carry OSC, BEL, CSI and the 8-bit CSI (U+009B). */
  const HOSTILE = "category=KL_Malicious_URL matchedIndicator=evil.example/\x1b]0;pwned\x07 url=http://evil.example/\x1b[31m\u009b2J\n";

  /** `ioclens report ARGS` with a terminal as standard output (util-linux `script`); what the terminal received. */
  async function onTerminal(args: readonly string[], cwd: string): Promise<{ code: number | null; screen: string }> {
    const command = [process.execPath, join(REPO, "src/main.ts"), "report", ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const child = spawnChild("script", ["-q", "-e", "-c", command, "/dev/null"], { cwd });
    const code = await child.exited;
    return { code, screen: child.stdout() };
  }

  test.each(["csv", "cef", "leef", "leef2", "syslog", "markdown", "html", "json", "ndjson", "table"])("--format %s", async (format) => {
    await using dir = await tempDir("ioclens-injection-");
    await writeFile(join(dir.path, "detections.log"), HOSTILE);
    const { code, screen } = await onTerminal(["--format", format, "detections.log"], dir.path);
    // Before: ESC, BEL and U+009B reached the terminal as they were.
    expect({ code, raw: RAW_CONTROL.exec(screen)?.[0], indicatorShown: screen.includes("evil.example/") }).toEqual({ code: 0, raw: undefined, indicatorShown: true });
  });

  test("the escapes show where the characters were, and JSON stays valid JSON that parses to the same text", async () => {
    await using dir = await tempDir("ioclens-injection-");
    await writeFile(join(dir.path, "detections.log"), HOSTILE);
    const cef = await onTerminal(["--format", "cef", "detections.log"], dir.path);
    expect(cef.screen).toContain("evil.example/\\x1b]0;pwned\\x07");
    const ndjson = await onTerminal(["--format", "ndjson", "detections.log"], dir.path);
    expect(JSON.parse(ndjson.screen.trim()).indicator).toBe("evil.example/\x1b]0;pwned\x07");
  });

  test("into a pipe the output stays byte for byte what the format says", async () => {
    await using dir = await tempDir("ioclens-injection-");
    await writeFile(join(dir.path, "detections.log"), HOSTILE);
    const report = spawnIoclens(["report", "--format", "cef", "detections.log"], {}, { cwd: dir.path });
    expect(await report.exited).toBe(0);
    expect(report.stdout()).toContain("evil.example/\x1b]0;pwned\x07");
  });

  test("file names in its messages are escaped too", async () => {
    await using dir = await tempDir("ioclens-injection-");
    const report = spawnIoclens(["report", "--format", "csv", "gone\x1b[2J\n.log"], {}, { cwd: dir.path });
    expect({ code: await report.exited, stderr: report.stderr() }).toEqual({ code: 5, stderr: "ioclens: cannot read gone\\x1b[2J\\n.log: no such file or folder\n" });
  });
});
