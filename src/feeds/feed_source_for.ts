/**
 * Picks the {@link FeedSource} of a feed with a `url`: today every such feed is a plain URL
 * ({@link HttpFeedSource}); a protocol with its own source (TAXII, a MISP API) is chosen here by
 * the feed's format.
 */
import { readFile } from "node:fs/promises";
import { DEFAULT_FEED_LIMITS, type FeedConfig, type FeedsSettings } from "./feed_config.ts";
import type { HttpFetch } from "../runtime/http_fetch.ts";
import type { FeedSource } from "./feed_source.ts";
import { HttpFeedSource } from "./http_feed_source.ts";
import { urlSecrets } from "../io/redact_secrets.ts";
import { proxyFor, type ProxyEnv } from "./_proxy_for.ts";

/** What every source may need from the world. */
export interface FeedSourceDeps {
  readonly fetch: HttpFetch;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (and their lower-case spellings). */
  readonly env: ProxyEnv;
  readonly userAgent: string;
}

/**
 * The source of `feed` (which must have `remote`). Reads its `ca_file` now, so a missing file
 * fails this download with its path rather than the TLS handshake.
 *
 * @example
 * ```ts
 * const remote = new RemoteFeeds({ …, sourceFor: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: process.env, userAgent: "ioclens/1.0" }) });
 * ```
 */
export async function feedSourceFor(feed: FeedConfig, settings: FeedsSettings, deps: FeedSourceDeps): Promise<FeedSource> {
  const remote = feed.remote;
  if (remote === undefined) throw new Error(`feed ${feed.filename} has no url: expected a downloaded feed`);
  let caPem: string | undefined;
  if (remote.caFile !== undefined) {
    try {
      caPem = await readFile(remote.caFile, "utf8");
    } catch (error) {
      throw new Error(`cannot read ca_file ${remote.caFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const limits = feed.limits ?? DEFAULT_FEED_LIMITS;
  const configured = remote.proxy ?? settings.proxy;
  return new HttpFeedSource({
    url: remote.url,
    headers: remote.headers,
    proxyFor: (url) => proxyFor(url, configured, deps.env),
    proxySecrets: [configured, deps.env["HTTPS_PROXY"], deps.env["https_proxy"], deps.env["HTTP_PROXY"], deps.env["http_proxy"]].flatMap((proxy) => (proxy ? urlSecrets(proxy) : [])),
    ...(caPem === undefined ? {} : { caPem }),
    connectTimeoutMs: remote.connectTimeoutSeconds * 1000,
    timeoutMs: remote.timeoutSeconds * 1000,
    maxBytes: limits.maxFileBytes,
    maxDecompressedBytes: limits.maxDecompressedBytes,
    ...(remote.zipMember === undefined ? {} : { zipMember: remote.zipMember }),
    userAgent: deps.userAgent,
    fetch: deps.fetch,
  });
}
