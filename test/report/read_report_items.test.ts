import { describe, expect, test } from "bun:test";
import { type ReportFs, type ReportItem, readReportItems } from "../../src/report/read_report_items.ts";
import { NOW, stdinOf } from "./_report_cli.ts";

/** An in-memory file system: path → chunks. */
function memoryFs(files: Record<string, (string | Uint8Array)[]>): ReportFs {
  return {
    openFile: (p) => {
      if (!(p in files)) throw Object.assign(new Error("gone"), { code: "ENOENT" });
      return stdinOf(...files[p]!);
    },
    stat: async (p) => {
      const isFile = p in files;
      const isDirectory = !isFile && Object.keys(files).some((f) => f.startsWith(`${p}/`));
      if (!isFile && !isDirectory) throw Object.assign(new Error("gone"), { code: "ENOENT" });
      return { isFile: () => isFile, isDirectory: () => isDirectory };
    },
    readDir: async (p) => Object.keys(files).filter((f) => f.startsWith(`${p}/`)).map((f) => f.slice(p.length + 1)),
  };
}

async function collect(inputs: string[], fs: ReportFs, maxLineBytes?: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const batch of readReportItems(inputs, { fs, stdin: stdinOf(), now: NOW, maxLineBytes })) for (const item of batch as ReportItem[]) {
    if (item.kind === "line") out.push([item.where, item.parsed.kind === "detection" ? item.parsed.record.indicator : item.parsed.kind, item.problem ?? null]);
    else if (item.kind !== "end") out.push([item.kind, item.name]);
  }
  return out;
}

const D = (ind: string) => `category=KL_APT_IP matchedIndicator=${ind}`;

describe("readReportItems()", () => {
  test("joins lines split across chunks and drops CR and a BOM", async () => {
    const bytes = new TextEncoder().encode(`\uFEFF${D("192.0.2.1")}\r\n${D("192.0.2.2")}\n${D("192.0.2.3")}`);
    const fs = memoryFs({ "r.txt": [bytes.subarray(0, 10), bytes.subarray(10, 45), bytes.subarray(45, 46), bytes.subarray(46)] });
    expect(await collect(["r.txt"], fs)).toEqual([
      ["input", "r.txt"], ["r.txt:1", "192.0.2.1", null], ["r.txt:2", "192.0.2.2", null], ["r.txt:3", "192.0.2.3", null],
    ]);
  });

  test("skips a line over the size cap without buffering it and carries on", async () => {
    const fs = memoryFs({ "r.txt": [`${D("192.0.2.1")}\n`, "x".repeat(40), "y".repeat(40), `\n${D("192.0.2.2")}\n`] });
    expect(await collect(["r.txt"], fs, 64)).toEqual([
      ["input", "r.txt"], ["r.txt:1", "192.0.2.1", null], ["r.txt:2", "bad", null], ["r.txt:3", "192.0.2.2", null],
    ]);
  });

  test("takes a folder's report files in name order, preferring sidecars", async () => {
    const fs = memoryFs({
      "out/b.txt": [D("192.0.2.2")],
      "out/a.txt": [D("192.0.2.9")],
      "out/a.ndjson": [`{"type":"detection","file":"x.log","line":1,"sent":"","text":"${D("192.0.2.1")}","fields":{}}\n`],
      "out/notes.md": ["# not a report"],
      "out/.hidden.txt": [D("192.0.2.3")],
    });
    expect(await collect(["out"], fs)).toEqual([
      ["input", "out/a.ndjson"], ["out/a.ndjson:1", "192.0.2.1", null], ["input", "out/b.txt"], ["out/b.txt:1", "192.0.2.2", null],
    ]);
  });

  test("reports a missing input and goes on with the next", async () => {
    const fs = memoryFs({ "r.txt": [D("192.0.2.1")] });
    expect(await collect(["nope.txt", "r.txt"], fs)).toEqual([
      ["unreadable", "nope.txt"], ["input", "r.txt"], ["r.txt:1", "192.0.2.1", null],
    ]);
  });

  test("ends each input with whether its last byte was a line end", async () => {
    const fs = memoryFs({ "whole.txt": [`${D("192.0.2.1")}\n`], "cut.txt": [`${D("192.0.2.1")}\n`, "Total number of obj"], "empty.txt": [] });
    const ends: unknown[] = [];
    for await (const batch of readReportItems(["whole.txt", "cut.txt", "empty.txt"], { fs, stdin: stdinOf(), now: NOW })) {
      for (const item of batch) if (item.kind === "end") ends.push(item);
    }
    expect(ends).toEqual([
      { kind: "end", name: "whole.txt", terminated: true },
      { kind: "end", name: "cut.txt", terminated: false },
      { kind: "end", name: "empty.txt", terminated: true },
    ]);
  });
});
