/**
 * A MISP server for the feed client tests, on the shared feed server (port 0):
 * `POST /attributes/restSearch` over a list of attributes (the filters `to_ids`, `timestamp`,
 * `deleted`, `page`, `limit`) with the API key checked in Authorization, and a MISP feed folder
 * served under `/feed/`.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { MispAttribute } from "../../src/feeds/read_misp_attributes_feed.ts";
import { startFeedServer, type FeedServer } from "../_support/feed_server.ts";

export interface MispServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The server's attributes; a test edits them between polls. */
  readonly attributes: MispAttribute[];
  /** restSearch bodies received. */
  readonly searches: Record<string, unknown>[];
  /** Every request: path with query, and headers. */
  readonly requests: FeedServer["requests"];
  /** Serves the files of `folder` under /feed/. */
  serveFeed(folder: string): void;
  /** Answer this restSearch (0-based) with 500. */
  failSearch?: number;
}

export async function startMispServer(key: string): Promise<MispServer> {
  const server = await startFeedServer();
  const state: MispServer = {
    url: server.url(""),
    attributes: [],
    searches: [],
    requests: server.requests,
    serveFeed: (folder) => {
      for (const name of readdirSync(folder)) server.route(`/feed/${name}`, (_req, res) => send(res, 200, JSON.parse(readFileSync(join(folder, name), "utf8"))));
    },
    [Symbol.asyncDispose]: () => server.close(),
  };
  server.route("/attributes/restSearch", (req, res) => void restSearch(state, key, req, res));
  return state;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

async function restSearch(state: MispServer, key: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers.authorization !== key) return send(res, 403, { name: "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.", url: req.url });
  if (req.method !== "POST" || req.headers.accept !== "application/json") return send(res, 405, { message: "POST with Accept: application/json expected" });
  let raw = "";
  for await (const chunk of req) raw += chunk;
  const search = JSON.parse(raw) as { to_ids?: number; timestamp?: string; deleted?: number[]; page?: number; limit?: number };
  const index = state.searches.push(search) - 1;
  if (state.failSearch === index) return send(res, 500, { message: "Injected fault" });
  const matching = state.attributes.filter(
    (a) =>
      (search.to_ids === undefined || a.to_ids === (search.to_ids === 1)) &&
      (search.timestamp === undefined || Number(a.timestamp) >= Number(search.timestamp)) &&
      (search.deleted?.includes(1) === true || a.deleted !== true),
  );
  const limit = search.limit ?? matching.length;
  const page = search.page ?? 1;
  send(res, 200, { response: { Attribute: matching.slice((page - 1) * limit, page * limit) } });
}
