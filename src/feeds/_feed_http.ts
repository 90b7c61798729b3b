/**
 * HTTP for the feed clients (TAXII, MISP): a JSON request through an injected fetch, with the
 * credentials in a header that never reaches a message, and failures as one-line FeedErrors.
 */
import { Buffer } from "node:buffer";
import { FeedError } from "./feed_error.ts";

/** The part of the web `fetch` the clients use; production passes the runtime's, tests a real one against a local server. */
export type FeedFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

/**
 * Thrown by {@link fetchJson} when the exchange itself failed: no answer, or a status other than
 * 2xx. `retryable` says whether trying again soon may help (no answer, 5xx, 408, 429).
 */
export class FeedHttpError extends FeedError {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "FeedHttpError";
  }
}

/** How a client proves who it is: HTTP Basic, a bearer token, or a raw `Authorization` value (MISP's API key). */
export type FeedAuth =
  | { readonly kind: "basic"; readonly user: string; readonly password: string }
  | { readonly kind: "bearer"; readonly token: string }
  | { readonly kind: "key"; readonly key: string };

export interface JsonRequest {
  readonly accept: string;
  readonly auth?: FeedAuth | undefined;
  /** What is asked, for messages: "TAXII collection". */
  readonly what: string;
  readonly method?: "GET" | "POST";
  readonly body?: unknown;
  /** Bytes of the response body at most; default 1 GiB. */
  readonly maxBytes?: number;
}

/** `text` parsed when it is a JSON object; undefined when it is absent, not JSON or not an object (a copy to start over from). */
export function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `Authorization` header value of `auth`. */
export function authorization(auth: FeedAuth): string {
  if (auth.kind === "basic") return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`;
  return auth.kind === "bearer" ? `Bearer ${auth.token}` : auth.key;
}

/**
 * Sends one request and parses the JSON answer. Throws FeedError naming `what` and the URL (never
 * a header) when the request fails, the status is not 2xx, the body is larger than `maxBytes`
 * or is not JSON.
 */
export async function fetchJson(fetch: FeedFetch, url: string, request: JsonRequest): Promise<{ body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { Accept: request.accept };
  if (request.auth !== undefined) headers["Authorization"] = authorization(request.auth);
  if (request.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, { method: request.method ?? "GET", headers, ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}) });
  } catch (error) {
    // A redirect loop is the server's answer, not a network failure: trying again will not help.
    if (error instanceof FeedError) throw new FeedError(`${request.what} ${url}: ${error.message}`);
    throw new FeedHttpError(`${request.what} ${url}: request failed: ${(error as Error).message}`, true);
  }
  if (response.status < 200 || response.status > 299) {
    await response.body?.cancel().catch(() => {});
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new FeedHttpError(`${request.what} ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}, expected 200`, retryable, response.status);
  }
  const text = await boundedText(response, request.maxBytes ?? 2 ** 30, `${request.what} ${url}`);
  try {
    return { body: JSON.parse(text) as unknown, headers: response.headers };
  } catch (error) {
    throw new FeedError(`${request.what} ${url}: the answer is not JSON: ${(error as Error).message}`);
  }
}

async function boundedText(response: Response, maxBytes: number, what: string): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new FeedError(`${what}: the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
