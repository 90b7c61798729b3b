/**
 * Runs normalizeUrl() over the full URL-normalisation oracle (Kaspersky's normaliser applied to
 * Maltrail trails and generated variants) and prints the agreement rate and the disagreements
 * grouped by reason. Exits 1 when a disagreement is not a deliberate difference.
 *
 * Usage: bun scripts/oracle_url.ts [path/to/maltrail-oracle.tsv] [--all]
 *        deno run --allow-read scripts/oracle_url.ts [...]
 */

import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { normalizeUrl } from "../src/matching/normalize_url.ts";

const DEFAULT_TABLE = "/work/shared/data/url-normalization/maltrail-oracle.tsv";
const SHOWN_PER_GROUP = 8;

const IDN = "IDN host converted to punycode (deliberate, see docs/matching.md)";

function hostLength(s: string): number {
  const at = s.search(/[/?]/);
  return at < 0 ? s.length : at;
}

function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return true;
  return false;
}

/** Why `ours` differs from the reference output; undefined (rejected) counts as its own case. */
function reason(expected: string | undefined, ours: string | undefined): string {
  if (expected === undefined) return "rejected by the reference, accepted here";
  if (ours === undefined) return "accepted by the reference, rejected here";
  const eh = hostLength(expected);
  const oh = hostLength(ours);
  if (hasNonAscii(expected.slice(0, eh)) && !hasNonAscii(ours.slice(0, oh)) && expected.slice(eh) === ours.slice(oh)) {
    return IDN;
  }
  return "unexplained";
}

function main(argv: readonly string[]): number {
  const showAll = argv.includes("--all");
  const path = argv.find((a) => !a.startsWith("--")) ?? DEFAULT_TABLE;
  if (!existsSync(path)) {
    console.log(`oracle_url: skipped: oracle table not found at ${path} (pass its path as the first argument)`);
    return 0;
  }
  const lines = readFileSync(path, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const groups = new Map<string, string[]>();
  let agree = 0;
  for (const [k, row] of lines.entries()) {
    const tab = row.indexOf("\t");
    if (tab < 0) {
      console.error(`oracle_url: ${path}:${k + 1}: row has no TAB: ${JSON.stringify(row)}`);
      return 1;
    }
    const input = row.slice(0, tab);
    const column = row.slice(tab + 1);
    const expected = column.startsWith("!ERROR: ") ? undefined : column;
    const ours = normalizeUrl(input);
    if (ours === expected) {
      agree++;
      continue;
    }
    const why = reason(expected, ours);
    const list = groups.get(why) ?? [];
    list.push(`  ${k + 1}: ${JSON.stringify(input)}  reference ${JSON.stringify(column)}  ours ${JSON.stringify(ours ?? "(rejected)")}`);
    groups.set(why, list);
  }
  const total = lines.length;
  const deliberate = groups.get(IDN)?.length ?? 0;
  const pct = (n: number) => ((100 * n) / total).toFixed(2);
  console.log(`oracle_url: ${path}`);
  console.log(`agreement: ${agree}/${total} rows (${pct(agree)}%)`);
  console.log(`agreement counting deliberate differences: ${agree + deliberate}/${total} rows (${pct(agree + deliberate)}%)`);
  for (const [why, list] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`\n${why}: ${list.length} rows`);
    for (const line of showAll ? list : list.slice(0, SHOWN_PER_GROUP)) console.log(line);
    if (!showAll && list.length > SHOWN_PER_GROUP) console.log(`  ... ${list.length - SHOWN_PER_GROUP} more (--all)`);
  }
  const unexplained = total - agree - deliberate;
  return unexplained === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
