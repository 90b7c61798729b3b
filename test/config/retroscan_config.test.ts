import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";

const parse = (retro: string) =>
  parseServiceConfig(`<Configuration><ServiceSettings>\n${retro}\n</ServiceSettings></Configuration>`, "kl_feed_service.conf", { baseDir: "/etc/ioclens" }).config.service.retroScan;

describe("ServiceSettings > RetroScan", () => {
  test("is absent unless configured", () => {
    expect(parse("")).toBeUndefined();
  });

  test("takes CyberTrace's defaults and ours when only enabled is given", () => {
    expect(parse(`<RetroScan enabled="true"/>`)).toEqual({
      enabled: true,
      database: "/etc/ioclens/retroscan.db",
      retentionDays: 30,
      maxBytes: 10_000 * 2 ** 20,
      excerptLength: 256,
      values: "all",
      batchLimit: 100_000,
      keyMemoryBytes: 2 ** 30,
    });
  });

  test("reads every attribute and RetroScanEventFormat; storage_max_size is megabytes unless it has a unit", () => {
    const xml = `<RetroScan enabled="true" database="/var/lib/ioclens/r.db" storage_event_ttl="7" storage_max_size="512" excerpt_length="0" values="marked" batch_limit="5000" key_memory="256M" restroscan_result_ttl="90" retroscan_interval="24">
<RetroScanEventFormat>retro %MatchedIndicator% at %EventReceivedDate%</RetroScanEventFormat></RetroScan>`;
    expect(parse(xml)).toEqual({
      enabled: true,
      database: "/var/lib/ioclens/r.db",
      retentionDays: 7,
      maxBytes: 512 * 2 ** 20,
      excerptLength: 0,
      values: "marked",
      batchLimit: 5000,
      keyMemoryBytes: 256 * 2 ** 20,
      eventFormat: "retro %MatchedIndicator% at %EventReceivedDate%",
    });
    expect(parse(`<RetroScan storage_max_size="64 KiB" database="r.db"/>`)).toMatchObject({ enabled: false, maxBytes: 65536, database: resolve("/etc/ioclens", "r.db") });
  });

  test("is read at the top level too, where CyberTrace 4.x keeps it; ServiceSettings' wins over it", () => {
    const cybertrace = `<Configuration>\n<RetroScan enabled="true" storage_max_size="10000" storage_event_ttl="30" restroscan_result_ttl="90" retroscan_interval="24"/>\n</Configuration>`;
    const top = parseServiceConfig(cybertrace, "kl_feed_service.conf", { baseDir: "/etc/ioclens" });
    expect({ settings: top.config.service.retroScan, warnings: top.warnings }).toEqual({
      settings: { enabled: true, database: "/etc/ioclens/retroscan.db", retentionDays: 30, maxBytes: 10_000 * 2 ** 20, excerptLength: 256, values: "all", batchLimit: 100_000, keyMemoryBytes: 2 ** 30 },
      warnings: [],
    });
    const both = parseServiceConfig(cybertrace.replace("</Configuration>", `<ServiceSettings><RetroScan enabled="false"/></ServiceSettings></Configuration>`), "kl_feed_service.conf");
    expect({ enabled: both.config.service.retroScan?.enabled, warnings: both.warnings }).toEqual({
      enabled: false,
      warnings: ["kl_feed_service.conf:2: Configuration > RetroScan ignored: Configuration > ServiceSettings > RetroScan is used"],
    });
  });

  test.each([
    [`<RetroScan storage_max_size="ten"/>`, `kl_feed_service.conf:2: Configuration > ServiceSettings > RetroScan attribute storage_max_size must be megabytes (a whole number) or a size with K, M or G from 64 KiB, got "ten"`],
    [`<RetroScan storage_event_ttl="0"/>`, "storage_event_ttl"],
    [`<RetroScan excerpt_length="-1"/>`, "excerpt_length"],
    [`<RetroScan values="some"/>`, `attribute values must be one of all, marked, got "some"`],
    [`<RetroScan database=""/>`, "attribute database must name a file: found an empty value"],
    [`<RetroScan key_memory="512K"/>`, `attribute key_memory must be a size with K, M or G from 1M to 1024G, got "512K"`],
    [`<RetroScan key_memory="lots"/>`, `attribute key_memory must be a size with K, M or G from 1M to 1024G, got "lots"`],
  ])("refuses %s", (xml, message) => {
    expect(() => parse(xml)).toThrow(message);
  });
});
