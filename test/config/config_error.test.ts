import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/config_error.ts";

describe("ConfigError", () => {
  test("prefixes the detail with FILE:LINE and keeps the parts", () => {
    const error = new ConfigError("log_scanner.conf", 7, 'Settings > ThreadsCount must be an integer from 1 to 64, got "eight"', {
      elementPath: "Settings > ThreadsCount",
    });
    expect(error).toBeInstanceOf(Error);
    expect({ ...error, message: error.message, name: error.name }).toEqual({
      name: "ConfigError",
      message: 'log_scanner.conf:7: Settings > ThreadsCount must be an integer from 1 to 64, got "eight"',
      file: "log_scanner.conf",
      line: 7,
      elementPath: "Settings > ThreadsCount",
      detail: 'Settings > ThreadsCount must be an integer from 1 to 64, got "eight"',
    });
  });

  test("leaves the line out when there is none", () => {
    expect(new ConfigError("/etc/x.conf", undefined, "cannot read config file: EISDIR").message).toBe("/etc/x.conf: cannot read config file: EISDIR");
  });
});
