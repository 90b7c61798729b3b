import { describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { SIEM_NAMES } from "../../src/config/siem_profiles.ts";
import { CATALOGUE_NAMES } from "../../src/config/feed_catalogue.ts";
import { loadServiceConfig } from "../../src/config/load_config.ts";
import { recordingIo } from "../_support/recording_io.ts";

const fixtures = join(import.meta.dir, "..", "fixtures", "config");

async function run(argv: string[]) {
  const io = recordingIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe("main()", () => {
  test("--help lists the three commands and exits 0", async () => {
    const { code, out, err } = await run(["--help"]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    for (const command of ["serve", "scan", "report"]) expect(out).toContain(`  ${command} `);
  });

  test("--version prints the version", async () => {
    expect(await run(["--version"])).toEqual({ code: 0, out: expect.stringMatching(/^ioclens \d+\.\d+\.\d+\n$/), err: "" });
  });

  test.each([
    [["frobnicate"], "ioclens: unknown command: frobnicate\nRun 'ioclens --help' for usage.\n"],
    [["--frobnicate"], "ioclens: unknown option: --frobnicate\nRun 'ioclens --help' for usage.\n"],
    [["serve", "--frobnicate"], "ioclens: unknown option: --frobnicate\nRun 'ioclens serve --help' for usage.\n"],
    [["scan", "-p"], "ioclens: option needs a value: -p, --path <value>\nRun 'ioclens scan --help' for usage.\n"],
  ])("%p is a usage error: the error, one line pointing at --help, exit 2", async (argv, err) => {
    expect(await run(argv)).toEqual({ code: 2, out: "", err });
  });

  test.each(["serve", "scan", "report"])("%s --help shows real examples", async (command) => {
    const { code, out } = await run([command, "--help"]);
    expect(code).toBe(0);
    expect(out).toContain(`ioclens ${command}`);
    expect(out).toMatch(/Examples?:?\n/i);
  });

  test("serve --check-config accepts the seed's service excerpt", async () => {
    const { code, out, err } = await run(["serve", "--check-config", join(fixtures, "seed_service.conf")]);
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toContain("seed_service.conf: ok");
  });

  test("scan --check-config accepts the seed's scanner excerpt", async () => {
    const { code, out } = await run(["scan", "--check-config", join(fixtures, "seed_log_scanner.conf")]);
    expect(code).toBe(0);
    expect(out).toContain("seed_log_scanner.conf: ok (connection 127.0.0.1:9999, 8 threads");
  });

  test("an unclosed tag exits 3 naming the file and line", async () => {
    const { code, err } = await run(["serve", "--check-config", join(fixtures, "unclosed_tag.conf")]);
    expect(code).toBe(3);
    expect(err).toMatch(/^ioclens: .*unclosed_tag\.conf:\d+: XML syntax error: /);
    expect(err.trim().split("\n")).toHaveLength(1);
  });

  test("a DOCTYPE with an entity is refused with a clear message", async () => {
    const { code, err } = await run(["serve", "--check-config", join(fixtures, "doctype_entity.conf")]);
    expect(code).toBe(3);
    expect(err).toMatch(/doctype_entity\.conf:\d+: .*DOCTYPE/);
  });

  test("ThreadsCount of eight names the element, the value and the allowed range", async () => {
    const { code, err } = await run(["scan", "--check-config", join(fixtures, "threads_count_eight.conf")]);
    expect(code).toBe(3);
    expect(err).toMatch(/threads_count_eight\.conf:\d+: Settings > ThreadsCount must be an integer from 1 to 64, got "eight"/);
  });

  test("serve --print-config prints the embedded config, which itself passes --check-config", async () => {
    const { code, out } = await run(["serve", "--print-config"]);
    expect(code).toBe(0);
    expect(out).toContain("<ConnectionString>127.0.0.1:9999</ConnectionString>");
  });
});

describe("serve --print-config --siem NAME", () => {
  test.each(SIEM_NAMES)("%s: prints a config that passes --check-config with no warning", async (name) => {
    const printed = await run(["serve", "--print-config", "--siem", name]);
    expect([printed.code, printed.err]).toEqual([0, ""]);
    const dir = await mkdtemp(join(tmpdir(), "ioclens-siem-"));
    try {
      const file = join(dir, `${name}.conf`);
      await writeFile(file, printed.out);
      expect(await run(["serve", "--check-config", file])).toEqual({ code: 0, out: `${file}: ok (listen 127.0.0.1:9999, 14 feeds, 1 sources)\n`, err: "" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("splunk is the built-in config, which --print-config prints without --siem", async () => {
    const [plain, splunk] = await Promise.all([run(["serve", "--print-config"]), run(["serve", "--print-config", "--siem", "splunk"])]);
    expect(splunk).toEqual(plain);
    expect(plain.out).toBe(DEFAULT_SERVICE_CONFIG_TEXT);
  });

  test.each([
    [["--siem", "syslog"], `ioclens: unknown SIEM for --siem: got "syslog", expected one of ${SIEM_NAMES.join(", ")}\n`],
    [["--siem", "kuma"], "ioclens: --siem selects the config --print-config prints: got --siem kuma without --print-config\n"],
    [["--print-config", "--siem", "kuma", "-c", "my.conf"], "ioclens: --siem prints a built-in config: got --siem kuma with the config file my.conf\n"],
  ])("serve %p exits 2 naming the problem", async (argv, firstLine) => {
    const { code, out, err } = await run(["serve", ...(argv as string[])]);
    expect([code, out, err.split("\n")[0] + "\n"]).toEqual([2, "", firstLine]);
  });
});

describe("serve --print-config --feeds NAMES", () => {
  test("--help lists every catalogue name, wrapped under the option's column within 100 characters", async () => {
    const { out } = await run(["serve", "--help"]);
    const options = out.slice(out.indexOf("Options:"), out.indexOf("Signals:")).trimEnd().split("\n");
    expect(options.filter((line) => line.length > 100)).toEqual([]);
    const feeds = options.slice(options.findIndex((line) => line.includes("--feeds")), options.findIndex((line) => line.includes("--no-watchdog")));
    expect(feeds.join(" ").replace(/\s+/g, " ")).toContain(`(docs/feeds.md): ${CATALOGUE_NAMES.join(", ")}`);
  });

  test("prints a config with those catalogue feeds and the SIEM's formats; it passes --check-config --strict", async () => {
    const printed = await run(["serve", "--print-config", "--siem", "kuma", "--feeds", "urlhaus, feodo,misp-rfc1918,feodo"]);
    expect([printed.code, printed.err]).toEqual([0, ""]);
    expect(printed.out).toContain("<FinishedEventFormat enabled=\"true\"><![CDATA[LookupFinished]]>");
    const dir = await mkdtemp(join(tmpdir(), "ioclens-feeds-"));
    try {
      const file = join(dir, "feeds.conf");
      await writeFile(file, printed.out);
      expect(await run(["serve", "--check-config", "--strict", file])).toEqual({ code: 0, out: `${file}: ok (listen 127.0.0.1:9999, 3 feeds, 1 sources)\n`, err: "" });
      const { config } = await loadServiceConfig(file);
      expect(config.service.basesDir).toBe(join(dir, "bases"));
      expect(config.feeds.feeds.map((f) => [f.source, f.remote?.url, f.filename, f.allowList])).toEqual([
        ["urlhaus", "https://urlhaus.abuse.ch/downloads/csv_recent/", "urlhaus.csv", false],
        ["feodo", "https://feodotracker.abuse.ch/downloads/ipblocklist.csv", "feodo.csv", false],
        ["misp-rfc1918", "https://raw.githubusercontent.com/MISP/misp-warninglists/main/lists/rfc1918/list.json", "misp-rfc1918.json", true],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test.each([
    [["--print-config", "--feeds", "urlhaus,abuse"], `ioclens: unknown feed for --feeds: got "abuse", expected a comma-separated list of ${CATALOGUE_NAMES.join(", ")}\n`],
    [["--print-config", "--feeds", ","], `ioclens: unknown feed for --feeds: got ",", expected a comma-separated list of ${CATALOGUE_NAMES.join(", ")}\n`],
    [["--feeds", "urlhaus"], "ioclens: --feeds selects the feeds of the config --print-config prints: got --feeds urlhaus without --print-config\n"],
    [["--print-config", "--feeds", "urlhaus", "-c", "my.conf"], "ioclens: --feeds prints a built-in config: got --feeds urlhaus with the config file my.conf\n"],
  ])("serve %p exits 2 naming the problem", async (argv, firstLine) => {
    const { code, out, err } = await run(["serve", ...(argv as string[])]);
    expect([code, out, err.split("\n")[0] + "\n"]).toEqual([2, "", firstLine]);
  });
});
