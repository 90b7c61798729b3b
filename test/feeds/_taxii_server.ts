/**
 * A TAXII 2.1 server on port 0 for the feed client tests: discovery at `/taxii2/`, one API root
 * `/api1/`, collections whose objects carry a date added, pages of `pageSize` objects joined by
 * `more`/`next`, `added_after` honoured, credentials checked, and faults on request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const TAXII = "application/taxii+json;version=2.1";

export interface TaxiiServer {
  readonly url: string;
  /** Objects of a collection with the date each was added (RFC 3339, distinct, increasing). */
  readonly collections: Map<string, { title: string; objects: { added: string; object: Record<string, unknown> }[] }>;
  /** Every request: path with query, and its Authorization header. */
  readonly requests: { path: string; authorization?: string }[];
  /** Objects per page when the client asks for none (or more). */
  pageSize: number;
  /** `Authorization` value required; undefined: none. */
  authorization?: string;
  /** Answer the request numbered so (0-based, counting object pages only) with this status. */
  failPage?: { index: number; status: number };
  /** Always answer `more` with this token (a server stuck in a loop). */
  stuckNext?: string;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startTaxiiServer(): Promise<TaxiiServer> {
  let objectPages = 0;
  const server = createServer((req, res) => answer(state, req, res));
  const state: TaxiiServer & { nextPage(): number } = {
    url: "",
    collections: new Map(),
    requests: [],
    pageSize: 2,
    nextPage: () => objectPages++,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function answer(state: TaxiiServer & { nextPage(): number }, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", state.url);
  state.requests.push({ path: url.pathname + url.search, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": TAXII, ...headers });
    res.end(JSON.stringify(body));
  };
  if (state.authorization !== undefined && req.headers.authorization !== state.authorization) return send(401, { title: "Unauthorized" });
  if (req.headers.accept !== TAXII) return send(406, { title: `Accept must be ${TAXII}` });
  if (url.pathname === "/taxii2/") return send(200, { title: "Test TAXII", default: `${state.url}/api1/`, api_roots: [`${state.url}/api1/`] });
  if (url.pathname === "/api1/") return send(200, { title: "API root 1", versions: [TAXII], max_content_length: 10_485_760 });
  if (url.pathname === "/api1/collections/") {
    return send(200, { collections: [...state.collections].map(([id, c]) => ({ id, title: c.title, can_read: true, can_write: false, media_types: [TAXII] })) });
  }
  const match = /^\/api1\/collections\/([^/]+)\/objects\/$/.exec(url.pathname);
  const collection = match === null ? undefined : state.collections.get(decodeURIComponent(match[1]!));
  if (collection === undefined) return send(404, { title: "Not found" });
  const page = state.nextPage();
  if (state.failPage?.index === page) return send(state.failPage.status, { title: "Injected fault" });
  const after = url.searchParams.get("added_after");
  const all = collection.objects.filter((o) => after === null || o.added > after);
  const size = Math.min(Number(url.searchParams.get("limit") ?? state.pageSize), state.pageSize);
  const offset = Number(url.searchParams.get("next") ?? 0);
  const slice = all.slice(offset, offset + size);
  const more = offset + size < all.length;
  const headers: Record<string, string> = slice.length === 0 ? {} : { "X-TAXII-Date-Added-First": slice[0]!.added, "X-TAXII-Date-Added-Last": slice.at(-1)!.added };
  const next = state.stuckNext ?? (more ? String(offset + size) : undefined);
  send(200, { more: state.stuckNext !== undefined || more, ...(next !== undefined ? { next } : {}), objects: slice.map((o) => o.object) }, headers);
}
