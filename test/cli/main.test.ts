import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { recordingIo } from "./_io_fixture.ts";

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
    [["frobnicate"], "ioclens: unknown command: frobnicate\n"],
    [["--frobnicate"], "ioclens: unknown option: --frobnicate\n"],
    [["serve", "--frobnicate"], "ioclens: unknown option: --frobnicate\n"],
    [["scan", "-p"], "ioclens: option needs a value: -p, --path <value>\n"],
  ])("%p is a usage error: one line, then usage, exit 2", async (argv, firstLine) => {
    const { code, out, err } = await run(argv);
    expect({ code, out, first: err.split("\n")[0] + "\n" }).toEqual({ code: 2, out: "", first: firstLine });
    expect(err).toContain("Usage:");
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
