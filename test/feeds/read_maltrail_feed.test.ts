import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { readMaltrailFeed } from "../../src/feeds/read_maltrail_feed.ts";
import { chunked, feedConfig, fixture, run } from "../_support/feed_reading.ts";

const config = feedConfig({ filename: "trails.tsv.gz", format: "maltrail" });

describe("readMaltrailFeed()", () => {
  test("maps each trail type of the TSV table to an entry with family and group", async () => {
    const { entries, skips } = await run(readMaltrailFeed, fixture("trails.tsv"), config);
    expect(entries).toEqual([
      { kind: "DOMAIN", value: "0debug.cc", fields: [["family", "0debug"], ["group", "malware"]], category: undefined },
      { kind: "DOMAIN", value: ".xyz", fields: [["family", "domain"], ["group", "suspicious"]], category: undefined },
      { kind: "IP", value: "69.61.18.148", fields: [["family", "android_cyberwurx"], ["group", "malware"]], category: undefined },
      {
        kind: "URL",
        value: "limitededitionphotos.nl/wp-includes/ID3/jre.zip",
        fields: [["family", "adwind"], ["group", "malware"]],
        category: undefined,
      },
      { kind: "URL", value: "*/admin/boot/dll/list.php", fields: [["family", "1ms0rry"], ["group", "malware"]], category: undefined },
      { kind: "IP", value: "162.255.119.0/24", fields: [["family", "parking_site"], ["group", "suspicious"]], category: undefined },
      // ip_port trails come last, gathered per address
      { kind: "IP", value: "95.129.236.208", fields: [["family", "0ktapus"], ["group", "malware"], ["ports", "443"]], category: undefined },
      {
        kind: "IP",
        value: "fe80::bdd9:fd11:ea3f:a4",
        fields: [["family", "powershell_smbghost"], ["group", "malware"], ["ports", "135"]],
        category: undefined,
      },
    ]);
    expect(skips).toEqual([
      { where: "line 8", reason: "regex trails are not supported" },
      { where: "line 10", reason: "wrong column count: got 2, expected 4 (trail, type, family, group)" },
    ]);
  });

  test("reads a gzip stream like the plain table", async () => {
    const text = fixture("trails.tsv");
    expect(await run(readMaltrailFeed, chunked(gzipSync(text), 100), config)).toEqual(await run(readMaltrailFeed, text, config));
  });

  test("types the lines of a static trail file as Maltrail does, family and group from its path", async () => {
    const staticConfig = feedConfig({ filename: "trails/static/malware/examplebot.txt", format: "maltrail", fields: [{ name: "trail", type: "AUTO", category: "Maltrail" }] });
    const { entries, skips } = await run(readMaltrailFeed, fixture("malware/examplebot.txt"), staticConfig);
    expect(entries.map((e) => [e.kind, e.value, e.fields.at(-1)![1]])).toEqual([
      ["DOMAIN", "bad-one.example", "malware"],
      ["DOMAIN", "bad-two.example", "malware"],
      ["URL", "198.51.100.23/", "malware"],
      ["URL", "dl.bad.example/Loader/X.exe", "malware"],
      ["URL", "*/gate/Panel.php", "malware"],
      ["IP", "192.0.2.99", "malware"],
      ["IP", "203.0.113.0/25", "malware"],
      ["URL", "webhook.example/#!/view/abc/", "malware"],
      ["IP", "192.0.2.100", "8443"],
    ]);
    expect(entries[0]).toEqual({ kind: "DOMAIN", value: "bad-one.example", fields: [["family", "examplebot"], ["group", "malware"]], category: "Maltrail" });
    expect(skips).toEqual([
      { where: "line 13", reason: 'port outside 1-65535: "192.0.2.101:0"' },
      { where: "line 14", reason: "regex trails are not supported" },
      { where: "line 15", reason: 'not a valid domain trail: "192.0.2.118:22:443"' },
    ]);
  });

  test("gathers the ports of one address, family and group into one entry, ascending", async () => {
    const rows = [
      "192.0.2.7:8080\tip_port\tmirai\tmalware",
      "bad.example\tdomain\tmirai\tmalware",
      "192.0.2.7:22\tip_port\tmirai\tmalware",
      "192.0.2.7:443\tip_port\tgafgyt\tmalware",
      "192.0.2.8:23\tip_port\tmirai\tmalware",
      "192.0.2.7:443\tip_port\tmirai\tmalware",
      "192.0.2.7:22\tip_port\tmirai\tmalware",
      "[2001:db8::1]:443\tip_port\tmirai\tmalware",
      "010.0.2.7:80\tip_port\tmirai\tmalware",
      "[2001:db8::1]:80\tip_port\tmirai\tmalware",
    ].join("\n");
    const { entries, wheres } = await run(readMaltrailFeed, rows, config);
    const mirai: [string, string][] = [["family", "mirai"], ["group", "malware"]];
    expect(entries.map((e) => [e.kind, e.value, e.fields])).toEqual([
      ["DOMAIN", "bad.example", mirai],
      ["IP", "192.0.2.7", [...mirai, ["ports", "22,443,8080"]]],
      ["IP", "192.0.2.7", [["family", "gafgyt"], ["group", "malware"], ["ports", "443"]]],
      ["IP", "192.0.2.8", [...mirai, ["ports", "23"]]],
      ["IP", "2001:db8::1", [...mirai, ["ports", "80,443"]]],
      // written as the feed writes it: the index reads 010 as 10
      ["IP", "010.0.2.7", [...mirai, ["ports", "80"]]],
    ]);
    // a refused entry is reported at the line of its address's first trail
    expect(wheres).toEqual(["line 2", "line 1", "line 4", "line 5", "line 8", "line 9"]);
  });

  test("still hands over the gathered ports when the gzip stream breaks", async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `192.0.2.${i % 7}:${1000 + i}\tip_port\tmirai\tmalware\n`).join("");
    const gz = gzipSync(rows);
    const { entries, error } = await run(readMaltrailFeed, chunked(gz.subarray(0, gz.length - 40), 512), config);
    expect(error).toStartWith("Cannot gunzip the feed");
    expect(entries.map((e) => e.value)).toEqual(["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"]);
  });

  test("leaves the group out when the file is not in a Maltrail folder", async () => {
    const { entries } = await run(readMaltrailFeed, "bad.example\n", feedConfig({ filename: "feeds/custom.txt", format: "maltrail" }));
    expect(entries[0]!.fields).toEqual([["family", "custom"]]);
  });

  test("skips an unknown trail type", async () => {
    const { skips } = await run(readMaltrailFeed, "x.example\thost\tfam\tmalware\n", config);
    expect(skips).toEqual([
      { where: "line 1", reason: 'unknown trail type: got "host", expected domain, ip, cidr, url, path, ip_port or regex' },
    ]);
  });
});
