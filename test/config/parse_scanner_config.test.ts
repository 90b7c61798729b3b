import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/config_error.ts";
import { parseScannerConfig } from "../../src/config/parse_scanner_config.ts";
import { fixture, thrown } from "./_fixture_files.ts";

const BIN = "/opt/ioclens/bin";
const parse = (xml: string) => parseScannerConfig(xml, "log_scanner.conf", { binaryDir: BIN });
const settings = (inner: string) => parse(`<Settings>\n${inner}\n</Settings>`);

describe("parseScannerConfig()", () => {
  test("loads the seed excerpt and fills the missing elements with defaults", () => {
    expect(parseScannerConfig(fixture("seed_log_scanner.conf"), "seed_log_scanner.conf", { binaryDir: BIN })).toEqual({
      config: {
        source: "seed_log_scanner.conf",
        verbose: 0,
        threadsCount: 8,
        outputDir: BIN,
        pattern: "ip=%IP% md5=%MD5% sha1=%SHA1% sha256=%SHA256% url=%URL%",
        connections: ["127.0.0.1:9999"],
        connectionTimeoutSeconds: 15,
      },
      warnings: [],
    });
  });

  test("reads every element", () => {
    const { config } = settings(`
      <Verbose>1</Verbose>
      <ThreadsCount>4</ThreadsCount>
      <OutputDir>../log_scanner_reports</OutputDir>
      <Pattern>url=%URL%</Pattern>
      <Connection>[::1]:9000</Connection>
      <ConnectionTimeout>30</ConnectionTimeout>`);
    expect(config).toEqual({
      source: "log_scanner.conf",
      verbose: 1,
      threadsCount: 4,
      outputDir: "/opt/ioclens/log_scanner_reports",
      pattern: "url=%URL%",
      connections: ["[::1]:9000"],
      connectionTimeoutSeconds: 30,
    });
  });

  test("keeps an absolute OutputDir as it is", () => {
    expect(settings("<OutputDir>/var/reports</OutputDir>").config.outputDir).toBe("/var/reports");
  });

  test.each([
    ["a Unix socket", "/run/ioclens.sock"],
    ["a named pipe", "\\\\.\\pipe\\ioclens"],
    ["a named pipe with forward slashes", "//./pipe/ioclens"],
    ["a unix: socket", "unix:/run/ioclens.sock"],
    ["a host name", "siem.example:9999"],
  ])("accepts %s as Connection", (_name, connection) => {
    expect(settings(`<Connection>${connection}</Connection>`).config.connections).toEqual([connection]);
  });

  test("ours: Connection lists replicas separated by commas, in order", () => {
    expect(settings("<Connection>10.0.0.1:9999, [::1]:9000,/run/ioclens.sock</Connection>").config.connections).toEqual(["10.0.0.1:9999", "[::1]:9000", "/run/ioclens.sock"]);
  });

  test.each([
    ["an empty address between commas", "10.0.0.1:9999,,10.0.0.2:9999", "must be an address, or addresses separated by commas: found an empty one (address 2 of 3)"],
    ["a trailing comma", "10.0.0.1:9999,", "must be an address, or addresses separated by commas: found an empty one (address 2 of 2)"],
    ["a bad second address", "10.0.0.1:9999, 10.0.0.2", 'must be host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name, got "10.0.0.2" (address 2 of 2)'],
  ])("refuses %s in Connection, naming which", (_name, value, message) => {
    expect(thrown(() => settings(`<Connection>${value}</Connection>`)).message).toBe(`log_scanner.conf:2: Settings > Connection ${message}`);
  });

  test("accepts a wrapper root around Settings", () => {
    const { config, warnings } = parse("<Root>\n<Settings><ThreadsCount>3</ThreadsCount></Settings>\n<Other/>\n</Root>");
    expect([config.threadsCount, warnings]).toEqual([3, ["log_scanner.conf:3: unknown element Root > Other ignored"]]);
  });

  test.each([
    ["0", 0],
    ["False", 0],
    ["", 0],
    ["2", 2],
    ["True", 1],
    ["yes please", 1],
  ])("reads Verbose %p as %p", (raw, level) => {
    expect(settings(`<Verbose>${raw}</Verbose>`).config.verbose).toBe(level);
  });

  test("names file, line, element, value and range when ThreadsCount is not a number", () => {
    const error = thrown(() => parseScannerConfig(fixture("threads_count_eight.conf"), "log_scanner.conf", { binaryDir: BIN }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('log_scanner.conf:7: Settings > ThreadsCount must be an integer from 1 to 64, got "eight"');
    const { file, line, elementPath } = error as ConfigError;
    expect({ file, line, elementPath }).toEqual({ file: "log_scanner.conf", line: 7, elementPath: "Settings > ThreadsCount" });
  });

  test.each([
    ["<ThreadsCount>0</ThreadsCount>", 'Settings > ThreadsCount must be an integer from 1 to 64, got "0"'],
    ["<ThreadsCount>65</ThreadsCount>", 'Settings > ThreadsCount must be an integer from 1 to 64, got "65"'],
    ["<ThreadsCount>8.5</ThreadsCount>", 'Settings > ThreadsCount must be an integer from 1 to 64, got "8.5"'],
    ["<ConnectionTimeout>-1</ConnectionTimeout>", 'Settings > ConnectionTimeout must be an integer from 0 to 86400, got "-1"'],
    [
      "<Connection>localhost</Connection>",
      'Settings > Connection must be host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name, got "localhost"',
    ],
    ["<Connection>127.0.0.1:70000</Connection>", 'Settings > Connection must be host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name, got "127.0.0.1:70000"'],
    ["<Pattern>  </Pattern>", "Settings > Pattern must be a request template such as url=%URL%: found an empty element"],
    ["<OutputDir/>", "Settings > OutputDir must name a directory: found an empty element"],
  ])("rejects %s", (inner, detail) => {
    expect(thrown(() => settings(inner)).message).toBe(`log_scanner.conf:2: ${detail}`);
  });

  test("warns once per unknown element and still loads", () => {
    const { config, warnings } = settings("<Threads>8</Threads>\n<ThreadsCount>2</ThreadsCount>\n<ThreadsCount>3</ThreadsCount>");
    expect(config.threadsCount).toBe(2);
    expect(warnings).toEqual([
      "log_scanner.conf:2: unknown element Settings > Threads ignored",
      "log_scanner.conf:4: duplicate element Settings > ThreadsCount ignored: the one at line 3 is used",
    ]);
  });

  test("suggests the known element a typo meant, and --strict makes it an error", () => {
    expect(settings("<Conection>127.0.0.1:1</Conection>").warnings).toEqual(["log_scanner.conf:2: unknown element Settings > Conection ignored: did you mean Connection?"]);
    const error = thrown(() => parseScannerConfig("<Settings>\n<ThreadCount>2</ThreadCount>\n</Settings>", "log_scanner.conf", { binaryDir: BIN, strict: true }));
    expect(error.message).toBe("log_scanner.conf:2: unknown element Settings > ThreadCount (--strict): did you mean ThreadsCount?");
  });

  test("refuses a root that is not Settings", () => {
    expect(thrown(() => parse("<Configuration/>")).message).toBe(
      "log_scanner.conf:1: Configuration is not a scanner config: expected a <Settings> root or a <Settings> child, found none",
    );
  });

  test("reports malformed XML with the line of the problem", () => {
    const error = thrown(() => parseScannerConfig(fixture("unclosed_tag.conf"), "log_scanner.conf", { binaryDir: BIN }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      "log_scanner.conf:6: XML syntax error: Expected closing tag 'Pattern' (opened in line 4, col 3) instead of closing tag 'Settings'",
    );
  });

  test("refuses a DOCTYPE with entities before expanding anything", () => {
    const error = thrown(() => parseScannerConfig(fixture("doctype_entity.conf"), "log_scanner.conf", { binaryDir: BIN }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toStartWith('log_scanner.conf:2: XML syntax error: DOCTYPE declaration refused: found "<!DOCTYPE"');
  });
});
