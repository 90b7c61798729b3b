import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import { recordingIo } from "../_support/recording_io.ts";
import { prng } from "../_support/child_processes.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), "utf8");

/** Fragments that break XML, numbers, regexes and endpoints in interesting ways. */
const JUNK = [
  "<", ">", "&", "&amp;", "&#0;", "&#xFFFF;", "&unknown;", "]]>", "<![CDATA[", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "<!-- ", "-->",
  "\0", "\uFFFD", "\u00A0", "\"", "'", "=", "/>", "</Configuration>", "<Settings>", "<Feed filename=\"\"/>", "<Source id=\"\">",
  "-1", "0", "99999999999999999999", "NaN", "1e9", "eight", "(", ")", "[", "\\", "(?<", "*", "+", "(a+)+$", "%", "%RE_", ":", "[::1]:",
  "999999:99", "udp://", "file:///dev/null", "\n", "\t", "\r\n", " ".repeat(1000), "x".repeat(70_000),
];

type Mutation = (text: string, r: ReturnType<typeof prng>) => string;

const MUTATIONS: readonly Mutation[] = [
  (t, r) => t.slice(0, r.int(t.length)), // truncated
  (t, r) => {
    const at = r.int(t.length);
    return t.slice(0, at) + t.slice(at + 1 + r.int(60)); // a span deleted
  },
  (t, r) => {
    const at = r.int(t.length);
    return t.slice(0, at) + t.slice(at, at + 1 + r.int(200)) + t.slice(at); // a span duplicated
  },
  (t, r) => {
    const at = r.int(t.length);
    return t.slice(0, at) + r.pick(JUNK) + t.slice(at); // junk inserted
  },
  (t, r) => {
    // The text of a random element replaced: where values are validated.
    const spans = [...t.matchAll(/>([^<>]+)</g)];
    if (spans.length === 0) return t;
    const m = r.pick(spans);
    return t.slice(0, m.index! + 1) + r.pick(JUNK) + t.slice(m.index! + 1 + m[1]!.length);
  },
  (t, r) => {
    // An attribute value replaced.
    const spans = [...t.matchAll(/="([^"]*)"/g)];
    if (spans.length === 0) return t;
    const m = r.pick(spans);
    return t.slice(0, m.index! + 2) + r.pick(JUNK).replaceAll('"', "&quot;") + t.slice(m.index! + 2 + m[1]!.length);
  },
  (t, r) => {
    const at = r.int(t.length);
    return t.slice(0, at) + String.fromCharCode(r.int(0x250)) + t.slice(at + 1); // a character changed
  },
  (t, r) => {
    const lines = t.split("\n");
    const a = r.int(lines.length);
    const b = r.int(lines.length);
    [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    return lines.join("\n"); // two lines swapped
  },
];

function mutate(seed: number, text: string): string {
  const r = prng(seed);
  let out = text;
  for (let n = 1 + r.int(3); n > 0; n--) out = r.pick(MUTATIONS)(out, r);
  return out;
}

const SEEDS = [
  ["serve", "seed_service.conf", fixture("seed_service.conf"), 120],
  ["serve", "default_service.conf", DEFAULT_SERVICE_CONFIG_TEXT, 120],
  ["scan", "seed_log_scanner.conf", fixture("seed_log_scanner.conf"), 120],
] as const;

describe("malformed configs", () => {
  test.each(SEEDS)("%s --check-config on 120 mutations of %s: exit 0 or a one-line config error, never a crash or a hang", async (command, name, text, cases) => {
    const dir = await mkdtemp(join(tmpdir(), "ioclens-fuzz-"));
    const outcomes = { ok: 0, configError: 0 };
    try {
      for (let seed = 1; seed <= cases; seed++) {
        const path = join(dir, `case-${seed}-${name}`);
        await writeFile(path, mutate(seed * 7919 + name.length, text));
        const io = recordingIo({ cwd: dir });
        // A mutation that hangs the parser hits the test's timeout; no duration is compared.
        const code = await main([command, "--check-config", path], io);
        const errLines = io.err().split("\n").filter((l) => l.length > 0);
        // Replay a failure with its seed: mutate(seed * 7919 + name.length, text).
        const summary = { seed, code, stack: /\n\s+at |internal error/.test(io.err()) };
        expect(summary).toEqual({ seed, code: code === 0 ? 0 : 3, stack: false });
        if (code === 0) {
          outcomes.ok++;
          expect(io.out()).toContain(": ok (");
          for (const line of errLines) expect(line).toStartWith("ioclens: warning: ");
        } else {
          outcomes.configError++;
          expect(errLines).toHaveLength(1);
          expect(errLines[0]).toStartWith(`ioclens: ${path}`);
          // Library-internal wording (a JSON dump of open tags) is rewritten into ours.
          expect(errLines[0]).not.toContain("Invalid '[");
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The mutations reach both outcomes: a fuzz that only ever fails (or passes) tests little.
    expect(outcomes.ok).toBeGreaterThan(5);
    expect(outcomes.configError).toBeGreaterThan(cases / 4);
  }, 30_000);
});
