/**
 * The {@link FeedSource} of the feeds that fetch only what changed (TAXII collections, a MISP
 * API, a MISP feed): it hands the last good copy to the protocol's poll function, writes the
 * merged copy it returns to the engine's target, and turns failures into the engine's outcomes.
 */
import { readFile, writeFile } from "node:fs/promises";
import { Buffer } from "node:buffer";
import type { HttpFetch } from "../runtime/http_fetch.ts";
import { redactSecrets, shownUrl } from "../io/redact_secrets.ts";
import { MAX_REDIRECTS } from "./http_feed_source.ts";
import { FeedError } from "./feed_error.ts";
import { FeedHttpError, type FeedFetch } from "./_feed_http.ts";
import type { FeedSource, FetchOutcome, FetchRequest } from "./feed_source.ts";

/** What a protocol's poll found: nothing new, or the whole new copy. */
export type FeedPoll =
  | { readonly changed: false }
  | {
      readonly changed: true;
      /** The new copy, its cursor inside. */
      readonly text: string;
      /** The cursor again, for /status: TAXII's `added_after`, MISP's newest `timestamp`. */
      readonly cursor?: string;
      /** Objects or attributes received, pages or event files fetched, entries removed. */
      readonly received: number;
      readonly pages: number;
      readonly removed: number;
      /** What this poll left out of the copy or took out of it, by reason (`revoked`, `not to_ids`). */
      readonly dropped: Readonly<Record<string, number>>;
    };

/** Adds one to `reason` in `counts`. */
export function countDropped(counts: Record<string, number>, reason: string): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}

/** A protocol's poll: the last good copy (or undefined) in, what changed out; throws FeedError. */
export type Poll = (previous: string | undefined) => Promise<FeedPoll>;

/**
 * A polling protocol as a FeedSource. Its state is the cursor, kept for /status and logs only:
 * the cursor that counts is the one inside the copy (docs/feeds.md, "Cursors"), so the state
 * file and the copy can never disagree about what was fetched.
 *
 * @example
 * ```ts
 * const source = new PollingFeedSource("TAXII https://taxii.example/…/", [token], (previous) => pollTaxii(feed, previous, deps).then(asPollResult));
 * await source.fetch({ state: {}, target: "/var/lib/ioclens/bases/taxii.json.download" }); // { kind: "changed", … }
 * ```
 */
export class PollingFeedSource implements FeedSource {
  constructor(
    readonly describe: string,
    readonly secrets: readonly string[],
    private readonly poll: Poll,
  ) {}

  async fetch(request: FetchRequest): Promise<FetchOutcome> {
    try {
      // A copy that is gone is a first poll; any other read error fails this refresh.
      const previous = request.previous === undefined ? undefined : await readFile(request.previous, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw new FeedError(`cannot read the last copy ${request.previous}: ${error.code ?? error.message}`);
      });
      const result = await this.poll(previous);
      if (!result.changed) return { kind: "unchanged", state: request.state, status: 200 };
      await writeFile(request.target, result.text);
      const dropped = Object.keys(result.dropped).length === 0 ? {} : { dropped: result.dropped };
      return { kind: "changed", state: result.cursor === undefined ? {} : { cursor: result.cursor }, bytes: Buffer.byteLength(result.text), status: 200, ...dropped };
    } catch (error) {
      const retryable = error instanceof FeedHttpError ? error.retryable : !(error instanceof FeedError);
      const status = error instanceof FeedHttpError && error.status !== undefined ? { status: error.status } : {};
      return { kind: "failed", error: redactSecrets((error as Error).message, this.secrets), retryable, ...status };
    }
  }
}

/** What {@link feedFetchOf} adds to every request. */
export interface FeedFetchOptions {
  /** Headers of the feed's config (`<Header>`), sent on every request. */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly proxyFor: (url: string) => string | undefined;
  readonly caPem?: string;
  /** Milliseconds one request may take, answer included. */
  readonly timeoutMs: number;
  readonly userAgent: string;
}

/**
 * A FeedFetch over the runtime's fetch: the config's headers, the user agent, the proxy and CA,
 * a timeout per request, `Accept-Encoding: identity` because the runtime's fetch leaves bodies
 * compressed (src/runtime/http_fetch.ts), and redirects followed by hand as a plain download
 * follows them: at most {@link MAX_REDIRECTS}, a loop fails, and the config's headers are not
 * sent to another origin. A 307 or 308 repeats a POST; the others continue with a GET.
 */
export function feedFetchOf(fetch: HttpFetch, options: FeedFetchOptions): FeedFetch {
  const configured = Object.fromEntries(options.headers.map((h) => [h.name.toLowerCase(), h.value]));
  return async (first, init) => {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const origin = new URL(first).origin;
    const visited = new Set<string>();
    let url = first;
    let method = init.method === "POST" ? ("POST" as const) : ("GET" as const);
    for (let redirects = 0; ; redirects++) {
      visited.add(url);
      const own = Object.fromEntries(Object.entries(init.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const credentials = new URL(url).origin === origin ? configured : {};
      const response = await fetch(url, {
        headers: { "user-agent": options.userAgent, ...own, ...credentials, "accept-encoding": "identity" },
        signal,
        method,
        ...(method === "POST" && init.body !== undefined ? { body: init.body } : {}),
        proxy: options.proxyFor(url),
        ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
      });
      const location = response.headers.get("location");
      if (response.status < 300 || response.status > 399 || response.status === 304 || location === null) return response;
      await response.body?.cancel().catch(() => {});
      const next = new URL(location, url).href;
      if (visited.has(next)) throw new FeedError(`redirect loop: ${shownUrl(url)} sends back to ${shownUrl(next)}, visited before`);
      if (redirects + 1 > MAX_REDIRECTS) throw new FeedError(`too many redirects: found more than ${MAX_REDIRECTS}, expected at most ${MAX_REDIRECTS} (last to ${shownUrl(next)})`);
      if (response.status !== 307 && response.status !== 308) method = "GET";
      url = next;
    }
  };
}
