/**
 * What the user of issue 14 does: a config naming a catalogue feed, a TAXII collection and a MISP
 * warning list as an allow-list; `ioclens serve` fetches them at start and answers lookups from
 * them. The catalogue's URLs point at local servers (no test reaches the internet).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FEED_CATALOGUE } from "../../src/config/feed_catalogue.ts";
import { freePort, killChildren, pong, spawnIoclens, tempDir, waitFor } from "../_support/child_processes.ts";
import { fixturePath } from "../_support/feed_reading.ts";
import { servedWithEtag, startFeedServer } from "../_support/feed_server.ts";
import { replyBackLookup } from "../_support/ioclens_binary.ts";
import { startTaxiiServer } from "./_taxii_server.ts";

afterEach(killChildren);

describe("serve with catalogue and TAXII feeds", () => {
  test("fetches them at start, detects from both, and the MISP allow-list suppresses", async () => {
    await using dir = await tempDir("ioclens-serve-polled-");
    await using files = await startFeedServer();
    for (const name of ["feodo", "misp-rfc1918"] as const) {
      const filename = FEED_CATALOGUE[name].attributes.filename;
      files.route(`/${filename}`, servedWithEtag(readFileSync(fixturePath(`catalogue/${filename}`), "utf8"), '"v1"'));
    }
    await using taxii = await startTaxiiServer();
    taxii.authorization = "Bearer s3cret-token";
    taxii.collections.set("c2", {
      title: "C2",
      objects: [
        { added: "2026-12-03T10:00:00.000Z", object: { type: "indicator", spec_version: "2.1", id: "indicator--00000000-0000-4000-8000-000000000001", pattern: "[ipv4-addr:value = '203.0.113.77']", pattern_type: "stix", name: "C2 server" } },
        { added: "2026-12-03T10:00:01.000Z", object: { type: "indicator", spec_version: "2.1", id: "indicator--00000000-0000-4000-8000-000000000002", pattern: "[ipv4-addr:value = '10.9.9.9']", pattern_type: "stix" } },
      ],
    });
    const port = await freePort();
    const conf = join(dir.path, "kl_feed_service.conf");
    writeFileSync(conf, `<Configuration>
<InputSettings><ConnectionString>127.0.0.1:${port}</ConnectionString></InputSettings>
<OutputSettings><ConnectionString>127.0.0.1:9</ConnectionString><FinishedEventFormat enabled="true">%RecordContext%</FinishedEventFormat></OutputSettings>
<Feeds update_frequency="0">
  <Feed source="feodo" url="${files.url("/feodo.csv")}"/>
  <Feed source="misp-rfc1918" url="${files.url("/misp-rfc1918.json")}"/>
  <Feed url="${taxii.url}/api1/collections/c2/" format="taxii" filename="c2.json" category="TAXII_C2"><Header name="Authorization">Bearer s3cret-token</Header></Feed>
</Feeds>
<ServiceSettings><Bases>${dir.path}</Bases><StatusEndpoint enabled="false"/></ServiceSettings>
</Configuration>
`);
    const serve = spawnIoclens(["serve", "--no-watchdog", "-c", conf], { IOCLENS_LOG_FORMAT: "text" });
    await waitFor(() => pong(port), "the service to answer PING", 30_000);

    // The service listens at once and loads the first downloads when they are in.
    const loaded = (name: string) => new RegExp(`feed ${name.replace(".", "\\.")} loaded records=\\d+`).test(serve.stderr());
    await waitFor(() => ["feodo.csv", "misp-rfc1918.json", "c2.json"].every(loaded), "the three downloads to be loaded", 30_000);
    const feodo = await replyBackLookup(port, "ip=198.51.100.129");
    expect(feodo[0]).toMatch(/matchedIndicator=198\.51\.100\.129 category=FeodoTracker .*malware=Emotet/);
    const c2 = await replyBackLookup(port, "ip=203.0.113.77");
    expect(c2[0]).toMatch(/matchedIndicator=203\.0\.113\.77 category=TAXII_C2 .*name=C2 server/);
    // 10.9.9.9 is in the TAXII feed and in the rfc1918 allow-list: no detection, only the finished event.
    const allowed = await replyBackLookup(port, "ip=10.9.9.9");
    expect(allowed.filter((line) => line.includes("matchedIndicator="))).toEqual([]);
    expect(serve.stderr()).not.toContain("s3cret-token");
  });
});
