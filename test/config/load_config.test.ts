import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/config_error.ts";
import { EMBEDDED_BASES } from "../../src/config/embedded_defaults.ts";
import { loadScannerConfig, loadServiceConfig, type ConfigIo } from "../../src/config/load_config.ts";
import { fixturePath } from "./_fixture_files.ts";

/** An in-memory file system: a path maps to text, anything else is ENOENT. */
function fakeIo(files: Record<string, string>): ConfigIo & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile: async (path) => {
      reads.push(path);
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
      return text;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection, got none");
}

describe("loadServiceConfig()", () => {
  test("returns the embedded default config when no path is given", async () => {
    const { config, warnings } = await loadServiceConfig(undefined, fakeIo({}));
    expect(warnings).toEqual([]);
    expect([config.source, config.service.basesDir, config.input.connectionString, config.output.connectionString]).toEqual([
      EMBEDDED_BASES,
      "<embedded>",
      "127.0.0.1:9999",
      "127.0.0.1:9998",
    ]);
  });

  test("reads the file and resolves relative directories against its folder", async () => {
    const io = fakeIo({ "/srv/ioclens/etc/kl_feed_service.conf": "<Configuration><ServiceSettings><Bases>../bases</Bases></ServiceSettings></Configuration>" });
    const { config } = await loadServiceConfig("/srv/ioclens/etc/kl_feed_service.conf", io);
    expect([config.source, config.service.basesDir, io.reads]).toEqual([
      "/srv/ioclens/etc/kl_feed_service.conf",
      "/srv/ioclens/bases",
      ["/srv/ioclens/etc/kl_feed_service.conf"],
    ]);
  });

  test("fails with 'cannot read' when the named file is missing", async () => {
    const error = await rejection(loadServiceConfig("missing.conf", fakeIo({})));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe("missing.conf: cannot read config file: ENOENT: no such file or directory, open 'missing.conf'");
  });

  test("reads a real file from disk", async () => {
    const { config } = await loadServiceConfig(fixturePath("cyrillic_timeout.conf"));
    expect(config.service.eventSendingRetriesTimeoutSeconds).toBe(25);
  });
});

describe("loadScannerConfig()", () => {
  const DEFAULTS = {
    verbose: 0,
    threadsCount: 8,
    outputDir: "/opt/ioclens/bin",
    pattern: "ip=%IP% md5=%MD5% sha1=%SHA1% sha256=%SHA256% url=%URL%",
    connections: ["127.0.0.1:9999"],
    connectionTimeoutSeconds: 15,
  };

  test("falls back to the defaults with a warning when the file is missing", async () => {
    expect(await loadScannerConfig("log_scanner.conf", "/opt/ioclens/bin", false, fakeIo({}))).toEqual({
      config: { source: "log_scanner.conf", ...DEFAULTS },
      warnings: ["log_scanner.conf: config file not found, using the built-in defaults"],
    });
  });

  test("uses the defaults silently when no path is given", async () => {
    const io = fakeIo({});
    expect([await loadScannerConfig(undefined, "/opt/ioclens/bin", false, io), io.reads]).toEqual([
      { config: { source: "<defaults>", ...DEFAULTS }, warnings: [] },
      [],
    ]);
  });

  test("fails with 'cannot read' when a required file is missing", async () => {
    const error = await rejection(loadScannerConfig("custom.conf", "/opt/ioclens/bin", true, fakeIo({})));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe("custom.conf: cannot read config file: ENOENT: no such file or directory, open 'custom.conf'");
  });

  test("fails with 'cannot read' on other read errors even when not required", async () => {
    const io: ConfigIo = { readFile: async () => Promise.reject(Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" })) };
    const error = await rejection(loadScannerConfig("log_scanner.conf", "/opt/ioclens/bin", false, io));
    expect(error.message).toBe("log_scanner.conf: cannot read config file: EACCES: permission denied");
  });

  test("reads a real file from disk", async () => {
    const { config, warnings } = await loadScannerConfig(fixturePath("seed_log_scanner.conf"), "/opt/ioclens/bin");
    expect([config.threadsCount, config.connections, warnings]).toEqual([8, ["127.0.0.1:9999"], []]);
  });
});
