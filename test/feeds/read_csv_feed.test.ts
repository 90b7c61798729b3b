import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { readCsvFeed } from "../../src/feeds/read_csv_feed.ts";
import { chunked, feedConfig, fixture, run, values } from "../_support/feed_reading.ts";

const csv = (overrides = {}) => feedConfig({ format: "csv", header: true, ...overrides });

describe("readCsvFeed()", () => {
  test("reads a ThreatFox export with its header in a comment and quoted, spaced fields", async () => {
    const config = csv({ filename: "threatfox.csv", fields: [{ name: "ioc_value", type: "AUTO", category: "ThreatFox" }] });
    const { entries, skips } = await run(readCsvFeed, fixture("threatfox.csv"), config);
    expect(values(entries)).toEqual([
      ["URL", "http://dl.bad.example/payload.bin"],
      ["IP", "192.0.2.44"],
      ["DOMAIN", "c2.bad.example"],
      ["MD5", "5d41402abc4b2a76b9719d911017c592"],
    ]);
    expect(entries[1]).toEqual({
      kind: "IP",
      value: "192.0.2.44",
      category: "ThreatFox",
      fields: [
        ["first_seen_utc", "2025-01-01 00:00:02"],
        ["ioc_id", "1000002"],
        ["ioc_type", "ip:port"],
        ["threat_type", "botnet_cc"],
        ["fk_malware", "win.example"],
        ["malware_alias", "None"],
        ["malware_printable", "Example"],
        ["last_seen_utc", ""],
        ["confidence_level", "75"],
        ["reference", "https://ref.example/1"],
        ["tags", "c2"],
        ["anonymous", "0"],
        ["reporter", "tester"],
        ["port", "443"],
      ],
    });
    expect(entries[0]!.fields[6]).toEqual(["malware_printable", "Example, Loader"]);
    expect(skips).toEqual([{ where: "line 11", reason: "wrong column count: got 5, expected 14" }]);
  });

  test("reads a URLhaus dump by header name", async () => {
    const config = csv({ fields: [{ name: "url", type: "URL", category: "" }] });
    const { entries } = await run(readCsvFeed, fixture("urlhaus.csv"), config);
    expect(values(entries)).toEqual([
      ["URL", "http://198.51.100.7:43211/i"],
      ["URL", "https://files.bad.example/doc.exe"],
    ]);
    expect(entries[0]!.fields).toContainEqual(["tags", "32-bit,elf,mips"]);
  });

  test("reads a Feodo Tracker list whose header is the first quoted row", async () => {
    const config = csv({ fields: [{ name: "dst_ip", type: "IP", category: "" }] });
    const { entries, skips } = await run(readCsvFeed, fixture("feodo.csv"), config);
    expect(entries.map((e) => [e.value, e.fields[1]])).toEqual([
      ["192.0.2.77", ["dst_port", "443"]],
      ["203.0.113.77", ["dst_port", "8080"]],
    ]);
    expect(skips).toEqual([]);
  });

  test("handles quoted commas, doubled quotes, line breaks, wrong counts and empty cells", async () => {
    const { entries, skips, wheres } = await run(readCsvFeed, fixture("columns.csv"), csv({ fields: [] }));
    expect(entries).toEqual([
      { kind: "IP", value: "192.0.2.1", fields: [["kind", "ip"], ["note", "first, with a comma"]], category: undefined },
      { kind: "DOMAIN", value: "multi.example", fields: [["kind", "domain"], ["note", "a note\nspanning two lines"]], category: undefined },
      { kind: "IP", value: "203.0.113.9", fields: [["kind", "ip"], ["note", ""]], category: undefined },
    ]);
    expect(wheres).toEqual(["line 2", "line 4", "line 7"]);
    expect(skips).toEqual([
      { where: "line 3", reason: "wrong column count: got 2, expected 3" },
      { where: "line 6", reason: "wrong column count: got 4, expected 3" },
    ]);
  });

  test("reads IPsum as TSV without a header, naming the other columns colN", async () => {
    const config = feedConfig({ format: "tsv" });
    const { entries, skips } = await run(readCsvFeed, fixture("ipsum.tsv"), config);
    expect(entries).toEqual([
      { kind: "IP", value: "192.0.2.201", fields: [["col2", "10"]], category: undefined },
      { kind: "IP", value: "198.51.100.202", fields: [["col2", "3"]], category: undefined },
    ]);
    expect(skips).toEqual([{ where: "line 3", reason: "wrong column count: got 1, expected 2" }]);
  });

  test("names IPsum's count `score` with columns=\"ip,score\", and a Field may use a column's name", async () => {
    const config = feedConfig({ format: "tsv", columns: ["ip", "score"] });
    const { entries } = await run(readCsvFeed, fixture("ipsum.tsv"), config);
    expect(entries.map((e) => e.fields)).toEqual([[["score", "10"]], [["score", "3"]]]);
    const byName = await run(readCsvFeed, "10\t192.0.2.9\n", feedConfig({ format: "tsv", columns: ["score", "ip"], fields: [{ name: "ip", type: "IP", category: "" }] }));
    expect(byName.entries).toEqual([{ kind: "IP", value: "192.0.2.9", fields: [["score", "10"]], category: undefined }]);
  });

  test("fails a feed whose columns attribute names more columns than its rows have", async () => {
    const { entries, error } = await run(readCsvFeed, fixture("ipsum.tsv"), feedConfig({ filename: "ipsum.tsv", format: "tsv", columns: ["ip", "score", "seen"] }));
    expect({ entries, error }).toEqual({ entries: [], error: "Too many column names for feed ipsum.tsv: columns names 3, its first row has 2" });
  });

  test("maps columns by number, yields one entry per indicator column and skips rows with none", async () => {
    const text = "bad.example,5D41402ABC4B2A76B9719D911017C592\n,\n";
    const fields = [
      { name: "1", type: "DOMAIN" as const, category: "D" },
      { name: "2", type: "HASH" as const, category: "H" },
    ];
    const { entries, skips } = await run(readCsvFeed, text, feedConfig({ format: "csv", fields }));
    expect(entries).toEqual([
      { kind: "DOMAIN", value: "bad.example", fields: [["col2", "5D41402ABC4B2A76B9719D911017C592"]], category: "D" },
      { kind: "MD5", value: "5D41402ABC4B2A76B9719D911017C592", fields: [["col1", "bad.example"]], category: "H" },
    ]);
    expect(skips).toEqual([{ where: "line 2", reason: "empty indicator: nothing in column col1, col2" }]);
  });

  test.each([
    [true, 'Unknown column in feed feed.txt: got "ip", expected one of indicator, kind, note or a column number'],
    [false, 'Unknown column in feed feed.txt: got "ip", expected a column number from 1 to 3'],
  ])("fails on a column the feed does not have (header %p)", async (header, message) => {
    const config = csv({ header, fields: [{ name: "ip", type: "IP", category: "" }] });
    expect((await run(readCsvFeed, fixture("columns.csv"), config)).error).toBe(message);
  });

  test("skips a stray quote's line and recovers the lines after it", async () => {
    const rows = ['192.0.2.1,"broken', ...Array.from({ length: 150 }, (_, i) => `192.0.2.${i + 2},ok`)];
    const { entries, skips } = await run(readCsvFeed, rows.join("\n"), feedConfig({ format: "csv" }));
    expect(entries).toHaveLength(150);
    expect(entries[0]!.value).toBe("192.0.2.2");
    expect(skips).toEqual([{ where: "line 1", reason: "unterminated quoted field: no closing quote within 100 lines" }]);
  });

  test("reports a quote still open at the end of input", async () => {
    const { entries, skips } = await run(readCsvFeed, '192.0.2.1,a\n192.0.2.2,"b\n192.0.2.3,c', feedConfig({ format: "csv" }));
    expect(values(entries)).toEqual([
      ["IP", "192.0.2.1"],
      ["IP", "192.0.2.3"],
    ]);
    expect(skips).toEqual([{ where: "line 2", reason: "unterminated quoted field: input ends inside quotes" }]);
  });

  test("keeps a quoted 1 MB field arriving in 64 KiB chunks of gzip", async () => {
    const big = "y".repeat(1 << 20);
    const text = `indicator,blob\n192.0.2.1,"${big}"\n198.51.100.1,small\n`;
    const { entries } = await run(readCsvFeed, chunked(gzipSync(text), 65536), csv());
    expect(entries.map((e) => [e.value, e.fields[0]![1].length])).toEqual([
      ["192.0.2.1", 1 << 20],
      ["198.51.100.1", 5],
    ]);
  });

  test("uses a configured delimiter", async () => {
    const { entries } = await run(readCsvFeed, "192.0.2.1;x\n", feedConfig({ format: "csv", delimiter: ";" }));
    expect(entries).toEqual([{ kind: "IP", value: "192.0.2.1", fields: [["col2", "x"]], category: undefined }]);
  });
});
