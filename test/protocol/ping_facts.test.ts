import { describe, expect, test } from "bun:test";
import { formatPingFacts, isDemoFeed, nothingToFind, parsePingFacts, pingFacts, pongFor, type PingFacts } from "../../src/protocol/ping_facts.ts";
import { FACTS_PING, probeServiceLine, tcpProbeConnect } from "../../src/protocol/probe.ts";
import type { FeedStatus } from "../../src/service/service_status.ts";
import { startTestService } from "../_support/test_service.ts";

const feed = (name: string, records: number): FeedStatus => ({ name, records, skipped: 0, loadMs: 1 });

describe("pingFacts()", () => {
  test("counts feeds, indicators and the indicators of Demo_ feeds", () => {
    expect(pingFacts([feed("Demo_Malicious_URL_Data_Feed.json", 1), feed("demo/Demo_APT_IP_Data_Feed.json", 2), feed("ipsum.tsv", 120_430)])).toEqual({
      feeds: 3,
      indicators: 120_433,
      demoIndicators: 3,
    });
    expect([isDemoFeed("DEMO_x.json"), isDemoFeed("C:\\feeds\\Demo_y.json"), isDemoFeed("my_demo.json")]).toEqual([true, true, false]);
  });
});

describe("formatPingFacts() and parsePingFacts()", () => {
  test("round-trip; a plain PONG carries no facts", () => {
    const facts: PingFacts = { feeds: 14, indicators: 18, demoIndicators: 18 };
    expect(formatPingFacts(facts)).toBe("PONG feeds=14 indicators=18 demo_indicators=18");
    expect(parsePingFacts(formatPingFacts(facts))).toEqual(facts);
    expect([parsePingFacts("PONG"), parsePingFacts("PONG feeds=x")]).toEqual([undefined, undefined]);
    const withOutput: PingFacts = { ...facts, output: { target: "/run/siem socket", up: "no" } };
    expect(formatPingFacts(withOutput)).toBe("PONG feeds=14 indicators=18 demo_indicators=18 output_up=no output=/run/siem socket");
    expect(parsePingFacts(formatPingFacts(withOutput))).toEqual(withOutput);
  });
});

describe("pongFor()", () => {
  test("gives the facts line only to a PING that asked for it, from a service that has one", () => {
    const facts = () => "PONG feeds=1 indicators=2 demo_indicators=0";
    expect([pongFor(true, facts), pongFor(false, facts), pongFor(true, undefined), pongFor(false, undefined)]).toEqual([facts(), "PONG", "PONG", "PONG"]);
  });
});

describe("nothingToFind()", () => {
  test.each<[PingFacts, string | undefined]>([
    [{ feeds: 0, indicators: 0, demoIndicators: 0 }, "no feeds are configured, so nothing can be detected"],
    [{ feeds: 1, indicators: 0, demoIndicators: 0 }, "the one feed holds no indicators, so nothing can be detected"],
    [{ feeds: 3, indicators: 0, demoIndicators: 0 }, "its 3 feeds hold no indicators, so nothing can be detected"],
    [{ feeds: 14, indicators: 18, demoIndicators: 18 }, "only demo feeds are loaded (18 test records such as http://fakess123.nu), so real logs give no detections"],
    [{ feeds: 15, indicators: 120_448, demoIndicators: 18 }, undefined],
  ])("%j → %p", (facts, reason) => {
    expect(nothingToFind(facts)).toBe(reason);
  });
});

describe("the facts PING on the wire", () => {
  test("X-KF-SendFinishedEvent with PING gets the service's pongLine; the plain PING keeps a plain PONG", async () => {
    await using service = await startTestService(undefined, { pongLine: () => "PONG feeds=1 indicators=2 demo_indicators=0" });
    const connect = tcpProbeConnect({ host: "127.0.0.1", port: service.port });
    expect(await probeServiceLine(connect, 5000, undefined, FACTS_PING)).toEqual({ ok: true, line: "PONG feeds=1 indicators=2 demo_indicators=0" });
    expect(await probeServiceLine(connect, 5000)).toEqual({ ok: true, line: "PONG" });
  });

  test("a service without pongLine (like CyberTrace) answers the facts PING with a plain PONG", async () => {
    await using service = await startTestService();
    expect(await probeServiceLine(tcpProbeConnect({ host: "127.0.0.1", port: service.port }), 5000, undefined, FACTS_PING)).toEqual({ ok: true, line: "PONG" });
  });
});
