import { describe, expect, test } from "bun:test";
import { isLoopbackHost } from "../../src/config/is_loopback_host.ts";

describe("isLoopbackHost()", () => {
  test.each([
    ["localhost", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["0.0.0.0", false],
    ["192.0.2.1", false],
    ["127.example.com", false],
    ["[::ffff:127.0.0.1]", false],
    ["::", false],
  ])("%p is loopback: %p", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
