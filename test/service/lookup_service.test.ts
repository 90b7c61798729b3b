import { describe, expect, test } from "bun:test";
import { configText, converse, startCollector, startTestService, testConfig } from "../_support/test_service.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";

const FLAGS = "X-KF-SendFinishedEventX-KF-ReplyBack";
const DEMO_LINE = "ip=192.0.2.0 url=http://fakess123.nu md5=C912705B4BBB14EC7E78FA8B370532C9";

/** Waits for a condition the service reaches on its own (a connection noticed closed, …). */
async function waitFor(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("lookup service: wire protocol", () => {
  test("a preamble split over two writes gets each line's detections, then its LookupFinished, in order", async () => {
    await using service = await startTestService();
    const lines = await converse(service.port, ["X-KF-SendFinished", `EventX-KF-ReplyBack${DEMO_LINE}\nnothing here\nhttp://fakess123ap.nu\n`], 3);
    const shape = lines.map((l) => (l.includes("LookupFinished") ? `finished ${/sent_events=(\d+)/.exec(l)?.[1]}` : /category=(\S+)/.exec(l)?.[1]));
    expect(shape).toEqual(["KL_Malicious_URL", "KL_IP_Reputation", "KL_Malicious_Hash_MD5", "finished 3", "finished 0", "KL_Phishing_URL", "finished 1"]);
    expect(lines[3]).toContain("total=KL_Malicious_URL:1;KL_IP_Reputation:1;KL_Malicious_Hash_MD5:1;");
  });

  test("PING gets PONG, with or without a newline after it", async () => {
    await using service = await startTestService();
    expect(await converse(service.port, ["X-KF-ReplyBackPING"], 1)).toEqual(["PONG"]);
    expect(await converse(service.port, ["X-KF-Reply", "BackPING\n"], 1)).toEqual(["PONG"]);
  });

  test("a 100 KiB line without a newline is cut, answered once, and the service keeps serving", async () => {
    await using service = await startTestService();
    const huge = "x".repeat(100 * 1024) + " url=http://fakess123.nu";
    const lines = await converse(service.port, [FLAGS, huge, "\n"], 1);
    expect(lines.filter((l) => l.includes("LookupFinished"))).toHaveLength(1);
    expect(service.status().events.cut).toBe(1);
    expect(service.status().events.total).toBe(2);
    const again = await converse(service.port, [FLAGS + DEMO_LINE + "\n"], 1);
    expect(again.at(-1)).toContain("sent_events=3");
  });

  test("a client that closes without a newline still has its last line processed", async () => {
    await using service = await startTestService();
    const lines = await converse(service.port, [FLAGS + "url=http://fakess123.nu"], 0);
    expect(lines).toEqual([]);
    await waitFor(() => service.status().events.total === 1, "the last line to be processed");
  });

  test("20 concurrent clients with ScannersCount 9 all complete", async () => {
    const config = testConfig((xml) => xml.replace("<ScannersCount>9</ScannersCount>", "<ScannersCount>9</ScannersCount>"));
    await using service = await startTestService(config);
    const clients = Array.from({ length: 20 }, (_, i) =>
      converse(service.port, [FLAGS, Array.from({ length: 50 }, (_, j) => `client ${i} line ${j} ip=192.0.2.${j % 2}`).join("\n") + "\n"], 50),
    );
    const results = await Promise.all(clients);
    for (const lines of results) {
      expect(lines.filter((l) => l.includes("LookupFinished"))).toHaveLength(50);
      expect(lines.filter((l) => l.includes("category=KL_IP_Reputation"))).toHaveLength(50);
    }
    expect(service.status().connections.limit).toBe(8);
  });
});

describe("lookup service: ServiceSettings > ProxyProtocol on real sockets", () => {
  const proxied = () =>
    testConfig((xml) =>
      xml
        .replace("</ServiceSettings>", "<ProxyProtocol>true</ProxyProtocol></ServiceSettings>")
        .replace("<![CDATA[%Date% eventName=", "<![CDATA[%Date% source=%SourceId% eventName=")
        .replace("</RegExps>", '<Source id="edge" ip="198.51.100.7"><RE_IP type="IP" extract="all">ip=(\\S+)</RE_IP></Source></RegExps>'),
    );

  test("the client of a v1 header split over three writes chooses the Source; a PING behind PROXY UNKNOWN gets PONG", async () => {
    await using service = await startTestService(proxied());
    const lines = await converse(service.port, ["PROXY TCP4 198.51.10", `0.7 127.0.0.1 40000 ${service.port}\r`, `\n${FLAGS}ip=192.0.2.0\n`], 1);
    const pong = await converse(service.port, ["PROXY UNKNOWN\r\nX-KF-ReplyBackPING"], 1);
    expect({ sources: lines.filter((l) => l.includes("eventName=")).map((l) => /source=(\S+)/.exec(l)?.[1]), pong, refused: service.status().connections.proxyRefused }).toEqual({
      sources: ["edge"],
      pong: ["PONG"],
      refused: 0,
    });
  });

  test("a connection without the header is closed unanswered, counted and logged", async () => {
    await using service = await startTestService(proxied());
    const lines = await converse(service.port, [`${FLAGS}ip=192.0.2.0\n`], 1);
    expect({ lines, refused: service.status().connections.proxyRefused, logged: service.logs.filter((l) => l.includes("no PROXY protocol header")).length }).toEqual({ lines: [], refused: 1, logged: 1 });
  });
});

describe("lookup service: output target", () => {
  test("without ReplyBack, detections go to the target; while it is down they queue up to the bound and the rest are counted as dropped", async () => {
    const first = await startCollector();
    const port = first.port;
    const config = testConfig((xml) =>
      xml
        .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`)
        .replace("<QueueSize>10000</QueueSize>", "<QueueSize>100</QueueSize>")
        .replace("<EventSendingRetriesTimeout>10</EventSendingRetriesTimeout>", "<EventSendingRetriesTimeout>0</EventSendingRetriesTimeout>"),
    );
    await using service = await startTestService(config);
    await first.until((lines) => lines.some((l) => l.includes("KL_ALERT_ServiceStarted")));
    await first.stop();
    await waitFor(() => service.status().output.connected === false, "the service to notice the target went away");

    const events = Array.from({ length: 150 }, (_, i) => `event ${i} from 192.0.2.0`).join("\n") + "\n";
    const answers = await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", events], 150);
    expect(answers.filter((l) => l.includes("LookupFinished"))).toHaveLength(150);
    expect(answers.filter((l) => l.includes("category="))).toEqual([]);
    expect(service.status().output.queueDepth).toBe(100);
    expect(service.status().output.dropped).toBe(50);

    await using second = await startCollector(port);
    await second.until((lines) => lines.filter((l) => l.includes("category=KL_IP_Reputation")).length >= 100);
    await waitFor(() => service.status().output.queueDepth === 0, "the queue to drain");
    expect(second.lines.filter((l) => l.includes("category=KL_IP_Reputation"))).toHaveLength(100);
    expect(service.status().output).toEqual({ target: `127.0.0.1:${port}`, queueDepth: 0, queueLimit: 100, dropped: 50, sent: expect.any(Number), connected: true });
  });
});

describe("lookup service: reload", () => {
  test("a reload with a corrupt feed keeps the old feeds answering and emits FailedToUpdateFeed", async () => {
    const collector = await startCollector();
    const withFeed = (feedText: string) => configText((xml) =>
      xml
        .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${collector.port}</ConnectionString>`)
        .replace("</Feeds>", `<Feed filename="local.txt" format="lines" category="Local_Bad"><Field name="1" type="AUTO" category="Local_Bad"/></Feed></Feeds>`),
    );
    const feeds = new Map([["local.txt", "bad.example\n"]]);
    let nextConfig = parseServiceConfig(withFeed(""), "<test>").config;
    await using service = await startTestService(nextConfig, { extraFeeds: feeds, reloadConfig: async () => nextConfig });
    const before = await converse(service.port, [FLAGS + "GET http://bad.example/x\n"], 1);
    expect(before.some((l) => l.includes("category=Local_Bad"))).toBe(true);

    feeds.delete("local.txt"); // the feed file is gone: the reload must fail
    const result = await service.reload();
    expect(result.ok).toBe(false);
    await collector.until((lines) => lines.some((l) => l.includes("KL_ALERT_FailedToUpdateFeed") && l.includes("local.txt")));
    const after = await converse(service.port, [FLAGS + "GET http://bad.example/x\n"], 1);
    expect(after.some((l) => l.includes("category=Local_Bad"))).toBe(true);

    feeds.set("local.txt", "other.example\n");
    nextConfig = parseServiceConfig(withFeed(""), "<test>").config;
    expect((await service.reload()).ok).toBe(true);
    const swapped = await converse(service.port, [FLAGS + "GET http://bad.example/x other.example\n"], 1);
    expect(swapped.filter((l) => l.includes("category=Local_Bad")).map((l) => /matchedIndicator=(\S+)/.exec(l)?.[1])).toEqual(["other.example"]);
    await collector.stop();
  });
});

describe("lookup service: REST lookup", () => {
  test("answers CyberTrace's shape for a hit and a miss", async () => {
    await using service = await startTestService();
    expect(await service.lookup(["http://fakess123.nu", "198.51.100.250"])).toEqual([
      {
        object: "http://fakess123.nu",
        result: "detected",
        categories: [{ category: "KL_Malicious_URL", detected_indicator: "fakess123.nu", context: expect.objectContaining({ popularity: "5" }) }],
      },
      { object: "198.51.100.250", result: "not detected", categories: [] },
    ]);
  });
});

describe("lookup service: outdated feeds", () => {
  test("a feed not updated within its outdated_alert_period is alerted once", async () => {
    const collector = await startCollector();
    let now = Date.parse("2026-11-28T00:00:00Z");
    const config = testConfig((xml) =>
      xml
        .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${collector.port}</ConnectionString>`)
        .replace('<Feed filename="Demo_IP_Reputation_Data_Feed.json" format="kaspersky"', '<Feed filename="Demo_IP_Reputation_Data_Feed.json" outdated_alert_period="2" format="kaspersky"'),
    );
    const { startLookupService } = await import("../../src/service/lookup_service.ts");
    const { EMBEDDED_FEEDS } = await import("../../src/config/embedded_defaults.ts");
    const service = await startLookupService(config, { now: () => now, log: () => {}, openFeed: async (_c, name) => EMBEDDED_FEEDS.get(name)! });
    try {
      now += 1 * 3_600_000;
      expect(await service.checkOutdatedFeeds()).toEqual([]);
      now += 2 * 3_600_000;
      expect(await service.checkOutdatedFeeds()).toEqual(["Demo_IP_Reputation_Data_Feed.json"]);
      expect(await service.checkOutdatedFeeds()).toEqual([]);
      await collector.until((lines) => lines.some((l) => l.includes("alert=KL_ALERT_OutdatedFeed feed=Demo_IP_Reputation_Data_Feed.json")));
    } finally {
      await service.close();
      await collector.stop();
    }
  });
});

describe("lookup service: UDP and file targets", () => {
  test("udp://host:port sends one datagram per detection", async () => {
    const { createSocket } = await import("node:dgram");
    const udp = createSocket("udp4");
    const received: string[] = [];
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    udp.on("message", (message) => received.push(message.toString()));
    const port = (udp.address() as { port: number }).port;
    try {
      const config = testConfig((xml) => xml.replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>udp://127.0.0.1:${port}</ConnectionString>`));
      await using service = await startTestService(config);
      await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", "a 192.0.2.0\nb 192.0.2.1\n"], 2);
      await waitFor(() => received.filter((m) => m.includes("category=KL_IP_Reputation")).length === 2, "two datagrams");
      expect(received.filter((m) => m.includes("category=")).map((m) => /matchedIndicator=(\S+)/.exec(m)?.[1])).toEqual(["192.0.2.0", "192.0.2.1"]);
      expect(received.every((m) => m.endsWith("\n"))).toBe(true);
    } finally {
      udp.close();
    }
  });

  test("file:PATH appends one line per detection", async () => {
    const { mkdtemp, readFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "ioclens-out-"));
    const path = join(dir, "out", "detections.log");
    try {
      const config = testConfig((xml) => xml.replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>file:${path}</ConnectionString>`));
      await using service = await startTestService(config);
      await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", "a 192.0.2.0\n"], 1);
      await waitFor(() => service.status().output.queueDepth === 0 && service.status().output.sent >= 2, "the file to be written");
      const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
      expect(lines.filter((l) => l.includes("category=")).map((l) => /matchedIndicator=(\S+)/.exec(l)?.[1])).toEqual(["192.0.2.0"]);
      expect(lines.some((l) => l.includes("alert=KL_ALERT_ServiceStarted"))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("lookup service: routing (docs/protocol.md §2)", () => {
  const toCollector = (port: number) => testConfig((xml) => xml.replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`));
  /** Detections as their matched indicator, finished events as "finished N"; alerts left out. */
  const shapeOf = (lines: readonly string[]) =>
    lines.filter((l) => !l.includes("alert=KL_ALERT")).map((l) => (l.includes("LookupFinished") ? `finished ${/sent_events=(\d+)/.exec(l)?.[1]}` : /matchedIndicator=(\S+)/.exec(l)?.[1]));
  const INPUT = "a 192.0.2.0\nnothing here\nb http://fakess123.nu\n";

  /** Sends `text`, half-closes, and counts the bytes that come back until the service closes. */
  async function sendAndCount(port: number, text: string): Promise<number> {
    const { createConnection } = await import("node:net");
    const socket = createConnection({ host: "127.0.0.1", port });
    let received = 0;
    socket.on("data", (chunk: Buffer) => (received += chunk.length));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.end(text);
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    return received;
  }

  test.each([
    ["no preamble (rsyslog, syslog-ng, Splunk tcpout)", ""],
    ["X-KF-SendFinishedEvent alone (a MaxPatrol-style forwarder)", "X-KF-SendFinishedEvent"],
  ])("%s: nothing comes back; detections and finished events reach the output, in order", async (_name, preamble) => {
    await using collector = await startCollector();
    await using service = await startTestService(toCollector(collector.port));
    expect(await sendAndCount(service.port, preamble + INPUT)).toBe(0);
    await collector.until((lines) => shapeOf(lines).filter((s) => s?.startsWith("finished")).length === 3);
    expect(shapeOf(collector.lines)).toEqual(["192.0.2.0", "finished 1", "finished 0", "fakess123.nu", "finished 1"]);
  });

  test("ours, X-IOCLENS-FinishedBack: finished events come back, detections go to the output", async () => {
    await using collector = await startCollector();
    await using service = await startTestService(toCollector(collector.port));
    const answers = await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", INPUT], 3);
    expect(shapeOf(answers)).toEqual(["finished 1", "finished 0", "finished 1"]);
    await collector.until((lines) => shapeOf(lines).length === 2);
    expect(shapeOf(collector.lines)).toEqual(["192.0.2.0", "fakess123.nu"]);
  });

  test("ReplyBack: detections and finished events come back and nothing reaches the output", async () => {
    await using collector = await startCollector();
    await using service = await startTestService(toCollector(collector.port));
    const answers = await converse(service.port, [FLAGS, INPUT], 3);
    expect(shapeOf(answers)).toEqual(["192.0.2.0", "finished 1", "finished 0", "fakess123.nu", "finished 1"]);
    await service.close();
    await collector.until((lines) => lines.some((l) => l.includes("KL_ALERT_ServiceStopped")));
    expect(shapeOf(collector.lines)).toEqual([]);
  });

  test("an event whose URL and IP hit the same feed entry gives one detection, not two", async () => {
    const feeds = new Map([["hosts.txt", "198.51.100.9\n"]]);
    const config = testConfig((xml) =>
      xml.replace("</Feeds>", `<Feed filename="hosts.txt" format="lines" category="TEST_HOST" indicator_lifetime="0"/></Feeds>`),
    );
    await using service = await startTestService(config, { extraFeeds: feeds });
    const answers = await converse(service.port, [FLAGS, "GET http://198.51.100.9/x.php from 198.51.100.9\n"], 1);
    expect(shapeOf(answers)).toEqual(["198.51.100.9", "finished 1"]);
  });
});
