/**
 * Loads every enabled feed into the index, one feed at a time, and reports per feed what was
 * loaded, what was skipped and why. One broken feed never stops the others.
 */
import type { FeedConfig, FeedField, FeedsSettings } from "./feed_config.ts";
import type { FeedEntry, FeedSkip, IndexWriter } from "../matching/types.ts";
import { kasperskyFeedFields } from "./_kaspersky_feeds.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";
import { type FeedRegistry, parseFeedRegistry } from "./parse_feed_registry.ts";
import { readFeed } from "./read_feed.ts";

/** How many skip messages a report keeps; the counts cover all of them. */
export const MAX_WARNINGS = 20;
/** Distinct skip reasons counted per feed; further ones are counted as `other`. */
const MAX_REASONS = 50;

/** What loading one feed did. */
export interface FeedLoadReport {
  /** The feed's `filename`, also its name in the index. */
  readonly name: string;
  readonly loaded: number;
  readonly skipped: number;
  readonly ms: number;
  /** Why the feed could not be read (further); entries loaded before it stay loaded. */
  readonly error?: string;
  /** The first {@link MAX_WARNINGS} skips: `feeds/x.csv:17: wrong column count: got 3, expected 5`. */
  readonly warnings: readonly string[];
  /** Skips per reason, the reason cut at its first `: ` (`wrong column count`). */
  readonly skippedByReason: Readonly<Record<string, number>>;
}

/** What loadFeeds needs from the world. */
export interface LoadFeedsDeps {
  /** Opens a feed by its configured `filename` (relative to the bases directory). */
  openFeed(filename: string): Promise<FeedInput>;
  readonly index: IndexWriter;
  /** Epoch ms: the feeds' `loadedAt`, and the report's `ms`. */
  now(): number;
  /** Reads `FeedsSettings.registry`; needed only when a Kaspersky feed has no fields. */
  readRegistry?(path: string): Promise<string>;
}

/**
 * Loads the enabled feeds of `settings` in order. A Kaspersky feed without `<Field>` elements
 * takes its fields from the registry (by file name without `.json`/`.gz`), else from the
 * built-in table of documented Kaspersky feeds. Entries the index rejects count as skipped.
 * Disabled feeds get no report.
 *
 * @example
 * ```ts
 * const reports = await loadFeeds(config.feeds, {
 *   openFeed: (name) => readFile(join(basesDir, name), "utf8"), index, now: Date.now,
 * });
 * ```
 */
export async function loadFeeds(settings: FeedsSettings, deps: LoadFeedsDeps): Promise<FeedLoadReport[]> {
  const reports: FeedLoadReport[] = [];
  let registry: Promise<FeedRegistry> | undefined;
  const getRegistry = (): Promise<FeedRegistry> => {
    registry ??= loadRegistry(settings.registry, deps);
    return registry;
  };
  for (const feed of settings.feeds) {
    if (!feed.enabled) continue;
    reports.push(await loadFeed(feed, deps, getRegistry));
  }
  return reports;
}

async function loadFeed(feed: FeedConfig, deps: LoadFeedsDeps, getRegistry: () => Promise<FeedRegistry>): Promise<FeedLoadReport> {
  const started = deps.now();
  const name = feed.filename;
  const warnings: string[] = [];
  const byReason: Record<string, number> = {};
  let reasons = 0;
  let loaded = 0;
  let skipped = 0;
  let error: string | undefined;
  const skip = (where: string, reason: string): void => {
    skipped++;
    if (warnings.length < MAX_WARNINGS) warnings.push(locate(name, where, reason));
    const cut = reason.indexOf(": ");
    let key = cut < 0 ? reason : reason.slice(0, cut);
    if (byReason[key] === undefined) {
      if (reasons < MAX_REASONS) reasons++;
      else key = "other";
    }
    byReason[key] = (byReason[key] ?? 0) + 1;
  };
  try {
    const config = feed.format === "kaspersky" && feed.fields.length === 0 ? await withKasperskyFields(feed, getRegistry) : feed;
    const input = await deps.openFeed(name);
    const id = deps.index.addFeed({
      name,
      category: feed.category,
      confidence: feed.confidence,
      allowList: feed.allowList,
      loadedAt: started,
      indicatorLifetimeMinutes: feed.indicatorLifetimeMinutes,
    });
    const index = deps.index;
    const context: FeedReadContext = {
      onSkip: (s: FeedSkip) => skip(s.where, s.reason),
      onEntry: (entry: FeedEntry) => {
        const rejected = index.add(id, entry);
        if (rejected === undefined) loaded++;
        return rejected;
      },
    };
    await readFeed(input, config, context);
  } catch (cause) {
    error = `${name}: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  const report = { name, loaded, skipped, ms: deps.now() - started, warnings, skippedByReason: byReason };
  return error === undefined ? report : { ...report, error };
}

async function withKasperskyFields(feed: FeedConfig, getRegistry: () => Promise<FeedRegistry>): Promise<FeedConfig> {
  const feedName = (feed.filename.split(/[\\/]/).at(-1) ?? feed.filename).replace(/\.gz$/i, "").replace(/\.json$/i, "");
  const fields: readonly FeedField[] | undefined = (await getRegistry()).get(feedName) ?? kasperskyFeedFields(feedName);
  return fields === undefined ? feed : { ...feed, fields };
}

async function loadRegistry(path: string | undefined, deps: LoadFeedsDeps): Promise<FeedRegistry> {
  if (path === undefined) return new Map();
  if (deps.readRegistry === undefined) throw new Error(`Cannot read the feed registry ${path}: no reader was given`);
  let text: string;
  try {
    text = await deps.readRegistry(path);
  } catch (cause) {
    throw new Error(`Cannot read the feed registry ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  return parseFeedRegistry(text, path);
}

/** `feeds/x.csv:17: reason` for lines, `feeds/x.json: record 7: reason` for the rest. */
function locate(name: string, where: string, reason: string): string {
  return where.startsWith("line ") ? `${name}:${where.slice(5)}: ${reason}` : `${name}: ${where}: ${reason}`;
}
