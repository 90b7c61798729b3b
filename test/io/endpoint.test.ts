import { describe, expect, test } from "bun:test";
import { EndpointError, endpointProblem, formatEndpoint, parseEndpoint, type EndpointForm } from "../../src/io/endpoint.ts";

describe("parseEndpoint", () => {
  test.each([
    ["127.0.0.1:9999", { kind: "tcp", host: "127.0.0.1", port: 9999 }],
    ["localhost:0", { kind: "tcp", host: "localhost", port: 0 }],
    ["[::1]:514", { kind: "tcp", host: "::1", port: 514 }],
    ["tcp://siem.example:514", { kind: "tcp", host: "siem.example", port: 514 }],
    ["udp://[::1]:514", { kind: "udp", host: "::1", port: 514 }],
    ["/run/ioclens.sock", { kind: "unix", path: "/run/ioclens.sock" }],
    ["./ioclens.sock", { kind: "unix", path: "./ioclens.sock" }],
    ["unix:ioclens.sock", { kind: "unix", path: "ioclens.sock" }],
    ["\\\\.\\pipe\\ioclens", { kind: "pipe", path: "\\\\.\\pipe\\ioclens" }],
    ["//./pipe/ioclens", { kind: "pipe", path: "//./pipe/ioclens" }],
    ["file:/var/log/detections.log", { kind: "file", path: "/var/log/detections.log" }],
    ["file:///var/log/detections.log", { kind: "file", path: "/var/log/detections.log" }],
    ["  127.0.0.1:1  ", { kind: "tcp", host: "127.0.0.1", port: 1 }],
  ])("%p", (text, endpoint) => {
    expect(parseEndpoint(text)).toEqual(endpoint as never);
  });

  test.each([
    ["file://", 'invalid address: "file://" names no file'],
    ["file:", 'invalid address: "file:" names no file'],
    ["unix:", 'invalid address: "unix:" names no socket'],
    ["\\\\.\\pipe\\", 'invalid address: "\\\\.\\pipe\\" names no pipe'],
    ["siem", 'invalid address: "siem", expected host:port'],
    ["my host:514", 'invalid address: "my host:514", expected host:port'],
    ["::1:514", 'invalid address: "::1:514", write IPv6 as [ipv6]:port'],
    ["[::1]514", 'invalid address: "[::1]514", expected [ipv6]:port'],
    ["[fe80::1%eth0]:514", 'invalid address: "[fe80::1%eth0]:514", expected [ipv6]:port'],
    ["127.0.0.1:70000", 'invalid port in "127.0.0.1:70000": got "70000", expected 0 to 65535'],
    ["tcp://siem", 'invalid address: "tcp://siem", expected host:port'],
  ])("%p is refused", (text, message) => {
    expect(() => parseEndpoint(text)).toThrow(new EndpointError(message));
  });
});

describe("endpointProblem", () => {
  test.each<[string, EndpointForm, string | undefined]>([
    ["127.0.0.1:9999", "hostPort", undefined],
    ["127.0.0.1:70000", "hostPort", "a port from 0 to 65535"],
    ["/run/ioclens.sock", "hostPort", "host:port or [IPv6]:port"],
    ["tcp://127.0.0.1:1", "hostPort", "host:port or [IPv6]:port"],
    ["/run/ioclens.sock", "listen", undefined],
    ["\\\\.\\pipe\\ioclens", "listen", undefined],
    ["udp://127.0.0.1:1", "listen", "host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name"],
    ["file:/tmp/x", "listen", "host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name"],
    ["unix:", "listen", "host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name"],
    ["udp://127.0.0.1:514", "target", undefined],
    ["file:/tmp/x", "target", undefined],
    ["tcp://siem", "target", "tcp://host:port"],
    ["udp://siem:99999", "target", "udp://host:port"],
    ["file://", "target", "host:port, [IPv6]:port, tcp://host:port, udp://host:port, file:PATH, a Unix socket path or \\\\.\\pipe\\name"],
  ])("%p as %p", (value, form, problem) => {
    expect(endpointProblem(value, form)).toBe(problem);
  });

  test("every address a form accepts parses, to a kind that form allows", () => {
    const samples = ["127.0.0.1:1", "[::1]:2", "h:3", "tcp://h:4", "udp://h:5", "/s", "./s", "../s", "unix:s", "\\\\.\\pipe\\p", "//./pipe/p", "file:f", "file:///f"];
    for (const form of ["hostPort", "listen", "target"] as const) {
      for (const value of samples.filter((sample) => endpointProblem(sample, form) === undefined)) {
        expect(() => parseEndpoint(value)).not.toThrow();
      }
    }
  });
});

test("formatEndpoint writes IPv6 in brackets and keeps the scheme of UDP", () => {
  expect(formatEndpoint(parseEndpoint("udp://[::1]:514"))).toBe("udp://[::1]:514");
  expect(formatEndpoint(parseEndpoint("tcp://127.0.0.1:9"))).toBe("127.0.0.1:9");
  expect(formatEndpoint(parseEndpoint("file:///x"))).toBe("file:/x");
});
