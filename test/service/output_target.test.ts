import { describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { checkOutputTarget, describeOutputTarget, outputTargetUp, type OutputTargetCheck } from "../../src/service/output_target.ts";

async function listener() {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { port, [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("checkOutputTarget()", () => {
  test("a TCP target that accepts is listening; one that refuses is not, with the reason", async () => {
    let port: number;
    {
      await using up = await listener();
      port = up.port;
      expect(await checkOutputTarget({ kind: "tcp", host: "127.0.0.1", port }, 2000)).toEqual({ target: `127.0.0.1:${port}`, listening: true });
    }
    expect(await checkOutputTarget({ kind: "tcp", host: "127.0.0.1", port }, 2000)).toEqual({ target: `127.0.0.1:${port}`, listening: false, reason: `connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  test("UDP cannot be checked; a file target needs no listener", async () => {
    expect(await checkOutputTarget({ kind: "udp", host: "127.0.0.1", port: 514 }, 2000)).toEqual({ target: "udp://127.0.0.1:514", listening: undefined });
    expect(await checkOutputTarget({ kind: "file", path: "/var/log/det.log" }, 2000)).toEqual({ target: "file:/var/log/det.log", listening: true });
  });
});

describe("describeOutputTarget()", () => {
  const down: OutputTargetCheck = { target: "127.0.0.1:9998", listening: false, reason: "connect ECONNREFUSED 127.0.0.1:9998" };
  test.each<[OutputTargetCheck, boolean, { level: "info" | "warn"; message: string }]>([
    [{ target: "10.0.0.5:514", listening: true }, false, { level: "info", message: "detections of connections without ReplyBack go to 10.0.0.5:514 (OutputSettings > ConnectionString)" }],
    [{ target: "udp://10.0.0.5:514", listening: undefined }, true, { level: "info", message: "detections of connections without ReplyBack, and service alerts, go to udp://10.0.0.5:514 (OutputSettings > ConnectionString); UDP, so whether anything listens cannot be checked" }],
    [down, true, {
      level: "warn",
      message: "detections of connections without ReplyBack, and service alerts, go to 127.0.0.1:9998 (OutputSettings > ConnectionString), but nothing listens there (connect ECONNREFUSED 127.0.0.1:9998): they wait in a queue of up to 10000 lines and are dropped at stop (ReplyBack clients such as scan -r are not affected)",
    }],
  ])("%j", (check, alertsToo, expected) => {
    expect(describeOutputTarget(check, alertsToo, 10000)).toEqual(expected);
  });
});

describe("outputTargetUp()", () => {
  const up: OutputTargetCheck = { target: "t", listening: true };
  const down: OutputTargetCheck = { target: "t", listening: false, reason: "refused" };
  test.each<[OutputTargetCheck, { connected?: boolean; queueDepth: number }, "yes" | "no" | "unknown"]>([
    [down, { connected: true, queueDepth: 0 }, "yes"],
    [up, { connected: false, queueDepth: 3 }, "no"],
    [up, { connected: false, queueDepth: 0 }, "yes"],
    [down, { connected: false, queueDepth: 0 }, "no"],
    [{ target: "udp://t:1", listening: undefined }, { connected: true, queueDepth: 0 }, "unknown"],
  ])("start check %j, output %j → %s", (check, output, expected) => {
    expect(outputTargetUp(check, output)).toBe(expected);
  });
});
