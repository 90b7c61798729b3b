/**
 * A MISP API client: asks `/attributes/restSearch` for the attributes changed since the last
 * poll and folds them into the feed's copy, which readMispAttributesFeed then indexes.
 *
 * The cursor (the newest attribute `timestamp` seen) is stored inside the copy, as
 * `x_ioclens_timestamp`, so copy and cursor are swapped in together. MISP's `timestamp` filter
 * keeps attributes at or after the value, so the attributes of the cursor's own second come back
 * on the next poll; merging by `uuid` keeps one copy of each, and an interrupted poll leaves the
 * previous copy and cursor, so the next one asks again from there: nothing is lost or doubled.
 */
import { FeedError } from "./feed_error.ts";
import { fetchJson, parseJsonObject, type FeedFetch } from "./_feed_http.ts";
import { countDropped, type FeedPoll } from "./polling_feed_source.ts";
import { mispAttributes, mispLeftOut, type MispAttribute } from "./read_misp_attributes_feed.ts";

/** Where and how to ask. */
export interface MispApiFeed {
  /** The MISP server's base URL (`https://misp.example`); `/attributes/restSearch` is added. */
  readonly url: string;
  /** The API key, sent as the `Authorization` header. */
  readonly key: string;
  /** Attributes per page; default 5000. */
  readonly pageSize?: number;
}

/** What a poll found (the same for every polled protocol). */
export type MispPoll = FeedPoll;

/** Pages one poll may take: a server that never sends a short page must not hang a refresh. */
const MAX_PAGES = 100_000;

/**
 * Polls `feed` and merges into `previous` (the last copy this function returned, or undefined).
 * The first poll asks for every `to_ids` attribute; later ones for every attribute changed since
 * the cursor, deleted ones included, so an attribute deleted or no longer `to_ids` leaves the
 * copy. The copy keeps only attributes the reader indexes (isIndexedMispAttribute). Throws FeedError on an HTTP error or an answer without attributes; the key never
 * appears in a message.
 *
 * @example
 * ```ts
 * const poll = await pollMispApi({ url: "https://misp.example", key }, previousText, { fetch });
 * if (poll.changed) await writeFile("misp.json", poll.text);
 * ```
 */
export async function pollMispApi(feed: MispApiFeed, previous: string | undefined, deps: { readonly fetch: FeedFetch }): Promise<MispPoll> {
  const { attributes, cursor } = parseCopy(previous);
  const url = new URL("attributes/restSearch", feed.url.endsWith("/") ? feed.url : `${feed.url}/`).href;
  const limit = feed.pageSize ?? 5000;
  const filter = cursor === undefined ? { to_ids: 1 } : { timestamp: cursor, deleted: [0, 1] };
  let received = 0;
  let changes = 0;
  let removed = 0;
  const dropped: Record<string, number> = {};
  let newest = cursor;
  let page = 1;
  for (; ; page++) {
    if (page > MAX_PAGES) throw new FeedError(`MISP ${url}: more than ${MAX_PAGES} pages in one poll`);
    const { body } = await fetchJson(deps.fetch, url, { method: "POST", accept: "application/json", auth: { kind: "key", key: feed.key }, what: "MISP", body: { returnFormat: "json", page, limit, ...filter } });
    const batch = mispAttributes(body);
    if (batch === undefined) throw new FeedError(`MISP ${url}: expected {"response": {"Attribute": [...]}}, got ${describe(body)}`);
    for (const attribute of batch) {
      received++;
      // MISP gives every attribute a uuid; one without cannot be merged and is left out, counted.
      const key = attribute.uuid;
      if (key === undefined) {
        countDropped(dropped, "no uuid");
        continue;
      }
      const stamp = String(attribute.timestamp ?? "");
      if (newest === undefined || Number(stamp) > Number(newest)) newest = stamp;
      const held = attributes.get(key);
      const leftOut = mispLeftOut(attribute);
      if (leftOut === undefined) {
        if (held === undefined || String(held.timestamp ?? "") !== stamp) changes++;
        attributes.set(key, attribute);
        continue;
      }
      countDropped(dropped, leftOut);
      if (attributes.delete(key)) removed++;
    }
    if (batch.length < limit) break;
  }
  if (changes === 0 && removed === 0 && newest === cursor) return { changed: false };
  const copy = { x_ioclens_timestamp: newest, Attribute: [...attributes.values()] };
  return { changed: true, text: `${JSON.stringify(copy)}\n`, ...(newest === undefined ? {} : { cursor: newest }), received, pages: page, removed, dropped };
}

function parseCopy(text: string | undefined): { attributes: Map<string, MispAttribute>; cursor?: string } {
  const attributes = new Map<string, MispAttribute>();
  const copy = parseJsonObject(text) as { Attribute?: unknown; x_ioclens_timestamp?: unknown } | undefined;
  // A copy that is not ours cannot be merged into: start over from the server.
  if (copy === undefined || !Array.isArray(copy.Attribute)) return { attributes };
  for (const attribute of copy.Attribute as MispAttribute[]) if (typeof attribute?.uuid === "string") attributes.set(attribute.uuid, attribute);
  return typeof copy.x_ioclens_timestamp === "string" ? { attributes, cursor: copy.x_ioclens_timestamp } : { attributes };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `an object with ${Object.keys(value).slice(0, 5).join(", ") || "no keys"}` : typeof value;
}
