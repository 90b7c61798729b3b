import { expect, test } from "bun:test";
import { EMBEDDED_FEEDS } from "../../src/config/embedded_defaults.ts";
import { startLookupService } from "../../src/service/lookup_service.ts";
import { converse, startCollector, testConfig } from "../_support/test_service.ts";
import { waitFor } from "../_support/child_processes.ts";

const QUEUE = 200;
const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => `event ${from + i} from 192.0.2.0`).join("\n") + "\n";
const eventNumbers = (received: readonly string[]) =>
  received.filter((l) => l.includes("category=KL_IP_Reputation")).map((l) => Number(/ n=(\d+) /.exec(l)?.[1] ?? -1));
const dropAlerts = (received: readonly string[]) => received.filter((l) => l.includes("alert=KL_ALERT_EventsDropped"));

test("the SIEM down under load: every event up to the queue bound arrives in order, the rest are counted and alerted once a minute", async () => {
  let collector = await startCollector();
  const port = collector.port;
  const config = testConfig((xml) =>
    xml
      .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`)
      .replace("<QueueSize>10000</QueueSize>", `<QueueSize>${QUEUE}</QueueSize>`)
      .replace("<EventSendingRetriesTimeout>10</EventSendingRetriesTimeout>", "<EventSendingRetriesTimeout>0</EventSendingRetriesTimeout>")
      // The event's number goes into its detection line, so the collector can tell which arrived.
      .replace('<Source id="default">', '<Source id="default"><RE_N type="CONTEXT">event (\\d+)</RE_N>')
      .replace("<EventFormat><![CDATA[%Date% ", "<EventFormat><![CDATA[%Date% n=%RE_N% "),
  );
  let clock = 1_700_000_000_000;
  const logs: string[] = [];
  const service = await startLookupService(config, {
    now: () => clock,
    log: (level, message) => logs.push(`${level} ${message}`),
    openFeed: async (_config, name) => EMBEDDED_FEEDS.get(name) ?? "",
  });
  try {
    await collector.until((l) => l.some((x) => x.includes("KL_ALERT_ServiceStarted")));

    // Down: 500 detections for a queue of 200.
    await collector.stop();
    await waitFor(() => service.status().output.connected === false, "the service to notice the SIEM is down");
    expect(await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", lines(0, 500)], 500).then((a) => a.length)).toBe(500);
    // Reported down once EventSendingRetriesCount reconnects failed (what /health degrades on).
    await waitFor(() => service.status().output.error !== undefined, "the service to report the SIEM down");
    expect(service.status().output).toEqual({
      target: `127.0.0.1:${port}`,
      queueDepth: QUEUE,
      queueLimit: QUEUE,
      dropped: 300,
      sent: expect.any(Number),
      connected: false,
      error: expect.stringContaining("ECONNREFUSED"),
    });
    expect(service.status().events.dropped).toBe(300);

    // Back up: the 200 queued arrive in order, then one alert counting the 300 dropped.
    collector = await startCollector(port);
    await collector.until((l) => dropAlerts(l).length === 1);
    expect(eventNumbers(collector.lines)).toEqual(Array.from({ length: QUEUE }, (_, i) => i));
    expect(dropAlerts(collector.lines)[0]).toMatch(/ count=300 total=300$/);
    expect(logs.filter((l) => l.includes("queue full"))).toContainEqual(expect.stringContaining("256 lines dropped so far"));

    // Down again within the minute: the next 50 drops wait for the minute to pass.
    await collector.stop();
    await waitFor(() => service.status().output.connected === false, "the service to notice the SIEM is down again");
    await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", lines(500, 250)], 250);
    expect(service.status().output.dropped).toBe(350);
    collector = await startCollector(port);
    await collector.until((l) => eventNumbers(l).length === QUEUE);
    clock += 60_000;
    await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", lines(10_000, 1)], 1);
    await collector.until((l) => dropAlerts(l).length === 1);
    const numbers = eventNumbers(collector.lines);
    expect(numbers).toEqual([...Array.from({ length: QUEUE }, (_, i) => 500 + i), 10_000]);
    // The alert comes after the event that followed the minute, not when the queue drained.
    const alertAt = collector.lines.findIndex((l) => l.includes("KL_ALERT_EventsDropped"));
    const lastEventAt = collector.lines.findIndex((l) => l.includes(" n=10000 "));
    expect({ after: alertAt > lastEventAt, alert: dropAlerts(collector.lines)[0]!.replace(/^.* alert=/, "alert=") }).toEqual({
      after: true,
      alert: "alert=KL_ALERT_EventsDropped count=50 total=350",
    });
  } finally {
    await service.close();
    await collector.stop();
  }
});

test("a queue of one line with the SIEM down from the start: the startup alerts overflow it, the service starts and counts them", async () => {
  const collector = await startCollector();
  const port = collector.port;
  await collector.stop();
  const config = testConfig((xml) =>
    xml
      .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${port}</ConnectionString>`)
      .replace("<QueueSize>10000</QueueSize>", "<QueueSize>1</QueueSize>"),
  );
  const service = await startLookupService(config, { now: Date.now, log: () => {}, openFeed: async (_config, name) => EMBEDDED_FEEDS.get(name) ?? "" });
  try {
    // 14 KL_ALERT_UpdatedFeed and KL_ALERT_ServiceStarted for a queue of one.
    expect(service.status().output).toMatchObject({ queueDepth: 1, dropped: 14 });
  } finally {
    await service.close();
  }
});
