/**
 * What a new user meets in the first hour with the built binary (issue 13): the seed config,
 * a service that is down, empty or demo-only feeds, and the default output target.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, ensureBinary, freePort, getJson, ioclens, replyBackLookup, ROOT, run, serviceConfigText, startCollector, startServe, type RunResult } from "../_support/ioclens_binary.ts";

const dir = mkdtempSync(join(tmpdir(), "ioclens-first-hour-"));
const SEED = readFileSync(join(ROOT, "test", "fixtures", "config", "seed_service.conf"), "utf8");

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The seed's service config listening on a free port, with `edit` applied; returns its path and port. */
async function seedConfig(name: string, edit: (xml: string) => string = (x) => x): Promise<{ path: string; port: number }> {
  const port = await freePort();
  if (!SEED.includes("<ConnectionString>127.0.0.1:9999</ConnectionString>")) throw new Error("seed_service.conf has changed: expected it to listen on 127.0.0.1:9999");
  const path = join(dir, name);
  writeFileSync(path, edit(SEED.replace("<ConnectionString>127.0.0.1:9999</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`)));
  return { path, port };
}

describe("the seed's own config", () => {
  test("serve starts without warning about the default EventFormat's %RE_DOMAIN%, which its Source does not define", async () => {
    const { path, port } = await seedConfig("seed.conf");
    await using serve = startServe(["--no-watchdog", "-c", path], dir);
    await serve.waitForLog(/ listening on /);
    await serve.waitReady(port);
    process.kill(serve.pid, "SIGTERM");
    expect((await serve.exited).code).toBe(0);
    expect(serve.stderr()).not.toContain("placeholder");
  });

  test("a %RE_DOMAIN% the user wrote into EventFormat still warns, in --check-config too", async () => {
    const { path } = await seedConfig("seed_written.conf", (xml) => xml.replace("<OutputSettings>", "<OutputSettings><EventFormat>%Category% domain=%RE_DOMAIN%</EventFormat>"));
    expect(await ioclens(["serve", "--check-config", path], dir)).toEqual({
      code: 0,
      stdout: expect.stringContaining(`${path}: ok`),
      stderr: `ioclens: warning: ${path}: EventFormat has an unknown placeholder: found %RE_DOMAIN%, expected a pattern or a regex name; it renders empty\n`,
    });
  });
});

describe("feed context", () => {
  test("an IPsum feed read with columns=\"ip,score\" shows its count as score=, not col2=", async () => {
    const bases = mkdtempSync(join(dir, "ipsum-"));
    writeFileSync(join(bases, "ipsum.tsv"), readFileSync(join(ROOT, "test", "fixtures", "feeds", "ipsum.tsv")));
    const port = await freePort();
    const conf = join(bases, "ipsum.conf");
    writeFileSync(conf, `<Configuration>
<InputSettings><ConnectionString>127.0.0.1:${port}</ConnectionString></InputSettings>
<OutputSettings><ConnectionString>127.0.0.1:9</ConnectionString><FinishedEventFormat enabled="true">%RecordContext%</FinishedEventFormat></OutputSettings>
<Feeds><Feed filename="ipsum.tsv" format="tsv" category="IPsum" columns="ip,score"/></Feeds>
<ServiceSettings><Bases>${bases}</Bases></ServiceSettings>
</Configuration>
`);
    await using serve = startServe(["--no-watchdog", "-c", conf], dir);
    await serve.waitReady(port);
    const [detection] = await replyBackLookup(port, "ip=192.0.2.201");
    expect(detection).toMatch(/ matchedIndicator=192\.0\.2\.201 category=IPsum .* score=10$/);
    // Real indicators: no word of there being nothing to find.
    expect(serve.stderr()).not.toContain("nothing to find");
  });
});

describe("serve --help", () => {
  test("its health-probe example needs nothing but bash (no nc, which Debian does not install) and answers PONG", async () => {
    const help = await ioclens(["serve", "--help"], dir);
    const example = /^ {2}(.*X-KF-ReplyBackPING.*?) +# health probe/m.exec(help.stdout)?.[1];
    expect(example).toStartWith("bash -c '");
    const { path, port } = await seedConfig("probe.conf");
    await using serve = startServe(["--no-watchdog", "-c", path], dir);
    await serve.waitReady(port);
    expect(await run("/bin/sh", ["-c", example!.replace("127.0.0.1/9999", `127.0.0.1/${port}`)], { cwd: dir })).toEqual({ code: 0, stdout: "PONG\n", stderr: "" });
  });
});

describe("/status", () => {
  test("connections.limit 8 beside ScannersCount 9 comes with its reason: one scanner reserved for the health probe", async () => {
    const { text, ports } = await serviceConfigText("127.0.0.1:9");
    const conf = join(dir, "status.conf");
    writeFileSync(conf, text);
    await using serve = startServe(["--no-watchdog", "-c", conf], dir);
    await serve.waitReady(ports.input);
    const { status, body } = await getJson(ports.status, "/status");
    expect({ status, connections: (body as { connections: unknown }).connections }).toEqual({
      status: 200,
      connections: expect.objectContaining({ active: 0, waiting: 0, limit: 8, reservedForProbe: 1 }),
    });
  });
});

/** A scanner config in a fresh folder: Connection to `port`, reports to its `reports` folder. */
function scannerDir(name: string, port: number, timeoutSeconds: number): { dir: string; conf: string; reports: string } {
  const folder = join(dir, name);
  mkdirSync(join(folder, "reports"), { recursive: true });
  const conf = join(folder, "log_scanner.conf");
  writeFileSync(conf, `<Settings><Connection>127.0.0.1:${port}</Connection><ConnectionTimeout>${timeoutSeconds}</ConnectionTimeout><OutputDir>${join(folder, "reports")}</OutputDir></Settings>\n`);
  return { dir: folder, conf, reports: join(folder, "reports") };
}

describe("nothing to find", () => {
  test("a config without feeds: serve warns at start, and scan says so under its summary", async () => {
    const { path, port } = await seedConfig("nofeeds.conf");
    await using serve = startServe(["--no-watchdog", "-c", path], dir);
    await serve.waitReady(port);
    // Logged after the start-up check of the output target, which may end just after the first PONG.
    await serve.waitForLog(/nothing to find/);
    expect(serve.stderr()).toMatch(/ warn {2}nothing to find: no feeds are configured, so nothing can be detected; docs\/feeds\.md shows how to configure feeds\n/);
    const scan = scannerDir("nofeeds", port, 5);
    const result = await ioclens(["scan", "-r", "-c", scan.conf, "-u", "http://fakess123.nu"], scan.dir);
    expect({ code: result.code, stderr: result.stderr, summary: result.stdout.split("\n").slice(1, 4) }).toEqual({
      code: 0,
      stderr: "",
      summary: [
        "Total number of detects received from KTFS: 0",
        expect.stringMatching(/^Total scan time: /),
        "Note: the lookup service has nothing to find: no feeds are configured, so nothing can be detected.",
      ],
    });
  });
});

describe("the output target", () => {
  test("nothing listens on it: serve says so once at start, scan without -r warns, and the stop is quiet", async () => {
    const target = await freePort();
    const { text, ports } = await serviceConfigText(`127.0.0.1:${target}`);
    const conf = join(dir, "no-siem.conf");
    writeFileSync(conf, text);
    await using serve = startServe(["--no-watchdog", "-c", conf], dir);
    await serve.waitReady(ports.input);
    const scan = scannerDir("no-siem", ports.input, 5);
    const result = await ioclens(["scan", "-c", scan.conf, "-u", "http://fakess123.nu"], scan.dir);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: `ioclens: warning: without -r, detections go to the service's output target 127.0.0.1:${target}, where nothing listens: they reach no one; -r writes them to a report\n`,
    });
    process.kill(serve.pid, "SIGTERM");
    expect((await serve.exited).code).toBe(0);
    const said = serve.stderr().split("\n").filter((line) => line.includes(`127.0.0.1:${target}`) || / warn /.test(line));
    expect(said).toEqual([
      expect.stringMatching(new RegExp(` warn {2}detections of connections without ReplyBack, and service alerts, go to 127\\.0\\.0\\.1:${target} \\(OutputSettings > ConnectionString\\), but nothing listens there \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${target}\\): they wait in a queue of up to 10000 lines and are dropped at stop \\(ReplyBack clients such as scan -r are not affected\\)$`)),
      expect.stringMatching(/ warn {2}nothing to find: only demo feeds are loaded/),
      expect.stringMatching(new RegExp(` info {2}output 127\\.0\\.0\\.1:${target}: \\d+ queued lines dropped at stop: nothing listened there since the start$`)),
    ]);
  });

  test("a listening target is named once at start as info, and scan without -r names it", async () => {
    await using siem = await startCollector();
    const { text, ports } = await serviceConfigText(`127.0.0.1:${siem.port}`);
    const conf = join(dir, "siem.conf");
    writeFileSync(conf, text);
    await using serve = startServe(["--no-watchdog", "-c", conf], dir);
    await serve.waitReady(ports.input);
    // Logged once the start-up check of the target is done, which may finish just after the first PONG.
    await serve.waitForLog(/go to 127\.0\.0\.1:\d+ \(OutputSettings > ConnectionString\)/);
    expect(serve.stderr()).toMatch(new RegExp(` info {2}detections of connections without ReplyBack, and service alerts, go to 127\\.0\\.0\\.1:${siem.port} \\(OutputSettings > ConnectionString\\)\\n`));
    const scan = scannerDir("siem", ports.input, 5);
    const result = await ioclens(["scan", "-c", scan.conf, "-u", "http://fakess123.nu"], scan.dir);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: `ioclens: without -r, detections go to the service's output target 127.0.0.1:${siem.port}; -r writes them to a report\n`,
    });
    await siem.waitForLine(/category=KL_Malicious_URL/);
  });
});

describe("scan when the service is down", () => {
  test("shows the wait, then the error alone (exit 4), and leaves no report", async () => {
    const port = await freePort();
    const scan = scannerDir("down", port, 1);
    const result = await ioclens(["scan", "-r", "-c", scan.conf, "-u", "http://fakess123.nu"], scan.dir);
    const refused = `connect ECONNREFUSED 127.0.0.1:${port}`;
    expect({ ...result, reports: readdirSync(scan.reports) }).toEqual({
      code: 4,
      stdout: "",
      stderr:
        `ioclens: waiting up to 1 s for the lookup service at 127.0.0.1:${port}: ${refused}\n` +
        `ioclens: cannot connect to the lookup service at 127.0.0.1:${port}: ${refused} (waited 1 s, ConnectionTimeout 1 s)\n`,
      reports: [],
    });
  });

  test("on a terminal the wait is one updating line, cleared before the error", async () => {
    const port = await freePort();
    const scan = scannerDir("down-tty", port, 1);
    // script(1) (util-linux) gives the scan a terminal; its output is the terminal's.
    const result = await run("script", ["-qec", `${BINARY} scan -r -c ${scan.conf} -u http://fakess123.nu`, "/dev/null"], { cwd: scan.dir });
    const shown = result.stdout.replaceAll("\r\n", "\n");
    expect(result.code).toBe(4);
    expect(shown).toStartWith(`\r\x1b[Kioclens: waiting for 127.0.0.1:${port} … 0 s (up to 1 s)\r\x1b[Kioclens: waiting for 127.0.0.1:${port} … `);
    expect(shown).toEndWith(`\r\x1b[Kioclens: cannot connect to the lookup service at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (waited 1 s, ConnectionTimeout 1 s)\n`);
    expect(readdirSync(scan.reports)).toEqual([]);
  });

  test("a service that comes up during the wait is scanned as usual", async () => {
    const { text, ports } = await serviceConfigText("127.0.0.1:9");
    writeFileSync(join(dir, "late.conf"), text);
    const scan = scannerDir("late", ports.input, 60);
    const child = spawn(BINARY, ["scan", "-r", "-c", scan.conf, "-u", "http://fakess123.nu"], { cwd: scan.dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    const waiting = new Promise<void>((resolve) => child.stderr.setEncoding("utf8").on("data", (t: string) => ((stderr += t), stderr.includes("waiting up to 60 s") && resolve())));
    const done = new Promise<RunResult>((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
    try {
      await waiting;
      await using serve = startServe(["--no-watchdog", "-c", "late.conf"], dir);
      await serve.waitReady(ports.input);
      const result = await done;
      expect({ code: result.code, stderr: result.stderr }).toEqual({
        code: 0,
        stderr: expect.stringMatching(new RegExp(`^ioclens: waiting up to 60 s for the lookup service at 127\\.0\\.0\\.1:${ports.input}: [^\\n]+\\n$`)),
      });
      expect(result.stdout).toContain("Total number of detects received from KTFS: 1\n");
      expect(readdirSync(scan.reports)).toHaveLength(2);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
