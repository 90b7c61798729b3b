/**
 * A feed downloaded from a plain `http://` or `https://` URL: a conditional GET (ETag,
 * Last-Modified), redirects followed by hand and bounded, two timeouts, the size limit while
 * streaming, and a zip body reduced to its one member. Implements {@link FeedSource}.
 */
import { Buffer } from "node:buffer";
import { open, rename, unlink } from "node:fs/promises";
import { formatByteSize } from "../io/byte_size.ts";
import type { HttpFetch } from "../runtime/http_fetch.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedSource, FetchOutcome, FetchRequest } from "./feed_source.ts";
import { redactSecrets, shownUrl, urlSecrets } from "../io/redact_secrets.ts";
import { extractZipMember, ZIP_MAGIC } from "./_zip_member.ts";

/** Redirects followed at most, as curl's and browsers' lower bounds suggest; a loop fails sooner. */
export const MAX_REDIRECTS = 5;

/** What a plain URL source needs. */
export interface HttpFeedSourceOptions {
  readonly url: string;
  /** Request headers from the config (`<Header name=…>`): their values are secrets. */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  /** The proxy for a request URL (redirects may change host), or undefined for none. */
  readonly proxyFor: (url: string) => string | undefined;
  /** Credentials of the proxy (`http://user:pw@proxy:3128`), hidden like the feed's own. */
  readonly proxySecrets?: readonly string[];
  /** PEM of the CAs to trust (`ca_file`). */
  readonly caPem?: string;
  /** Milliseconds until the response head arrives. */
  readonly connectTimeoutMs: number;
  /** Milliseconds for the whole download, redirects included. */
  readonly timeoutMs: number;
  /** Bytes of the body at most (the feed's max_file_size). */
  readonly maxBytes: number;
  /** Bytes of a zip member once inflated (max_decompressed_size). */
  readonly maxDecompressedBytes: number;
  readonly zipMember?: string;
  readonly userAgent: string;
  readonly fetch: HttpFetch;
}

/** Why the abort controller fired. */
type TimeoutKind = "connect" | "total";

/**
 * A plain URL as a {@link FeedSource}. The state it keeps is `etag` and `last_modified`; a 304
 * with them is `unchanged`. Credentials in the URL (`https://user:pw@host/`) are sent as HTTP
 * Basic; they and the header values are dropped when a redirect leaves the URL's origin.
 *
 * @example
 * ```ts
 * const source = new HttpFeedSource({ url, headers: [], proxyFor: () => undefined, connectTimeoutMs: 30_000,
 *   timeoutMs: 300_000, maxBytes: 2 ** 30, maxDecompressedBytes: 2 ** 30, userAgent: "ioclens", fetch: httpFetch });
 * await source.fetch({ state: {}, target: "/var/lib/ioclens/bases/x.csv.download" }); // { kind: "changed", bytes: 1234, … }
 * ```
 */
export class HttpFeedSource implements FeedSource {
  readonly describe: string;
  readonly secrets: readonly string[];
  readonly #options: HttpFeedSourceOptions;
  readonly #url: string;
  readonly #credentials: Record<string, string>;

  constructor(options: HttpFeedSourceOptions) {
    this.#options = options;
    this.describe = shownUrl(options.url);
    this.secrets = [...urlSecrets(options.url), ...options.headers.map((h) => h.value), ...(options.proxySecrets ?? [])];
    const parsed = new URL(options.url);
    this.#credentials = {};
    if (parsed.username !== "" || parsed.password !== "") {
      const basic = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString("base64");
      this.#credentials["authorization"] = `Basic ${basic}`;
      this.secrets = [...this.secrets, basic];
    }
    for (const header of options.headers) this.#credentials[header.name.toLowerCase()] = header.value;
    parsed.username = "";
    parsed.password = "";
    this.#url = parsed.href;
  }

  async fetch(request: FetchRequest): Promise<FetchOutcome> {
    const o = this.#options;
    const controller = new AbortController();
    let timedOut: TimeoutKind | undefined;
    const fire = (kind: TimeoutKind) => () => {
      timedOut ??= kind;
      controller.abort();
    };
    const total = setTimeout(fire("total"), o.timeoutMs);
    const progress = { bytes: 0, contentLength: undefined as number | undefined };
    try {
      return await this.#exchange(request, controller.signal, fire("connect"), progress);
    } catch (error) {
      const outcome = timedOut === undefined ? failureOf(error, progress) : timeoutFailure(timedOut, o, progress);
      return { ...outcome, error: redactSecrets(outcome.error, this.secrets) };
    } finally {
      clearTimeout(total);
    }
  }

  async #exchange(request: FetchRequest, signal: AbortSignal, onConnectTimeout: () => void, progress: { bytes: number; contentLength: number | undefined }): Promise<FetchOutcome> {
    const o = this.#options;
    const conditional: Record<string, string> = {};
    if (request.state["etag"] !== undefined) conditional["if-none-match"] = request.state["etag"];
    if (request.state["last_modified"] !== undefined) conditional["if-modified-since"] = request.state["last_modified"];
    const origin = new URL(this.#url).origin;
    const visited = new Set<string>();
    let url = this.#url;
    for (let redirects = 0; ; redirects++) {
      visited.add(url);
      const sameOrigin = new URL(url).origin === origin;
      const headers = { "user-agent": o.userAgent, "accept-encoding": "identity", ...(sameOrigin ? this.#credentials : {}), ...conditional };
      const connect = setTimeout(onConnectTimeout, o.connectTimeoutMs);
      let response: Response;
      try {
        response = await o.fetch(url, { headers, signal, proxy: o.proxyFor(url), ...(o.caPem === undefined ? {} : { caPem: o.caPem }) });
      } finally {
        clearTimeout(connect);
      }
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && response.status !== 304 && location !== null) {
        await response.body?.cancel().catch(() => {});
        const next = new URL(location, url).href;
        if (visited.has(next)) return failed(`redirect loop: ${shownUrl(url)} sends back to ${shownUrl(next)}, visited before`, false, response.status);
        if (redirects + 1 > MAX_REDIRECTS) return failed(`too many redirects: found more than ${MAX_REDIRECTS}, expected at most ${MAX_REDIRECTS} (last to ${shownUrl(next)})`, false, response.status);
        url = next;
        continue;
      }
      return this.#answer(response, request, progress);
    }
  }

  async #answer(response: Response, request: FetchRequest, progress: { bytes: number; contentLength: number | undefined }): Promise<FetchOutcome> {
    const o = this.#options;
    const status = response.status;
    const etag = response.headers.get("etag") ?? (status === 304 ? request.state["etag"] : undefined);
    const facts = { status, ...(etag === undefined ? {} : { etag }) };
    if (status === 304) {
      await response.body?.cancel().catch(() => {});
      if (request.state["etag"] === undefined && request.state["last_modified"] === undefined) return failed("HTTP 304 Not Modified to a request without validators: expected 200", false, status);
      return { kind: "unchanged", state: request.state, ...facts };
    }
    if (status !== 200) {
      await response.body?.cancel().catch(() => {});
      const retryable = status >= 500 || status === 408 || status === 429;
      const outcome = failed(`HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}: expected 200 or 304`, retryable, status);
      const retryAfterMs = retryable ? parseRetryAfter(response.headers.get("retry-after"), Date.now()) : undefined;
      return retryAfterMs === undefined ? outcome : { ...outcome, retryAfterMs };
    }
    const declared = response.headers.get("content-length");
    progress.contentLength = declared === null || response.headers.get("content-encoding") ? undefined : Number(declared);
    if (progress.contentLength !== undefined && progress.contentLength > o.maxBytes) {
      await response.body?.cancel().catch(() => {});
      return failed(`Content-Length ${progress.contentLength} exceeds max_file_size ${formatByteSize(o.maxBytes)}`, false, status);
    }
    const overLimit = await this.#save(response, request.target, progress);
    if (overLimit) return failed(`body exceeds max_file_size ${formatByteSize(o.maxBytes)}: stopped at byte ${progress.bytes}`, false, status);
    if (progress.contentLength !== undefined && progress.bytes !== progress.contentLength) {
      return failed(`body cut short: found ${progress.bytes} bytes, expected ${progress.contentLength} (Content-Length)`, true, status);
    }
    await this.#unzipIfZip(request.target);
    const state: Record<string, string> = {};
    if (etag !== undefined) state["etag"] = etag;
    const lastModified = response.headers.get("last-modified");
    if (lastModified !== null) state["last_modified"] = lastModified;
    return { kind: "changed", state, bytes: progress.bytes, ...facts };
  }

  /** Streams the body to `target`; true when it stopped at the size limit. */
  async #save(response: Response, target: string, progress: { bytes: number }): Promise<boolean> {
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(target, "w");
    } catch (error) {
      await response.body?.cancel().catch(() => {});
      throw new FeedError(`cannot write the download to ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      if (response.body === null) return false;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return false;
        if (progress.bytes + value.length > this.#options.maxBytes) {
          await reader.cancel().catch(() => {});
          return true;
        }
        progress.bytes += value.length;
        await file.write(value);
      }
    } finally {
      await file.close();
    }
  }

  async #unzipIfZip(target: string): Promise<void> {
    const file = await open(target, "r");
    const head = Buffer.alloc(4);
    try {
      await file.read(head, 0, 4, 0);
    } finally {
      await file.close();
    }
    if (!ZIP_MAGIC.every((byte, i) => head[i] === byte)) return;
    const member = `${target}.member`;
    try {
      await extractZipMember(target, member, this.#options.zipMember, this.#options.maxDecompressedBytes);
      await rename(member, target);
    } finally {
      await unlink(member).catch(() => {});
    }
  }
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) in ms from `now`: delay-seconds or an HTTP-date; undefined when
 * absent or unreadable (the usual back-off applies then).
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only an HTTP-date (IMF-fixdate ends in GMT): Date.parse would read "-5" as a year.
  const at = text.endsWith("GMT") ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function failed(error: string, retryable: boolean, status?: number): FetchOutcome {
  return { kind: "failed", error, retryable, ...(status === undefined ? {} : { status }) };
}

function timeoutFailure(kind: TimeoutKind, o: HttpFeedSourceOptions, progress: { bytes: number; contentLength: number | undefined }): FetchOutcome & { kind: "failed" } {
  if (kind === "connect") return { kind: "failed", error: `no response within connect_timeout ${seconds(o.connectTimeoutMs)}`, retryable: true };
  const expected = progress.contentLength === undefined ? "" : `, expected ${progress.contentLength}`;
  return { kind: "failed", error: `download not finished within timeout ${seconds(o.timeoutMs)}: found ${progress.bytes} bytes${expected}`, retryable: true };
}

/** A thrown error as a failure: bad certificates and feed errors (zip) are not worth retrying. */
function failureOf(error: unknown, progress: { bytes: number; contentLength: number | undefined }): FetchOutcome & { kind: "failed" } {
  if (error instanceof FeedError) return { kind: "failed", error: error.message, retryable: false };
  const e = error as { message?: string; code?: string };
  const message = `${e.message ?? String(error)}${e.code && !String(e.message).includes(e.code) ? ` (${e.code})` : ""}`;
  if (/CERT|SSL|TLS|certificate|self.signed/i.test(`${e.code ?? ""} ${message}`)) return { kind: "failed", error: `TLS: ${message}`, retryable: false };
  if (progress.bytes > 0 || progress.contentLength !== undefined) {
    const expected = progress.contentLength === undefined ? "" : `, expected ${progress.contentLength}`;
    return { kind: "failed", error: `body cut short: the connection failed after ${progress.bytes} bytes${expected}: ${message}`, retryable: true };
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ConnectionRefused|Unable to connect/i.test(`${e.code ?? ""} ${message}`)) return { kind: "failed", error: `cannot connect: ${message}`, retryable: true };
  return { kind: "failed", error: `the connection failed before the response was complete: ${message}`, retryable: true };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
