/**
 * A MISP server on port 0 for the feed client tests: `POST /attributes/restSearch` over a list
 * of attributes (the filters `to_ids`, `timestamp`, `deleted`, `page`, `limit`), the API key
 * checked in Authorization, and a MISP feed folder served under `/feed/`.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { MispAttribute } from "../../src/feeds/read_misp_attributes_feed.ts";

export interface MispServer {
  readonly url: string;
  readonly key: string;
  /** The server's attributes; a test edits them between polls. */
  readonly attributes: MispAttribute[];
  /** restSearch bodies received, and every path asked. */
  readonly searches: Record<string, unknown>[];
  readonly paths: string[];
  /** Folder served under /feed/. */
  feedFolder?: string;
  /** Answer this restSearch (0-based) with 500. */
  failSearch?: number;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startMispServer(key: string): Promise<MispServer> {
  const server = createServer((req, res) => void answer(state, req, res));
  const state: MispServer = {
    url: "",
    key,
    attributes: [],
    searches: [],
    paths: [],
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

async function answer(state: MispServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  state.paths.push(req.url ?? "");
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.url?.startsWith("/feed/") && state.feedFolder !== undefined) {
    const text = await readFile(join(state.feedFolder, req.url.slice("/feed/".length))).catch(() => undefined);
    return text === undefined ? send(404, { message: "Not found" }) : send(200, JSON.parse(text.toString("utf8")));
  }
  if (req.headers.authorization !== state.key) return send(403, { name: "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.", url: req.url });
  if (req.method !== "POST" || req.url !== "/attributes/restSearch" || req.headers.accept !== "application/json") return send(404, { message: "Not found" });
  let raw = "";
  for await (const chunk of req) raw += chunk;
  const search = JSON.parse(raw) as { to_ids?: number; timestamp?: string; deleted?: number[]; page?: number; limit?: number };
  const index = state.searches.push(search) - 1;
  if (state.failSearch === index) return send(500, { message: "Injected fault" });
  const matching = state.attributes.filter(
    (a) =>
      (search.to_ids === undefined || a.to_ids === (search.to_ids === 1)) &&
      (search.timestamp === undefined || Number(a.timestamp) >= Number(search.timestamp)) &&
      (search.deleted?.includes(1) === true || a.deleted !== true),
  );
  const limit = search.limit ?? matching.length;
  const page = search.page ?? 1;
  send(200, { response: { Attribute: matching.slice((page - 1) * limit, page * limit) } });
}
