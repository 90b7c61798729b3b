/**
 * docs/siem.md shows, for every SIEM profile, the exact lines the service renders for the
 * verification records. This test renders them (test/_support/siem_examples.ts) and compares;
 * with IOCLENS_UPDATE_DOCS=1 it writes them into the doc instead, so the doc cannot drift.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SIEM_NAMES } from "../../src/config/siem_profiles.ts";
import { siemExample } from "../_support/siem_examples.ts";

const DOC = join(import.meta.dir, "../../docs/siem.md");
/** `<!-- lines: NAME -->` then a ```text block: the generated part of each section. */
const BLOCK = /<!-- lines: ([a-z]+) -->\n```text\n((?:(?!```)[\s\S])*)```/g;

async function expectedBlocks(): Promise<Map<string, string>> {
  const blocks = new Map<string, string>();
  for (const name of SIEM_NAMES) {
    const e = await siemExample(name);
    expect([name, e.warnings]).toEqual([name, []]);
    blocks.set(name, [...e.detections, e.finished, e.alert].join("\n"));
  }
  return blocks;
}

describe("docs/siem.md", () => {
  test("has one section per SIEM profile, each with the lines the renderer produces for the examples", async () => {
    const expected = await expectedBlocks();
    let doc = readFileSync(DOC, "utf8");
    if (process.env["IOCLENS_UPDATE_DOCS"] === "1") {
      doc = doc.replace(BLOCK, (whole, name: string) => (expected.has(name) ? `<!-- lines: ${name} -->\n\`\`\`text\n${expected.get(name)}\n\`\`\`` : whole));
      writeFileSync(DOC, doc);
    }
    const found = [...doc.matchAll(BLOCK)].map((m) => [m[1]!, m[2]!.replace(/\n$/, "")] as const);
    expect(found).toEqual([...expected]);
    const sections = [...doc.matchAll(/^## .* \(`([a-z]+)`\)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(SIEM_NAMES);
  });
});
