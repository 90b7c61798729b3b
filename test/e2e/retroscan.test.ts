/**
 * RetroScan through the built binary (issue 15): an event names a host no feed knows; the host
 * is added to a feed and the feeds reloaded (SIGHUP); the retro detection reaches the SIEM
 * listener once, with the original event's time. The same with a restart between the event
 * and the feed change.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSyslogDate } from "../../src/events/format_syslog_date.ts";
import { ensureBinary, getJson, replyBackLookup, serviceConfigText, startCollector, startServe, type LineCollector } from "../_support/ioclens_binary.ts";
import { waitFor } from "../_support/child_processes.ts";

const root = mkdtempSync(join(tmpdir(), "ioclens-e2e-retro-"));

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface RetroStatus {
  retroScan?: { state: string; runs: number; hits: number; stored: { rows: number } };
}

/** A service folder: one local feed, RetroScan on, detections and alerts to `siem`. */
async function retroServiceDir(siem: LineCollector): Promise<{ dir: string; feed: string; ports: { input: number; status: number } }> {
  const dir = mkdtempSync(join(root, "svc-"));
  const bases = join(dir, "bases");
  mkdirSync(bases);
  const feed = join(bases, "local.txt");
  writeFileSync(feed, "known-before.example\n");
  const { text, ports } = await serviceConfigText(`127.0.0.1:${siem.port}`, (xml) =>
    xml
      .replace(/<Feeds [^>]*>[\s\S]*<\/Feeds>/, `<Feeds update_frequency="0"><Feed filename="local.txt" format="lines" category="Local_Bad"/></Feeds>`)
      .replace("<Bases>&lt;embedded&gt;</Bases>", `<Bases>${bases}</Bases>`)
      .replace("</ServiceSettings>", `<RetroScan enabled="true" database="retroscan.db"/></ServiceSettings>`),
  );
  writeFileSync(join(dir, "kl_feed_service.conf"), text);
  return { dir, feed, ports };
}

async function retroStatus(port: number): Promise<NonNullable<RetroStatus["retroScan"]>> {
  const status = (await getJson(port, "/status")).body as RetroStatus;
  if (status.retroScan === undefined) throw new Error(`/status has no retroScan: ${JSON.stringify(status)}`);
  return status.retroScan;
}

/** Sends `line` with ReplyBack; the syslog dates the service may have stamped it with. */
async function sendEvent(port: number, line: string): Promise<string[]> {
  const before = Date.now();
  const answer = await replyBackLookup(port, line);
  expect(answer.filter((l) => !l.includes("LookupFinished"))).toEqual([]);
  return [formatSyslogDate(before), formatSyslogDate(Date.now())];
}

const retroLines = (siem: LineCollector, host: string) => siem.lines.filter((l) => l.includes("retroscan=true") && l.includes(host));

describe("ioclens serve with RetroScan", () => {
  test("a host added to a feed after it was seen is reported once, with the event's time", async () => {
    await using siem = await startCollector();
    const { dir, feed, ports } = await retroServiceDir(siem);
    await using serve = startServe(["-c", "kl_feed_service.conf"], dir);
    await serve.waitReady(ports.input);
    const times = await sendEvent(ports.input, "src=10.2.3.4 dst=c2.e2e.example action=allowed");
    appendFileSync(feed, "e2e.example\n");
    process.kill(serve.pid, "SIGHUP");
    const line = await siem.waitForLine(/retroscan=true/);
    expect(line).toContain("matchedIndicator=e2e.example category=Local_Bad");
    expect(line).toContain("domain=c2.e2e.example");
    expect(times.map((t) => ` retroscan=true event_time=${t}`)).toContainEqual(line.slice(line.indexOf(" retroscan=true")));
    // Another reload finds nothing new: the detection is not repeated.
    const runs = (await retroStatus(ports.status)).runs;
    process.kill(serve.pid, "SIGHUP");
    await waitFor(async () => (await retroStatus(ports.status)).runs > runs, "the retro run of the second reload");
    expect(retroLines(siem, "c2.e2e.example")).toHaveLength(1);
  });

  test("the values survive a restart: the host added afterwards is reported once", async () => {
    await using siem = await startCollector();
    const { dir, feed, ports } = await retroServiceDir(siem);
    let times: string[];
    {
      await using first = startServe(["-c", "kl_feed_service.conf"], dir);
      await first.waitReady(ports.input);
      times = await sendEvent(ports.input, "GET http://cdn.restart-e2e.example/payload.bin from 10.9.8.7");
    }
    await using second = startServe(["-c", "kl_feed_service.conf"], dir);
    await second.waitReady(ports.input);
    appendFileSync(feed, "restart-e2e.example\n");
    process.kill(second.pid, "SIGHUP");
    const line = await siem.waitForLine(/retroscan=true/);
    expect(line).toContain("matchedIndicator=restart-e2e.example");
    expect(times.map((t) => ` retroscan=true event_time=${t}`)).toContainEqual(line.slice(line.indexOf(" retroscan=true")));
    const runs = (await retroStatus(ports.status)).runs;
    process.kill(second.pid, "SIGHUP");
    await waitFor(async () => (await retroStatus(ports.status)).runs > runs, "the retro run of the second reload");
    // One detection: RE_DOMAIN does not take the host inside a URL, so one value was stored.
    expect(retroLines(siem, "restart-e2e.example")).toHaveLength(1);
    expect(await retroStatus(ports.status)).toMatchObject({ state: "on", hits: 1 });
  });
});
