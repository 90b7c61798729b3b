/** Reading feeds in tests (the feed and reliability suites): a config builder, fixture access and a reader runner. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FeedConfig } from "../../src/config/types.ts";
import type { FeedInput, FeedReadContext, FeedReader } from "../../src/feeds/feed_reader.ts";
import type { FeedEntry, FeedSkip } from "../../src/matching/types.ts";

export function feedConfig(overrides: Partial<FeedConfig> = {}): FeedConfig {
  return {
    filename: "feed.txt",
    enabled: true,
    confidence: 50,
    format: "lines",
    category: "OSINT",
    fields: [],
    actionableFields: [],
    indicatorLifetimeMinutes: 0,
    allowList: false,
    header: false,
    line: 1,
    ...overrides,
  };
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/feeds/${name}`, import.meta.url));
}

export function fixture(name: string): string {
  return readFileSync(fixturePath(name), "utf8");
}

/** Bytes as a stream in chunks of `size`, to exercise values split across chunks. */
export async function* chunked(bytes: Uint8Array | string, size: number): AsyncGenerator<Uint8Array> {
  const all = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}

export interface ReadResult {
  readonly entries: FeedEntry[];
  readonly skips: FeedSkip[];
  /** Where the reader says each entry came from, as it reports an entry the index refused. */
  readonly wheres: string[];
  readonly error?: string;
}

const PROBE = "refused by the test sink";

/**
 * Runs a reader to the end, catching its error so partial output can be asserted too. The sink
 * takes every entry and answers with a refusal, so the skip the reader then reports gives the
 * entry's position (`wheres`); those skips are left out of `skips`.
 */
export async function run(reader: FeedReader, input: FeedInput, config: FeedConfig): Promise<ReadResult> {
  const entries: FeedEntry[] = [];
  const skips: FeedSkip[] = [];
  const wheres: string[] = [];
  const context: FeedReadContext = {
    onSkip: (skip) => (skip.reason === PROBE ? wheres.push(skip.where) : skips.push(skip)),
    onEntry: (entry) => {
      entries.push(entry);
      return PROBE;
    },
  };
  try {
    await reader(input, config, context);
  } catch (error) {
    return { entries, skips, wheres, error: (error as Error).message };
  }
  return { entries, skips, wheres };
}

/** Entries as `[kind, value]` pairs, for compact assertions. */
export function values(entries: readonly FeedEntry[]): [string, string][] {
  return entries.map((e) => [e.kind, e.value]);
}
