/**
 * An HTTP or HTTPS server on port 0 that serves feeds the way a test says, including the ways
 * real servers misbehave (a raw socket handler writes whatever bytes it likes), and records the
 * requests it got. Used by the download tests of feeds/, service/, reliability/ and e2e/.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { crc32, deflateRawSync } from "node:zlib";

/** Answers one request; `raw` is the socket, for answers HTTP would not let us write. */
export type FeedRoute = (request: IncomingMessage, response: ServerResponse, raw: Socket) => void;

export interface FeedServer extends AsyncDisposable {
  readonly port: number;
  /** `http(s)://127.0.0.1:<port><path>`. */
  url(path: string): string;
  /** Serves `path` with `route` from now on (replacing an earlier one). */
  route(path: string, route: FeedRoute): void;
  /** Requests in arrival order: path and lower-case headers. */
  readonly requests: { readonly path: string; readonly headers: Readonly<Record<string, string | string[] | undefined>> }[];
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1:0; with `tls`, HTTPS with that certificate. Unknown paths get 404. */
export async function startFeedServer(tls?: { readonly cert: string; readonly key: string }): Promise<FeedServer> {
  const routes = new Map<string, FeedRoute>();
  const requests: FeedServer["requests"] = [];
  const sockets = new Set<Socket>();
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? "/";
    requests.push({ path, headers: { ...request.headers } });
    const route = routes.get(path.split("?")[0]!);
    if (route === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    route(request, response, request.socket);
  };
  const server = tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const scheme = tls === undefined ? "http" : "https";
  return {
    port,
    url: (path) => `${scheme}://127.0.0.1:${port}${path}`,
    route: (path, route) => routes.set(path, route),
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A route serving `body` with an ETag, answering 304 to a matching If-None-Match. */
export function servedWithEtag(body: string | Uint8Array, etag: string, headers: Record<string, string> = {}): FeedRoute {
  return (request, response) => {
    if (request.headers["if-none-match"] === etag) {
      response.writeHead(304, { etag }).end();
      return;
    }
    response.writeHead(200, { etag, "content-length": String(Buffer.byteLength(body)), ...headers }).end(body);
  };
}

/** A zip archive of `files` (name → text), each deflated, as `zip` would write it. */
export function zipArchive(files: Readonly<Record<string, string>>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
