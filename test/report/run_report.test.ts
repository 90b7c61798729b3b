import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, run, statWithoutTime, stdinOf } from "./_report_cli.ts";

const MIXED = join(FIXTURES, "mixed_report.txt");
const SCAN_OUT = join(FIXTURES, "scan_out");
const SIDECAR = join(SCAN_OUT, "log_scanner_report20240415_100211.ndjson");
const TEXT_REPORT = join(SCAN_OUT, "log_scanner_report20240415_100211.txt");

describe("ioclens report", () => {
  test("gives, with --format json on a sidecar, the same records as the sidecar", async () => {
    const { code, stdout, stderr } = await run(["--format", "json", SIDECAR]);
    const sidecar = readFileSync(SIDECAR, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const detections = sidecar.filter((d) => d.type === "detection");
    const records = JSON.parse(stdout) as Record<string, unknown>[];
    // Every sidecar field comes back as the category, the indicator or a source/context value.
    const asSidecar = records.map((r) => ({
      type: "detection", file: r.file, line: r.line, sent: r.sent, text: r.raw,
      fields: { category: r.category, matchedIndicator: r.indicator, ...(r.source as object), ...(r.context as object) },
    }));
    expect([code, stderr]).toEqual([0, ""]);
    expect(asSidecar).toEqual(detections);
  });

  test("reads the sidecar instead of a text report beside it", async () => {
    const viaText = await run(["--format", "ndjson", TEXT_REPORT]);
    const viaFolder = await run(["--format", "ndjson", SCAN_OUT]);
    const direct = await run(["--format", "ndjson", SIDECAR]);
    expect(viaText.stdout).toBe(direct.stdout);
    expect(viaFolder.stdout).toBe(direct.stdout);
    expect(direct.stdout.trim().split("\n")).toHaveLength(3);
  });

  test("reads the text report when told --no-sidecar", async () => {
    const { stdout } = await run(["--format", "ndjson", "--no-sidecar", TEXT_REPORT]);
    expect(stdout.trim().split("\n").map((l) => JSON.parse(l).dialect)).toEqual(["kv"]);
  });

  test("reads every dialect of a mixed report and counts the lines that are not results", async () => {
    const { code, stdout, stderr } = await run(["--format", "ndjson", MIXED]);
    const rows = stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.dialect, r.category, r.indicator, r.indicatorType])).toEqual([
      ["kv", "KL_Malicious_Hash_MD5", "44D88612FEA8A8F36DE82E1278ABB02F", "md5"],
      ["leef1", "KL_Malicious_URL", "bad.example/*", "url"],
      ["leef2", "KL_IP_Reputation", "192.0.2.1", "ip"],
      ["cef", "KL_Phishing_URL", "phish.test/login", "url"],
      ["kuma", "KL_Malicious_URL", "bad.example/*", "url"],
    ]);
    expect([code, stderr]).toEqual([0, "ioclens: 1 line not understood, kept as raw (--include-raw shows them)\n"]);
  });

  test("emits unknown lines with --include-raw", async () => {
    const { stdout } = await run(["--format", "ndjson", "--include-raw", "--filter", "category=none", MIXED]);
    expect(stdout).toBe(`{"raw":"this line is not a result","origin":"${MIXED}:8"}\n`);
  });

  test("recomputes the three summary lines byte for byte", async () => {
    const { code, stdout } = await run(["--summary", MIXED]);
    expect([code, stdout]).toEqual([
      0,
      "Total number of objects sent to KTFS: 4\nTotal number of detects received from KTFS: 5\nTotal scan time: 00:00:01.237\n",
    ]);
  });

  test("recomputes the detections count after a filter and the objects count without summary lines", async () => {
    const filtered = await run(["--summary", "--filter", "type=url", MIXED]);
    expect(filtered.stdout).toBe("Total number of objects sent to KTFS: 4\nTotal number of detects received from KTFS: 3\nTotal scan time: 00:00:01.237\n");
    const bare = await run(["--summary", "-"], {
      stdin: stdinOf("category=KL_APT_IP matchedIndicator=192.0.2.4\ncategory=KL_APT_IP matchedIndicator=192.0.2.5\n"),
    });
    expect(bare.stdout).toBe("Total number of objects sent to KTFS: 2\nTotal number of detects received from KTFS: 2\nTotal scan time: 00:00:00.000\n");
  });

  test.each([
    [["--filter", "category=KL_Malicious_URL"], ["KL_Malicious_URL", "KL_Malicious_URL"]],
    [["--filter", "category=kl_*_url"], ["KL_Malicious_URL", "KL_Phishing_URL", "KL_Malicious_URL"]],
    [["--filter", "type=ip", "--filter", "type=md5"], ["KL_Malicious_Hash_MD5", "KL_IP_Reputation"]],
    [["--filter", "type=url", "--filter", "phish"], ["KL_Phishing_URL"]],
    [["--filter", "indicator=BAD.EXAMPLE"], ["KL_Malicious_URL", "KL_Malicious_URL"]],
    [["--dedupe"], ["KL_Malicious_Hash_MD5", "KL_Malicious_URL", "KL_IP_Reputation", "KL_Phishing_URL"]],
    [["--since", "2024-04-15T10:02:12Z", "--until", "2024-04-15T10:02:14Z"], ["KL_Malicious_URL", "KL_IP_Reputation"]],
  ])("keeps the records %j asks for", async (args, categories) => {
    const { stdout } = await run(["--format", "ndjson", ...args, MIXED]);
    expect(stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).category)).toEqual(categories);
  });

  test("dates year-less stamps by the report file's modification time", async () => {
    const file = join(FIXTURES, "year_end.txt");
    const { stdout } = await run(["--format", "ndjson", file], {
      stat: async (p) => ({ ...(await statWithoutTime(p)), mtimeMs: Date.parse("2025-01-10T00:00:00Z") }),
    });
    expect(stdout.trim().split("\n").map((l) => JSON.parse(l).time)).toEqual(["2024-12-31T23:59:58.000Z", "2025-01-05T08:00:00.000Z"]);
  });

  test("says how many records --since left out for having no time", async () => {
    const { stderr } = await run(["--format", "ndjson", "--since", "2024-01-01", MIXED]);
    expect(stderr).toContain("ioclens: 1 record has no readable time and was left out by --since/--until\n");
  });

  test("counts per group, largest first, with --top", async () => {
    const { stdout } = await run(["--group-by", "category", "--top", "2", "--format", "table", MIXED]);
    expect(stdout).toBe("CATEGORY          COUNT\nKL_Malicious_URL      2\nKL_IP_Reputation      1\n");
    const json = await run(["--group-by", "file", "--format", "json", SIDECAR]);
    expect(JSON.parse(json.stdout)).toEqual([{ file: "logs/proxy.log", count: 2 }, { file: "logs/edr.log", count: 1 }]);
  });

  test("reads stdin when no file is named and stdin is not a terminal", async () => {
    const { code, stdout } = await run(["--format", "csv"], {
      stdin: stdinOf("Apr 15 10:02:11 category=KL_Malicious_URL matchedIndicator=a.example/* geo=ru, \"ua\"\n"),
    });
    expect([code, stdout]).toEqual([
      0,
      "time,category,indicator,indicator_type,feed,confidence,url,ip,md5,sha1,sha256,file,line,origin,context,actionable,source,retroscan\r\n" +
        `2024-04-15T10:02:11.000Z,KL_Malicious_URL,a.example/*,url,,,,,,,,,,<stdin>:1,"{""geo"":""ru, \\""ua\\""""}",{},{},false\r\n`,
    ]);
  });

  test("prints an aligned table", async () => {
    const { stdout } = await run(["--format", "table", SIDECAR]);
    expect(stdout).toBe(
      "TIME                 CATEGORY               TYPE  INDICATOR                         WHERE\n" +
        "2024-04-15 10:02:11  KL_Malicious_URL       url   bad.example/*                     logs/proxy.log:12\n" +
        "2024-04-15 10:02:12  KL_IP_Reputation       ip    192.0.2.1                         logs/proxy.log:40\n" +
        "2024-04-15 10:02:13  KL_Malicious_Hash_MD5  md5   44D88612FEA8A8F36DE82E1278ABB02F  logs/edr.log:3\n" +
        "\n3 detections\n",
    );
  });

  test("defaults to a table on a terminal and to NDJSON in a pipe", async () => {
    const tty = await run([SIDECAR], { isTTY: true });
    const pipe = await run([SIDECAR], { isTTY: false });
    expect(tty.stdout).toStartWith("TIME ");
    expect(JSON.parse(pipe.stdout.split("\n")[0]!).category).toBe("KL_Malicious_URL");
  });

  test("writes one self-contained HTML page with the summary, the chart and the table", async () => {
    const { code, stdout } = await run(["--format", "html", MIXED]);
    expect(code).toBe(0);
    expect(stdout).toStartWith("<!doctype html>");
    expect(stdout).toEndWith("</html>\n");
    expect(stdout).not.toMatch(/(?:src|href)=["']?(?:https?:|\/\/)/);
    expect(stdout).toContain('<table id="records">');
    expect(stdout.match(/<tr><td>/g)).toHaveLength(5);
    expect(stdout).toContain("<td>KL_Phishing_URL</td>");
    expect(stdout).toContain('<svg id="chart" role="img"');
    expect(stdout).toContain('<g data-category="KL_Malicious_URL" style="cursor:pointer"><title>KL_Malicious_URL: 2</title>');
    expect(stdout).toContain("<dt>Objects sent</dt><dd>4</dd>");
    expect(stdout).toContain('<input id="filter" type="search"');
    expect(stdout).toContain("<script>");
  });

  test("escapes hostile values in HTML", async () => {
    const { stdout } = await run(["--format", "html", "-"], {
      stdin: stdinOf('category=KL_Malicious_URL matchedIndicator=x.example/<script>alert("x")</script>\n'),
    });
    expect(stdout).toContain("<td>x.example/&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</td>");
    expect(stdout.match(/<script>/g)).toHaveLength(1);
  });

  test("writes Markdown with a summary", async () => {
    const { stdout } = await run(["--format", "markdown", TEXT_REPORT, "--no-sidecar"]);
    expect(stdout).toBe(
      "# ioclens report\n\n| Time | Category | Type | Indicator | Feed | Where |\n|---|---|---|---|---|---|\n" +
        `| 2024-04-15T10:02:11.000Z | KL\\_Malicious\\_URL | url | bad.example/\\* |  | ${TEXT_REPORT.replace(/_/g, "\\_")}:1 |\n` +
        "\n## Summary\n\n| Category | Detections |\n|---|---:|\n| KL\\_Malicious\\_URL | 1 |\n\n" +
        "```\nTotal number of objects sent to KTFS: 3\nTotal number of detects received from KTFS: 1\nTotal scan time: 00:00:00.500\n```\n",
    );
  });

  test("names half-written sidecar lines on stderr and keeps going", async () => {
    const { code, stdout, stderr } = await run(["--format", "ndjson", join(FIXTURES, "half_written.ndjson")]);
    expect(code).toBe(0);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    expect(stderr).toBe(
      `ioclens: ${join(FIXTURES, "half_written.ndjson")}:2: line is not valid JSON: a half-written sidecar line?\n` +
        `ioclens: ${join(FIXTURES, "half_written.ndjson")}: the report is truncated: its last line is cut off\n` +
        "ioclens: 1 bad line skipped or repaired\n",
    );
  });

  test("says when the sidecar comes from an interrupted scan, and --summary exits 6", async () => {
    const { code, stderr } = await run(["--summary", "-"], {
      stdin: stdinOf('{"type":"summary","objectsSent":9,"detectsReceived":0,"scanTimeMs":5,"startedAt":"2024-04-15T10:00:00Z","partial":true}\n'),
    });
    expect([code, stderr]).toEqual([6, "ioclens: <stdin>: the scan was interrupted: its results are partial\n"]);
  });

  test("reads a line that is not UTF-8 with replacement characters and names it", async () => {
    const file = join(FIXTURES, "latin1_report.txt");
    const { code, stdout, stderr } = await run(["--format", "ndjson", file]);
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").map((l) => JSON.parse(l).context.geo ?? null)).toEqual(["caf\uFFFD", null]);
    expect(stderr).toBe(`ioclens: ${file}:1: line is not valid UTF-8: read with replacement characters\nioclens: 1 bad line skipped or repaired\n`);
  });

  test("exits 5 when nothing could be read, 0 when something could", async () => {
    const none = await run(["/nonexistent/ioclens/report.txt"]);
    expect(none).toEqual({ code: 5, stdout: "", stderr: "ioclens: cannot read /nonexistent/ioclens/report.txt: no such file or folder\n" });
    const some = await run(["--summary", "/nonexistent/ioclens/report.txt", TEXT_REPORT, "--no-sidecar"]);
    expect(some.code).toBe(0);
  });

  test.each(["csv", "html", "json", "markdown"])("writes no %s skeleton when nothing could be read", async (format) => {
    const none = await run(["--format", format, "/nonexistent/ioclens/report.txt"]);
    expect(none).toEqual({ code: 5, stdout: "", stderr: "ioclens: cannot read /nonexistent/ioclens/report.txt: no such file or folder\n" });
  });

  test.each([
    [["--format", "xml", "a.txt"], '--format must be one of table, json, ndjson, csv, cef, leef, leef2, syslog, markdown, html: got "xml"'],
    [["--bogus"], "unknown option: --bogus"],
    [["--top", "3", "a.txt"], "--top needs --group-by: say what to rank, e.g. --group-by indicator --top 10"],
    [["--group-by", "colour", "a.txt"], '--group-by must be one of category, indicator, type, file, feed: got "colour"'],
    [["--group-by", "feed", "--format", "cef", "a.txt"], "--group-by cannot be shown as cef: use table, json, ndjson, csv, markdown"],
    [["--filter", "colour=red", "a.txt"], '--filter field must be one of category, type, feed, file, indicator, retroscan: got "colour"'],
    [["--since", "yesterday", "a.txt"], '--since must be an ISO date like 2024-04-15 or 2024-04-15T10:00:00Z: got "yesterday"'],
    [["--send", "http://x:1", "a.txt"], '--send must be tcp://host:port or udp://host:port: got "http://x:1"'],
    [["--send", "tcp://x:1", "--format", "html", "a.txt"], "--send cannot carry format html: use syslog, cef, leef, leef2, json or ndjson"],
    [["--retries=-1", "a.txt"], '--retries must be an integer from 0 to 100: got "-1"'],
  ])("exits 2 with the error and a pointer to --help for %j", async (args, message) => {
    expect(await run(args)).toEqual({ code: 2, stdout: "", stderr: `ioclens: ${message}\nRun 'ioclens report --help' for usage.\n` });
  });

  test("exits 2 when given no input on a terminal", async () => {
    expect(await run([], { isTTY: true })).toEqual({
      code: 2, stdout: "", stderr: "ioclens: no input: name report files or folders, or pipe a report into stdin with -\nRun 'ioclens report --help' for usage.\n",
    });
  });

  test("prints the help with examples", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: ioclens report [options] [FILE|FOLDER|-]...");
    expect(stdout).toContain("ioclens report --group-by indicator --top 10 out/");
  });
});
