/**
 * End-to-end on the real binary (STYLE.md item 10): `dist/ioclens serve` in the background,
 * `scan` of a directory, `report` of the result, then a clean stop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, freePort, ioclens, serviceConfigText, startCollector, startServe } from "../_support/ioclens_binary.ts";

const dir = mkdtempSync(join(tmpdir(), "ioclens-e2e-"));

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MALICIOUS_URL_CONTEXT = {
  id: "900001",
  type: "1",
  first_seen: "01.01.2014 00:00",
  last_seen: "01.01.2025 00:00",
  popularity: "5",
  threat: "Test record of Malicious_URL_Data_Feed",
  geo: "ru, us",
};

describe("ioclens serve + scan + report", () => {
  test("detects the demo indicators in a log folder, reports them as JSON and stops cleanly on SIGTERM", async () => {
    await using collector = await startCollector();
    const { text, ports } = await serviceConfigText(`127.0.0.1:${collector.port}`);
    writeFileSync(join(dir, "kl_feed_service.conf"), text);
    writeFileSync(
      join(dir, "log_scanner.conf"),
      `<Settings>\n  <Pattern>ip=%IP% md5=%MD5% sha1=%SHA1% sha256=%SHA256% url=%URL%</Pattern>\n  <Connection>127.0.0.1:${ports.input}</Connection>\n  <OutputDir>${join(dir, "reports")}</OutputDir>\n</Settings>\n`,
    );
    mkdirSync(join(dir, "logs"));
    mkdirSync(join(dir, "reports"));
    writeFileSync(join(dir, "logs", "proxy.log"), "GET http://www.example.com/index.html 200\nGET http://fakess123.nu/ 200\n");
    writeFileSync(join(dir, "logs", "av.log"), "file=invoice.exe md5=C912705B4BBB14EC7E78FA8B370532C9 action=quarantine\n");

    await using serve = startServe(["-c", "kl_feed_service.conf"], dir);
    await serve.waitReady(ports.input);
    // The worker announces itself to the SIEM once it listens.
    await collector.waitForLine(/ alert=KL_ALERT_ServiceStarted$/);

    const scan = await ioclens(["scan", "-r", "-c", "log_scanner.conf", "-p", "logs"], dir);
    const reportPath = /^Report: (.+\.txt)$/m.exec(scan.stdout)?.[1];
    expect({ ...scan, stdout: scan.stdout.replace(/\d\d:\d\d:\d\d\.\d{3}/, "HH:MM:SS.mmm").replace(/report\d{8}_\d{6}/, "reportYYYYMMDD_HHMMSS") }).toEqual({
      code: 0,
      stdout: [
        "Total number of objects sent to KTFS: 3",
        "Total number of detects received from KTFS: 2",
        "Total scan time: HH:MM:SS.mmm",
        // The embedded config has only the demo feeds: the summary says so.
        "Note: the lookup service has nothing to find: only demo feeds are loaded (18 test records such as http://fakess123.nu), so real logs give no detections.",
        `Report: ${join(dir, "reports", "log_scanner_reportYYYYMMDD_HHMMSS.txt")}`,
        "",
      ].join("\n"),
      stderr: "",
    });

    const report = await ioclens(["report", "--format", "json", reportPath!], dir);
    expect({ code: report.code, stderr: report.stderr }).toEqual({ code: 0, stderr: "" });
    const records = (JSON.parse(report.stdout) as { file: string }[]).sort((a, b) => a.file.localeCompare(b.file));
    expect(records).toEqual([
      expect.objectContaining({
        category: "KL_Malicious_Hash_MD5",
        indicator: "C912705B4BBB14EC7E78FA8B370532C9",
        indicatorType: "md5",
        file: "logs/av.log",
        line: 1,
        sent: "file=invoice.exe md5=C912705B4BBB14EC7E78FA8B370532C9 action=quarantine",
        dialect: "sidecar",
      }),
      expect.objectContaining({
        category: "KL_Malicious_URL",
        indicator: "fakess123.nu",
        indicatorType: "url",
        context: expect.objectContaining(MALICIOUS_URL_CONTEXT),
        source: { url: "http://fakess123.nu/" },
        file: "logs/proxy.log",
        line: 2,
        sent: "GET http://fakess123.nu/ 200",
        dialect: "sidecar",
      }),
    ]);

    const before = serve.stderr().length;
    process.kill(serve.pid, "SIGTERM");
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    const stopLog = serve.stderr().slice(before);
    expect(stopLog).toContain("[watchdog] Stopping worker");
    expect(stopLog).toMatch(/\[worker\] stopped events=3 detections=2\n/);
    expect(serve.stdout()).toBe(`ioclens: serving on 127.0.0.1:${ports.input}\n`);
    // The one warning: the demo feeds hold only test records.
    expect(serve.stderr().split("\n").filter((line) => / (warn|error) /.test(line))).toEqual([
      expect.stringMatching(/ warn {2}\[worker\] nothing to find: only demo feeds are loaded \(18 test records such as http:\/\/fakess123\.nu\), so real logs give no detections; docs\/feeds\.md shows how to configure feeds$/),
    ]);
  });

  test("serve --no-watchdog exits 5 naming the element when the event port is taken", async () => {
    await using busy = await startCollector();
    const { text } = await serviceConfigText("127.0.0.1:9", (xml) => xml.replace(/<ConnectionString>127\.0\.0\.1:\d+<\/ConnectionString>/, `<ConnectionString>127.0.0.1:${busy.port}</ConnectionString>`));
    writeFileSync(join(dir, "busy.conf"), text);
    await using serve = startServe(["--no-watchdog", "-c", "busy.conf"], dir);
    const { code } = await serve.exited;
    expect({ code, stdout: serve.stdout(), lastLine: serve.stderr().trimEnd().split("\n").at(-1) }).toEqual({
      code: 5,
      stdout: "",
      lastLine: `ioclens: cannot listen on 127.0.0.1:${busy.port} (InputSettings > ConnectionString): address already in use`,
    });
  });

  test("scan exits 4 with a one-line error when no service listens, and leaves no report", async () => {
    const port = await freePort();
    mkdirSync(join(dir, "unreachable"));
    writeFileSync(join(dir, "nobody.conf"), `<Settings><Connection>127.0.0.1:${port}</Connection><ConnectionTimeout>0</ConnectionTimeout><OutputDir>${join(dir, "unreachable")}</OutputDir></Settings>\n`);
    const scan = await ioclens(["scan", "-r", "-c", "nobody.conf", "-u", "http://fakess123.nu"], dir);
    expect({ ...scan, reports: readdirSync(join(dir, "unreachable")) }).toEqual({
      code: 4,
      stdout: "",
      stderr: `ioclens: cannot connect to the lookup service at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (waited 0 s, ConnectionTimeout 0 s)\n`,
      reports: [],
    });
  });
});
