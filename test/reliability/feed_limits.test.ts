/**
 * Feed files that would take all the memory (issue 12 #9): a gzip bomb, a file over its size
 * limit, a line or a JSON record without end. Each fails with one line naming the feed and the
 * limit, having read little more than the limit; the feeds' other entries stay loaded.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ConfigError } from "../../src/config/config_error.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { DEFAULT_FEED_LIMITS, type FeedConfig, type FeedLimits } from "../../src/config/types.ts";
import type { FeedInput } from "../../src/feeds/feed_reader.ts";
import { loadFeeds, type FeedLoadReport } from "../../src/feeds/load_feeds.ts";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import { chunked, feedConfig } from "../_support/feed_reading.ts";
import { killChildren, pong, spawnIoclens, waitFor } from "../_support/child_processes.ts";
import { writeServiceConfig } from "./_service_config.ts";

const MiB = 2 ** 20;
const LIMITS: FeedLimits = { maxFileBytes: 64 * MiB, maxDecompressedBytes: MiB, maxRecordLength: 64 * 1024 };

afterEach(killChildren);

/** A source that counts the chunks it was asked for: a bounded read stops asking early. */
function source(chunks: number, chunk: (i: number) => Uint8Array): { input: FeedInput; pulled(): number } {
  let pulled = 0;
  async function* generate(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < chunks; i++) {
      pulled++;
      yield chunk(i);
    }
  }
  return { input: generate(), pulled: () => pulled };
}

/**
 * A gzip bomb made in memory: `members` gzip members of 1 MiB of LF each (1 KiB compressed),
 * which gunzip reads as one stream of `members` MiB of empty lines.
 */
function bomb(members: number): { input: FeedInput; pulled(): number } {
  const member = gzipSync(new Uint8Array(MiB).fill(0x0a), { level: 9 });
  return source(members, () => member);
}

async function load(config: FeedConfig, input: FeedInput): Promise<FeedLoadReport> {
  const index = new IndicatorIndex();
  const [report] = await loadFeeds({ updateFrequencyMinutes: 0, feeds: [config] }, { openFeed: async () => input, index, now: Date.now });
  return report!;
}

const lines = (from: number, count: number): string => Array.from({ length: count }, (_, i) => `192.0.2.${from + i}\n`).join("");

describe("feed limits", () => {
  test("a gzip bomb fails at max_decompressed_size, read no further than its start", async () => {
    const gz = bomb(1024);
    const report = await load(feedConfig({ filename: "bomb.txt.gz", limits: LIMITS }), gz.input);
    expect(report.error).toMatch(/^bomb\.txt\.gz: decompressed size exceeds max_decompressed_size 1 MiB: stopped at byte \d+$/);
    expect(Number(/byte (\d+)$/.exec(report.error!)![1])).toBeLessThanOrEqual(MiB);
    // 1024 members stand for 1 GiB; reading stopped near the start (the streams read ahead 64 KiB).
    expect(gz.pulled()).toBeLessThan(128);
  });

  test("a file over max_file_size fails after the lines before the limit", async () => {
    const text = new TextEncoder().encode(lines(0, 100));
    const file = source(1000, () => text);
    const report = await load(feedConfig({ filename: "big.txt", limits: { ...LIMITS, maxFileBytes: 10 * text.length } }), file.input);
    expect(report.error).toBe(`big.txt: file size exceeds max_file_size ${10 * text.length} bytes: stopped at byte ${10 * text.length}`);
    // The 100 addresses, ten times over: the index keeps them once.
    expect([report.loaded, file.pulled()]).toEqual([1000, 11]);
  });

  test("a line without end (a sparse file's zeros) fails at max_record_length, the lines before it loaded", async () => {
    const zeros = new Uint8Array(16 * 1024);
    const head = new TextEncoder().encode(lines(1, 2));
    const file = source(1024, (i) => (i === 0 ? head : zeros));
    const report = await load(feedConfig({ filename: "sparse.txt", limits: { ...LIMITS, maxDecompressedBytes: 64 * MiB } }), file.input);
    expect(report.error).toBe("sparse.txt: line 3 is longer than max_record_length 65536 characters");
    expect(report.loaded).toBe(2);
    // 64 KiB of zeros is 4 chunks of 16 KiB; the fifth crosses the limit.
    expect(file.pulled()).toBeLessThan(16);
  });

  test("a long line inside one chunk fails the same way", async () => {
    const text = `${lines(1, 3)}${"x".repeat(2000)}\n${lines(4, 1)}`;
    const report = await load(feedConfig({ filename: "inline.txt", limits: { ...LIMITS, maxRecordLength: 1000 } }), text);
    expect([report.error, report.loaded]).toEqual(["inline.txt: line 4 is longer than max_record_length 1000 characters", 3]);
  });

  test("a Kaspersky record without end fails at max_record_length, the records before it loaded", async () => {
    const head = new TextEncoder().encode('[{"mask":"a.example/x"},\n{"mask":"b.example/y"},\n{"mask":"');
    const filler = new Uint8Array(16 * 1024).fill(0x41);
    const file = source(1024, (i) => (i === 0 ? head : filler));
    const config = feedConfig({ filename: "Botnet_CnC_URL_Data_Feed.json", format: "kaspersky", fields: [{ name: "mask", type: "URL", category: "KL_BotnetCnC_URL" }], limits: LIMITS });
    const report = await load(config, file.input);
    expect(report.error).toBe("Botnet_CnC_URL_Data_Feed.json: record 3, which starts at line 3, is longer than max_record_length 65536 characters");
    expect(report.loaded).toBe(2);
    expect(file.pulled()).toBeLessThan(16);
  });

  test.each([
    ["misp", "list.json", `{"name":"big","type":"cidr","list":[${Array.from({ length: 100_000 }, (_, i) => `"10.${i >> 16}.${(i >> 8) & 255}.${i & 255}"`).join(",")}]}`],
    ["stix", "bundle.json", `{"type":"bundle","objects":[${Array.from({ length: 20_000 }, (_, i) => `{"type":"indicator","pattern":"[ipv4-addr:value = '10.0.${i >> 8}.${i & 255}']"}`).join(",")}]}`],
  ] as const)("a %s document, read whole, is held to max_decompressed_size", async (format, filename, text) => {
    const report = await load(feedConfig({ filename, format, limits: LIMITS }), chunked(text, 64 * 1024));
    expect(report.error).toBe(`${filename}: decompressed size exceeds max_decompressed_size 1 MiB: stopped at byte ${MiB}`);
    expect(report.loaded).toBe(0);
  });

  test("within the limits a feed loads as before", async () => {
    const report = await load(feedConfig({ filename: "ok.txt", limits: LIMITS }), lines(1, 200));
    expect([report.error, report.loaded]).toEqual([undefined, 200]);
  });
});

describe("feed limits in kl_feed_service.conf", () => {
  const conf = (feeds: string) => parseServiceConfig(`<Configuration>${feeds}</Configuration>`, "svc.conf");

  test("Feeds sets every feed's limits, a Feed overrides them one by one; none set: the defaults", () => {
    const { config, warnings } = conf(`<Feeds max_file_size="2 GiB" max_record_length="1M">
<Feed filename="a.txt"/>
<Feed filename="b.txt" max_decompressed_size="512m"/>
</Feeds>`);
    expect(warnings).toEqual([]);
    expect(config.feeds.feeds.map((f) => f.limits)).toEqual([
      { maxFileBytes: 2 * 2 ** 30, maxDecompressedBytes: DEFAULT_FEED_LIMITS.maxDecompressedBytes, maxRecordLength: MiB },
      { maxFileBytes: 2 * 2 ** 30, maxDecompressedBytes: 512 * MiB, maxRecordLength: MiB },
    ]);
    expect(conf(`<Feeds><Feed filename="a.txt" max_record_length="4096"/><Feed filename="b.txt"/></Feeds>`).config.feeds.feeds.map((f) => f.limits)).toEqual([
      { ...DEFAULT_FEED_LIMITS, maxRecordLength: 4096 },
      undefined,
    ]);
  });

  test.each([
    ["Feeds", "max_file_size", "1.5G", "svc.conf:1: Configuration > Feeds attribute max_file_size must be a number of bytes from 1 to 1099511627776, optionally with K, M or G (KiB, MiB, GiB), got \"1.5G\""],
    ["Feed", "max_decompressed_size", "0", "svc.conf:1: Configuration > Feeds > Feed attribute max_decompressed_size must be a number of bytes from 1 to 1099511627776, optionally with K, M or G (KiB, MiB, GiB), got \"0\""],
    ["Feed", "max_record_length", "2G", "svc.conf:1: Configuration > Feeds > Feed attribute max_record_length must be a number of characters from 1 to 1073741824, optionally with K, M or G (KiB, MiB, GiB), got \"2G\""],
  ])("%s %s=%p is refused with a message naming it", (element, attribute, value, message) => {
    const xml = element === "Feeds" ? `<Feeds ${attribute}="${value}"><Feed filename="a.txt"/></Feeds>` : `<Feeds><Feed filename="a.txt" ${attribute}="${value}"/></Feeds>`;
    expect(() => conf(xml)).toThrow(ConfigError);
    expect(() => conf(xml)).toThrow(message);
  });
});

describe("ioclens serve with a gzip bomb among its feeds", () => {
  test("logs one line naming the feed and the limit, shows it in /status, loads the other feeds and serves", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ioclens-feed-limits-"));
    try {
      // 64 MiB of empty lines in 66 KiB: written, but small.
      const member = gzipSync(new Uint8Array(MiB).fill(0x0a), { level: 9 });
      await writeFile(join(dir, "bomb.txt.gz"), Buffer.concat(Array.from({ length: 64 }, () => member)));
      await writeFile(join(dir, "good.txt"), "192.0.2.7\n");
      const service = await writeServiceConfig(dir, (xml) =>
        xml
          .replace(/<Feeds[\s\S]*?<\/Feeds>/, `<Feeds update_frequency="0" max_decompressed_size="1 MiB"><Feed filename="bomb.txt.gz" format="lines"/><Feed filename="good.txt" format="lines"/></Feeds>`)
          .replace(/<Bases>[^<]*<\/Bases>/, `<Bases>${dir}</Bases>`),
      );
      const serve = spawnIoclens(["serve", "--no-watchdog", "-c", service.config]);
      await waitFor(() => serve.stdout().includes("serving on") || serve.code() !== undefined, "the service to listen", 15_000, 20);
      expect(await pong(service.port)).toBe(true);

      const logged = serve.stderr().split("\n").filter((l) => l.includes("feed bomb.txt.gz"));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/^\S+ error feed bomb\.txt\.gz: decompressed size exceeds max_decompressed_size 1 MiB: stopped at byte \d+ loaded=0 skipped=0$/);
      const status = (await (await fetch(`http://127.0.0.1:${service.statusPort}/status`)).json()) as { feeds: { name: string; records: number; skipped: number; loadMs: number; error?: string; fileTime?: string; loadedAt?: string }[] };
      expect(status.feeds.map(({ loadMs: _, ...feed }) => feed)).toEqual([
        { name: "bomb.txt.gz", records: 0, skipped: 0, fileTime: expect.any(String), error: expect.stringMatching(/^bomb\.txt\.gz: decompressed size exceeds max_decompressed_size 1 MiB: stopped at byte \d+$/) },
        { name: "good.txt", records: 1, skipped: 0, fileTime: expect.any(String), loadedAt: expect.any(String) },
      ]);
      const metrics = await (await fetch(`http://127.0.0.1:${service.statusPort}/metrics`)).text();
      expect(metrics).toContain('ioclens_feed_load_failed{feed="bomb.txt.gz"} 1');

      serve.process.kill("SIGTERM");
      expect(await serve.exited).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
