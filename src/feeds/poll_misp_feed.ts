/**
 * A MISP feed client: reads a feed's `manifest.json` (event uuid → timestamp, as MISP's "feed"
 * export and CIRCL's OSINT feed publish it), fetches the `<uuid>.json` of each event that is new
 * or changed, and keeps the `to_ids` attributes of all current events as the feed's copy.
 *
 * The timestamps of the events in the copy are stored inside it (`x_ioclens_events`), so copy
 * and cursor are swapped in together: a poll that fails at any event keeps the previous copy,
 * the next one fetches the same events again, and an event's attributes are replaced as a whole,
 * so none is lost or doubled. An event gone from the manifest takes its attributes with it.
 */
import { fileURLToPath } from "node:url";
import { FeedError } from "./feed_error.ts";
import { fetchJson, parseJsonObject, type FeedAuth, type FeedFetch } from "./_feed_http.ts";
import { eventAttributes, mispLeftOut, type MispAttribute } from "./read_misp_attributes_feed.ts";
import type { MispPoll } from "./poll_misp_api.ts";
import { countDropped } from "./polling_feed_source.ts";

/** Where the feed is: `https://…/feed/` or a `file:` URL of a folder. */
export interface MispFeedSource {
  readonly url: string;
  readonly auth?: FeedAuth;
}

export interface MispFeedDeps {
  readonly fetch: FeedFetch;
  /** Reads a local file as text, for `file:` URLs. */
  readonly readFile: (path: string) => Promise<string>;
}

/**
 * Polls the feed at `source` and merges into `previous` (the last copy this function returned,
 * or undefined). Unchanged when every event of the manifest has the timestamp the copy holds.
 * Throws FeedError when the manifest or an event cannot be read or is not MISP's JSON.
 *
 * @example
 * ```ts
 * const poll = await pollMispFeed({ url: "https://www.circl.lu/doc/misp/feed-osint/" }, previous, { fetch, readFile });
 * ```
 */
export async function pollMispFeed(source: MispFeedSource, previous: string | undefined, deps: MispFeedDeps): Promise<MispPoll> {
  const base = source.url.endsWith("/") ? source.url : `${source.url}/`;
  const held = parseCopy(previous);
  const manifest = await getJson(source, new URL("manifest.json", base).href, deps);
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) throw new FeedError(`MISP feed ${base}manifest.json: expected an object of events by uuid, got ${Array.isArray(manifest) ? "an array" : typeof manifest}`);
  const events: Record<string, string> = {};
  const attributes: MispAttribute[] = [];
  let received = 0;
  const dropped: Record<string, number> = {};
  let fetched = 0;
  for (const [uuid, entry] of Object.entries(manifest as Record<string, { timestamp?: unknown }>)) {
    if (!/^[0-9a-f-]{36}$/i.test(uuid)) throw new FeedError(`MISP feed ${base}manifest.json: "${uuid.slice(0, 60)}" is not an event uuid`);
    const stamp = String(entry?.timestamp ?? "");
    events[uuid] = stamp;
    const kept = held.events[uuid] === stamp ? (held.byEvent.get(uuid) ?? []) : undefined;
    if (kept !== undefined) {
      attributes.push(...kept);
      continue;
    }
    const url = new URL(`${uuid}.json`, base).href;
    const document = (await getJson(source, url, deps)) as { Event?: unknown };
    if (typeof document?.Event !== "object" || document.Event === null) throw new FeedError(`MISP feed ${url}: expected {"Event": {...}}`);
    fetched++;
    const all = eventAttributes({ ...(document.Event as object), uuid } as Parameters<typeof eventAttributes>[0]);
    received += all.length;
    for (const attribute of all) {
      const leftOut = mispLeftOut(attribute);
      if (leftOut === undefined) attributes.push(attribute);
      else countDropped(dropped, leftOut);
    }
  }
  const gone = Object.keys(held.events).filter((uuid) => !(uuid in events));
  if (fetched === 0 && gone.length === 0) return { changed: false };
  const removed = gone.reduce((sum, uuid) => sum + (held.byEvent.get(uuid)?.length ?? 0), 0);
  const copy = { x_ioclens_events: events, Attribute: attributes };
  return { changed: true, text: `${JSON.stringify(copy)}\n`, received, pages: fetched, removed, dropped };
}

async function getJson(source: MispFeedSource, url: string, deps: MispFeedDeps): Promise<unknown> {
  if (!url.startsWith("file:")) return (await fetchJson(deps.fetch, url, { accept: "application/json", auth: source.auth, what: "MISP feed" })).body;
  const path = fileURLToPath(url);
  let text: string;
  try {
    text = await deps.readFile(path);
  } catch (error) {
    throw new FeedError(`MISP feed ${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FeedError(`MISP feed ${path}: not JSON: ${(error as Error).message}`);
  }
}

function parseCopy(text: string | undefined): { events: Record<string, string>; byEvent: Map<string, MispAttribute[]> } {
  const byEvent = new Map<string, MispAttribute[]>();
  const copy = parseJsonObject(text) as { x_ioclens_events?: unknown; Attribute?: unknown } | undefined;
  // A copy that is not ours cannot be merged into: start over from the server.
  if (copy === undefined || !Array.isArray(copy.Attribute) || typeof copy.x_ioclens_events !== "object" || copy.x_ioclens_events === null) return { events: {}, byEvent };
  for (const attribute of copy.Attribute as MispAttribute[]) {
    const uuid = attribute?.event_uuid ?? "";
    const list = byEvent.get(uuid);
    if (list === undefined) byEvent.set(uuid, [attribute]);
    else list.push(attribute);
  }
  return { events: copy.x_ioclens_events as Record<string, string>, byEvent };
}
