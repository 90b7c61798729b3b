/**
 * The one `fetch` call of ioclens that needs options the runtimes spell differently: a proxy, a
 * custom CA and the body as it came off the wire. Everything else about downloading (redirects,
 * limits, retries, conditional requests) is portable code in src/feeds/.
 *
 * | option                   | Bun                          | Deno                                         |
 * |--------------------------|------------------------------|----------------------------------------------|
 * | proxy                    | `fetch(url, { proxy })`      | `Deno.createHttpClient({ proxy: { url } })`  |
 * | trust a CA file          | `fetch(url, { tls: { ca } })`| `Deno.createHttpClient({ caCerts: [pem] })`  |
 * | body not decompressed    | `decompress: false`          | not available: callers ask for `identity`    |
 *
 * With `tls.ca` Bun trusts only the given CAs (Mozilla's roots are replaced), and Deno adds them
 * to its roots; a feed's `ca_file` should hold the root of the server's chain either way.
 * Redirects are never followed here (`redirect: "manual"`): the caller counts them and drops
 * credentials that would cross to another origin.
 */

/** What one request needs beside its URL. */
export interface HttpFetchOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** `http://host:port` of a proxy; absent: connect directly (Bun may still honour the environment's proxy variables). */
  readonly proxy?: string;
  /** PEM text of the CA certificates to trust for this request. */
  readonly caPem?: string;
  /** Default GET; POST for APIs that take a query body (MISP restSearch). */
  readonly method?: "GET" | "POST";
  readonly body?: string;
}

/** Sends a GET (or the POST `options` ask for) and resolves with the response head; its body streams as it arrives. */
export type HttpFetch = (url: string, options: HttpFetchOptions) => Promise<Response>;

interface DenoHttpClient {
  close(): void;
}
declare const Deno: { createHttpClient(options: { proxy?: { url: string }; caCerts?: string[] }): DenoHttpClient } | undefined;
declare const Bun: unknown;

/** Deno clients by their proxy and CA, made once: each holds a connection pool. */
const denoClients = new Map<string, DenoHttpClient>();

/**
 * GET `url` with the runtime's fetch: no redirect followed, the body not decompressed.
 *
 * @example
 * ```ts
 * const response = await httpFetch("https://example.com/feed.csv", { headers: {}, signal: AbortSignal.timeout(30_000) });
 * response.status; // 200
 * ```
 */
export const httpFetch: HttpFetch = (url, options) => {
  const base = { method: options.method ?? "GET", headers: options.headers, signal: options.signal, redirect: "manual" as const, ...(options.body === undefined ? {} : { body: options.body }) };
  if (typeof Deno !== "undefined") {
    const init: Record<string, unknown> = { ...base };
    if (options.proxy !== undefined || options.caPem !== undefined) init["client"] = denoClient(options.proxy, options.caPem);
    return fetch(url, init as RequestInit);
  }
  if (typeof Bun === "undefined" && (options.proxy !== undefined || options.caPem !== undefined)) {
    return Promise.reject(new Error("Cannot download with a proxy or CA file on this runtime: found Node.js, expected Bun or Deno"));
  }
  const init: Record<string, unknown> = { ...base, decompress: false };
  if (options.proxy !== undefined) init["proxy"] = options.proxy;
  if (options.caPem !== undefined) init["tls"] = { ca: options.caPem };
  return fetch(url, init as RequestInit);
};

function denoClient(proxy: string | undefined, caPem: string | undefined): DenoHttpClient {
  const key = `${proxy ?? ""}\n${caPem ?? ""}`;
  let client = denoClients.get(key);
  if (client === undefined) {
    client = Deno!.createHttpClient({ ...(proxy === undefined ? {} : { proxy: { url: proxy } }), ...(caPem === undefined ? {} : { caCerts: [caPem] }) });
    denoClients.set(key, client);
  }
  return client;
}
