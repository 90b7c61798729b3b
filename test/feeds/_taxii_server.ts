/**
 * A TAXII 2.1 server for the feed client tests, on the shared feed server (port 0): discovery
 * at `/taxii2/`, one API root `/api1/`, collections whose objects carry a date added, pages of
 * `pageSize` objects joined by `more`/`next`, `added_after` honoured, credentials checked, and
 * faults on request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { startFeedServer, type FeedServer } from "../_support/feed_server.ts";

export const TAXII = "application/taxii+json;version=2.1";

interface Collection {
  title: string;
  /** Objects with the date each was added (RFC 3339, distinct, increasing). */
  objects: { added: string; object: Record<string, unknown> }[];
}

export interface TaxiiServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Collections by id; setting one serves it. */
  readonly collections: Map<string, Collection>;
  /** Every request: path with query, and headers. */
  readonly requests: FeedServer["requests"];
  /** Objects per page when the client asks for none (or more). */
  pageSize: number;
  /** `Authorization` value required; undefined: none. */
  authorization?: string;
  /** Answer the object page request numbered so (0-based) with this status. */
  failPage?: { index: number; status: number };
  /** Always answer `more` with this token (a server stuck in a loop). */
  stuckNext?: string;
  /** Answers `from` with a 301 to `to`, keeping the query. */
  redirect(from: string, to: string): void;
}

/** A Map that serves each collection it is given. */
class ServedCollections extends Map<string, Collection> {
  constructor(private readonly serve: (id: string) => void) {
    super();
  }

  override set(id: string, collection: Collection): this {
    this.serve?.(id);
    return super.set(id, collection);
  }
}

export async function startTaxiiServer(): Promise<TaxiiServer> {
  const server = await startFeedServer();
  let objectPages = 0;
  const state: TaxiiServer = {
    url: server.url(""),
    collections: new ServedCollections((id) => server.route(`/api1/collections/${id}/objects/`, (req, res) => objectsPage(state, state.collections.get(id)!, objectPages++, req, res))),
    requests: server.requests,
    pageSize: 2,
    redirect: (from, to) => server.route(from, (req, res) => void res.writeHead(301, { location: `${to}${new URL(req.url ?? "/", state.url).search}` }).end()),
    [Symbol.asyncDispose]: () => server.close(),
  };
  const root = (body: () => unknown) => (req: IncomingMessage, res: ServerResponse) => {
    if (refused(state, req, res)) return;
    send(res, 200, body());
  };
  server.route("/taxii2/", root(() => ({ title: "Test TAXII", default: `${state.url}/api1/`, api_roots: [`${state.url}/api1/`] })));
  server.route("/api1/", root(() => ({ title: "API root 1", versions: [TAXII], max_content_length: 10_485_760 })));
  server.route("/api1/collections/", root(() => ({ collections: [...state.collections].map(([id, c]) => ({ id, title: c.title, can_read: true, can_write: false, media_types: [TAXII] })) })));
  return state;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": TAXII, ...headers });
  res.end(JSON.stringify(body));
}

/** Answers 401 without the configured credentials and 406 without the TAXII media type; true when it did. */
function refused(state: TaxiiServer, req: IncomingMessage, res: ServerResponse): boolean {
  if (state.authorization !== undefined && req.headers.authorization !== state.authorization) send(res, 401, { title: "Unauthorized" });
  else if (req.headers.accept !== TAXII) send(res, 406, { title: `Accept must be ${TAXII}` });
  else return false;
  return true;
}

function objectsPage(state: TaxiiServer, collection: Collection, page: number, req: IncomingMessage, res: ServerResponse): void {
  if (refused(state, req, res)) return;
  if (state.failPage?.index === page) return send(res, state.failPage.status, { title: "Injected fault" });
  const url = new URL(req.url ?? "/", state.url);
  const after = url.searchParams.get("added_after");
  const all = collection.objects.filter((o) => after === null || o.added > after);
  const size = Math.min(Number(url.searchParams.get("limit") ?? state.pageSize), state.pageSize);
  const offset = Number(url.searchParams.get("next") ?? 0);
  const slice = all.slice(offset, offset + size);
  const more = offset + size < all.length;
  const headers: Record<string, string> = slice.length === 0 ? {} : { "X-TAXII-Date-Added-First": slice[0]!.added, "X-TAXII-Date-Added-Last": slice.at(-1)!.added };
  const next = state.stuckNext ?? (more ? String(offset + size) : undefined);
  send(res, 200, { more: state.stuckNext !== undefined || more, ...(next !== undefined ? { next } : {}), objects: slice.map((o) => o.object) }, headers);
}
