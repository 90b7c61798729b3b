/**
 * Picks the {@link FeedSource} of a feed with a `url`: a plain URL ({@link HttpFeedSource}), or by
 * the feed's format a protocol that fetches only what changed (a TAXII collection, a MISP API,
 * a MISP feed), as a {@link PollingFeedSource}.
 */
import { readFile } from "node:fs/promises";
import { DEFAULT_FEED_LIMITS, type FeedConfig, type FeedsSettings } from "./feed_config.ts";
import type { HttpFetch } from "../runtime/http_fetch.ts";
import type { FeedSource } from "./feed_source.ts";
import { authorization, type FeedAuth, type FeedFetch } from "./_feed_http.ts";
import { HttpFeedSource } from "./http_feed_source.ts";
import { proxyFor, type ProxyEnv } from "./_proxy_for.ts";
import { feedFetchOf, PollingFeedSource, type Poll } from "./polling_feed_source.ts";
import { pollTaxii } from "./poll_taxii.ts";
import { pollMispApi } from "./poll_misp_api.ts";
import { pollMispFeed } from "./poll_misp_feed.ts";
import { shownUrl, urlSecrets } from "../io/redact_secrets.ts";

/** What every source may need from the world. */
export interface FeedSourceDeps {
  readonly fetch: HttpFetch;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (and their lower-case spellings). */
  readonly env: ProxyEnv;
  readonly userAgent: string;
  /** Milliseconds since the epoch, for TAXII's `valid_until`; default Date.now. */
  readonly now?: () => number;
}

/** The poll of a feed whose format has its own protocol; undefined for a plain download. */
function pollOf(feed: FeedConfig, deps: { fetch: FeedFetch; readFile: (path: string) => Promise<string>; now: () => number }): Poll | undefined {
  const remote = feed.remote!;
  const { url, auth } = withoutCredentials(remote.url);
  if (feed.format === "taxii") {
    const taxii = { url, ...(auth === undefined ? {} : { auth }), ...(remote.collection === undefined ? {} : { collection: remote.collection }) };
    return (previous) => pollTaxii(taxii, previous, deps);
  }
  if (feed.format === "misp-api") {
    const key = remote.headers.find((h) => h.name.toLowerCase() === "authorization")?.value ?? "";
    return (previous) => pollMispApi({ url, key }, previous, deps);
  }
  if (feed.format === "misp-feed") return (previous) => pollMispFeed({ url, ...(auth === undefined ? {} : { auth }) }, previous, deps);
  return undefined;
}

/** `https://user:password@host/…` as the URL without them and HTTP Basic credentials, as a plain download sends them. */
function withoutCredentials(url: string): { url: string; auth?: FeedAuth } {
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return { url };
  const auth: FeedAuth = { kind: "basic", user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.href, auth };
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
  const proxySecrets = [configured, deps.env["HTTPS_PROXY"], deps.env["https_proxy"], deps.env["HTTP_PROXY"], deps.env["http_proxy"]].flatMap((proxy) => (proxy ? urlSecrets(proxy) : []));
  const polled = pollOf(feed, {
    fetch: feedFetchOf(deps.fetch, {
      // MISP's key is sent by pollMispApi itself; every other header as configured.
      headers: feed.format === "misp-api" ? remote.headers.filter((h) => h.name.toLowerCase() !== "authorization") : remote.headers,
      proxyFor: (url) => proxyFor(url, configured, deps.env),
      ...(caPem === undefined ? {} : { caPem }),
      timeoutMs: remote.timeoutSeconds * 1000,
      userAgent: deps.userAgent,
    }),
    readFile: (path) => readFile(path, "utf8"),
    now: deps.now ?? Date.now,
  });
  if (polled !== undefined) {
    const basic = withoutCredentials(remote.url).auth;
    const secrets = [...urlSecrets(remote.url), ...remote.headers.map((h) => h.value), ...proxySecrets, ...(basic === undefined ? [] : [authorization(basic)])];
    return new PollingFeedSource(`${feed.format} ${shownUrl(remote.url)}`, secrets, polled);
  }
  return new HttpFeedSource({
    url: remote.url,
    headers: remote.headers,
    proxyFor: (url) => proxyFor(url, configured, deps.env),
    proxySecrets,
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
