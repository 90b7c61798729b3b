/**
 * What a SIEM listener receives from `ioclens serve` running a SIEM profile's config: a
 * forwarder (no preamble) sends requests, the service sends detections and service alerts to
 * OutputSettings > ConnectionString, here a line collector on a real socket.
 */
import { createConnection } from "node:net";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { type SiemName, siemConfigText } from "../../src/config/siem_profiles.ts";
import { startCollector, startTestService } from "./test_service.ts";

/** CyberTrace's verification values, one request line each. */
export const DEMO_REQUESTS = ["url=http://fakess123.nu", "ip=192.0.2.0"] as const;

/**
 * A request that hits {@link TRICKY_FEED}: its URL holds `=`, `|`, `\` and `&`.
 * Values like these break a format that does not escape them, so only the escaping profiles
 * (elastic, arcsight, qradar) get it.
 */
export const TRICKY_REQUEST = "url=http://tricky.example/a?x=1|2&y=C:\\temp\\a=b";

/** A Kaspersky-format feed whose record's values hold every character the formats escape. */
export const TRICKY_FEED = JSON.stringify([
  {
    id: 7,
    mask: "tricky.example/*",
    note: 'quote " backslash \\ equals = pipe | tab\tnewline\ncarriage\rend',
    category: "clash",
    threat: "Trojan|Win32\\Agent=x",
    geo: "ru, ua",
  },
]);

const TRICKY_FEED_XML =
  '<Feed filename="Tricky_URL_Feed.json" format="kaspersky" category="KL_Malicious_URL" confidence="90" indicator_lifetime="0"><Field name="mask" type="URL" category="KL_Malicious_URL"/></Feed>\n  </Feeds>';

/** What the listener got: detection lines (they name the request's indicator) and service alerts. */
export interface SiemOutput {
  readonly detections: string[];
  readonly alerts: string[];
}

/**
 * Runs profile `name` on port 0 with its detections aimed at a collector, sends `requests` over
 * one connection without a preamble, and waits until a detection for each and the
 * ServiceStarted alert have arrived. Each request must hit exactly one record.
 */
export async function siemOutput(name: SiemName, requests: readonly string[]): Promise<SiemOutput> {
  await using collector = await startCollector();
  const text = siemConfigText(name)
    .replace("<ConnectionString>127.0.0.1:9999</ConnectionString>", "<ConnectionString>127.0.0.1:0</ConnectionString>")
    .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>127.0.0.1:${collector.port}</ConnectionString>`)
    .replace("</Feeds>", TRICKY_FEED_XML);
  const { config, warnings } = parseServiceConfig(text, `<siem ${name}>`);
  if (warnings.length > 0) throw new Error(`profile ${name} loads with warnings: ${warnings.join("; ")}`);
  await using service = await startTestService(config, { extraFeeds: new Map([["Tricky_URL_Feed.json", TRICKY_FEED]]) });
  const socket = createConnection({ host: "127.0.0.1", port: service.port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.end(requests.map((r) => `${r}\n`).join(""));
  const markers = ["fakess123.nu", "192.0.2.0", "tricky.example"];
  const isDetection = (line: string) => markers.some((m) => line.includes(m));
  await collector.until((lines) => lines.filter(isDetection).length >= requests.length && lines.some((l) => l.includes("KL_ALERT_ServiceStarted")));
  socket.destroy();
  return { detections: collector.lines.filter(isDetection), alerts: collector.lines.filter((l) => l.includes("KL_ALERT_")) };
}
