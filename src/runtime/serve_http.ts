/**
 * Binds a fetch handler (the Hono status app) to a TCP port with the runtime's own HTTP(S)
 * server: Bun.serve on Bun, Deno.serve on Deno. The one other place besides runtime.ts that
 * names a runtime. Both take the certificate and key as PEM text: Bun as `tls: { cert, key }`,
 * Deno as top-level `cert` and `key`.
 */
declare const Bun:
  | {
      serve(options: {
        hostname: string;
        port: number;
        tls?: { cert: string; key: string };
        fetch: (request: Request) => Response | Promise<Response>;
      }): { port: number; stop(force?: boolean): void };
    }
  | undefined;
declare const Deno:
  | {
      serve(
        options: { hostname: string; port: number; cert?: string; key?: string; onListen?: (addr: { port: number }) => void },
        handler: (request: Request) => Response | Promise<Response>,
      ): { addr: { port: number }; shutdown(): Promise<void> };
    }
  | undefined;

export interface HttpServerHandle {
  readonly port: number;
  stop(): Promise<void>;
}

/** Certificate (chain) and private key, PEM; given, the server speaks HTTPS only. */
export interface HttpsOptions {
  readonly cert: string;
  readonly key: string;
}

/** Starts serving `fetch` on `hostname:port` (port 0 picks a free one), over HTTPS with `tls`. */
export async function serveHttp(
  hostname: string,
  port: number,
  fetch: (request: Request) => Response | Promise<Response>,
  tls?: HttpsOptions,
): Promise<HttpServerHandle> {
  const pem = tls ? { cert: tls.cert, key: tls.key } : undefined;
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ hostname, port, fetch, ...(pem ? { tls: pem } : {}) });
    return { port: server.port, stop: async () => server.stop(true) };
  }
  if (typeof Deno !== "undefined") {
    const server = Deno.serve({ hostname, port, onListen: () => {}, ...pem }, fetch);
    return { port: server.addr.port, stop: () => server.shutdown() };
  }
  throw new Error("serveHttp: no HTTP server on this runtime (expected Bun or Deno)");
}
