/**
 * A TAXII 2.1 client for one collection: fetches the objects added since the last poll and
 * folds them into the feed's STIX bundle, which the STIX reader then indexes.
 *
 * The cursor (`added_after`) travels inside the bundle it belongs to, as the custom property
 * `x_ioclens_added_after`, so the two are swapped in by one rename and can never disagree: a
 * poll interrupted at any page leaves the previous bundle and its cursor, the next poll asks
 * for the same objects again, and merging by `id` keeps one copy of each.
 */
import { FeedError } from "./feed_error.ts";
import { fetchJson, parseJsonObject, type FeedFetch, type FeedAuth } from "./_feed_http.ts";
import { countDropped, type FeedPoll } from "./polling_feed_source.ts";
import { isIndexedStixIndicator } from "./read_stix_feed.ts";

/** TAXII 2.1 §1.6.8: the media type of every TAXII resource. */
export const TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1";

/** Where and how to poll. */
export interface TaxiiFeed {
  /**
   * The collection (`…/collections/<id>/`), or a discovery or API root URL; those need
   * `collection` (an id or title) and are resolved on each poll.
   */
  readonly url: string;
  readonly collection?: string;
  readonly auth?: FeedAuth;
  /** Objects per page asked for (`limit`); the server may send fewer. */
  readonly pageSize?: number;
}

export interface TaxiiDeps {
  readonly fetch: FeedFetch;
  /** Milliseconds since the epoch: indicators whose `valid_until` has passed are dropped. */
  readonly now: () => number;
}

/** What a poll found (the same for every polled protocol). */
export type TaxiiPoll = FeedPoll;

/** A STIX object as far as merging needs it. */
interface StixObject {
  readonly id: string;
  readonly type?: string;
  readonly modified?: string;
  readonly revoked?: boolean;
  readonly valid_until?: string;
  readonly [key: string]: unknown;
}

/** Pages one poll may take before it fails: a server whose `next` never ends must not hang a refresh. */
const MAX_PAGES = 10_000;

/**
 * Polls `feed` and merges what is new into `previous` (the last bundle this function returned,
 * or undefined): newer versions of an object replace older ones (by `modified`), revoked
 * indicators and those whose `valid_until` is past are removed. Unchanged when nothing was
 * added and nothing expired. Throws {@link FeedError} on an HTTP error, a body that is not a
 * TAXII envelope, or a `next` that repeats.
 *
 * @example
 * ```ts
 * const poll = await pollTaxii({ url: "https://taxii.example/api1/collections/91a7b528/" }, undefined, { fetch, now: Date.now });
 * if (poll.changed) await writeFile("taxii.json", poll.text);
 * ```
 */
export async function pollTaxii(feed: TaxiiFeed, previous: string | undefined, deps: TaxiiDeps): Promise<TaxiiPoll> {
  const { objects, cursor } = parseBundle(previous);
  const collection = await collectionUrl(feed, deps.fetch);
  const received: StixObject[] = [];
  const dropped: Record<string, number> = {};
  let next: string | undefined;
  let last = cursor;
  let pages = 0;
  const seen = new Set<string>();
  do {
    const url = new URL("objects/", collection);
    if (cursor !== undefined) url.searchParams.set("added_after", cursor);
    if (feed.pageSize !== undefined) url.searchParams.set("limit", String(feed.pageSize));
    if (next !== undefined) url.searchParams.set("next", next);
    const { body, headers } = await fetchJson(deps.fetch, url.href, { accept: TAXII_MEDIA_TYPE, auth: feed.auth, what: "TAXII collection" });
    const envelope = body as { objects?: unknown; more?: unknown; next?: unknown } | null;
    if (typeof envelope !== "object" || envelope === null || Array.isArray(envelope)) throw new FeedError(`TAXII collection ${url.href}: expected an envelope object, got ${Array.isArray(envelope) ? "an array" : typeof envelope}`);
    if (envelope.objects !== undefined && !Array.isArray(envelope.objects)) throw new FeedError(`TAXII collection ${url.href}: objects must be an array, got ${typeof envelope.objects}`);
    for (const object of (envelope.objects ?? []) as unknown[]) {
      if (typeof object === "object" && object !== null && (object as StixObject).type === "indicator" && typeof (object as StixObject).id === "string") received.push(object as StixObject);
      else countDropped(dropped, "not an indicator");
    }
    last = headers.get("X-TAXII-Date-Added-Last") ?? last;
    pages++;
    next = envelope.more === true && typeof envelope.next === "string" && envelope.next !== "" ? envelope.next : undefined;
    if (next !== undefined) {
      if (seen.has(next)) throw new FeedError(`TAXII collection ${collection}: the server sent the page token "${next}" twice, expected each page once`);
      seen.add(next);
      if (pages >= MAX_PAGES) throw new FeedError(`TAXII collection ${collection}: more than ${MAX_PAGES} pages in one poll`);
    }
  } while (next !== undefined);

  for (const object of received) {
    const held = objects.get(object.id);
    if (held === undefined || !(String(held.modified ?? "") > String(object.modified ?? ""))) objects.set(object.id, object);
  }
  // Revoked, expired, and indicators the STIX reader cannot index (e-mail, AND patterns) leave the copy.
  const removed = dropRevokedAndExpired(objects, deps.now(), dropped);
  // A page of only non-indicators still moves the cursor, which must be kept.
  if (received.length === 0 && removed === 0 && last === cursor) return { changed: false };
  const bundle = { type: "bundle", id: "bundle--00000000-0000-4000-8000-000000000000", x_ioclens_added_after: last, objects: [...objects.values()] };
  return { changed: true, text: `${JSON.stringify(bundle)}\n`, ...(last === undefined ? {} : { cursor: last }), received: received.length, pages, removed, dropped };
}

function parseBundle(text: string | undefined): { objects: Map<string, StixObject>; cursor?: string } {
  const objects = new Map<string, StixObject>();
  const bundle = parseJsonObject(text);
  // A last copy that is not a bundle is not ours to merge into: start over from the server.
  if (bundle === undefined || !Array.isArray(bundle["objects"])) return { objects };
  for (const object of bundle["objects"] as StixObject[]) if (typeof object?.id === "string") objects.set(object.id, object);
  const cursor = bundle["x_ioclens_added_after"];
  return typeof cursor === "string" ? { objects, cursor } : { objects };
}

/** Removes indicators past their `valid_until` and those the STIX reader would skip (revoked ones too); returns how many. */
function dropRevokedAndExpired(objects: Map<string, StixObject>, now: number, dropped: Record<string, number>): number {
  let removed = 0;
  for (const [id, object] of objects) {
    const expired = typeof object.valid_until === "string" && Date.parse(object.valid_until) <= now;
    const reason = object.revoked === true ? "revoked" : expired ? "expired" : isIndexedStixIndicator(object) ? undefined : "pattern not indexed";
    if (reason === undefined) continue;
    objects.delete(id);
    countDropped(dropped, reason);
    removed++;
  }
  return removed;
}

/**
 * The collection's URL, ending in `/`: `feed.url` itself when it names one, else found through
 * discovery (its `default` API root, else the first) or an API root, by `feed.collection`.
 */
async function collectionUrl(feed: TaxiiFeed, fetch: FeedFetch): Promise<string> {
  const base = feed.url.endsWith("/") ? feed.url : `${feed.url}/`;
  if (/\/collections\/[^/]+\/$/.test(new URL(base).pathname)) return base;
  if (feed.collection === undefined) throw new FeedError(`TAXII feed ${feed.url}: not a collection URL (…/collections/<id>/), and no collection is named to look up`);
  const options = { accept: TAXII_MEDIA_TYPE, auth: feed.auth, what: "TAXII server" };
  let root = base;
  const first = (await fetchJson(fetch, base, options)).body as { api_roots?: unknown; default?: unknown };
  if (Array.isArray(first.api_roots)) {
    const chosen = typeof first.default === "string" ? first.default : first.api_roots[0];
    if (typeof chosen !== "string") throw new FeedError(`TAXII discovery ${base}: no API root listed`);
    root = new URL(chosen.endsWith("/") ? chosen : `${chosen}/`, base).href;
  }
  const listing = (await fetchJson(fetch, new URL("collections/", root).href, options)).body as { collections?: { id?: unknown; title?: unknown; can_read?: unknown }[] };
  const match = (listing.collections ?? []).find((c) => c.id === feed.collection || c.title === feed.collection);
  if (match === undefined || typeof match.id !== "string") {
    const names = (listing.collections ?? []).map((c) => `${String(c.id)} (${String(c.title)})`).join(", ") || "none";
    throw new FeedError(`TAXII API root ${root}: no collection "${feed.collection}", found ${names}`);
  }
  return new URL(`collections/${encodeURIComponent(match.id)}/`, root).href;
}
