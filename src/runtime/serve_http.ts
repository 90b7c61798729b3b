/**
 * Binds a fetch handler (the Hono status app) to a TCP port with the runtime's own HTTP
 * server: Bun.serve on Bun, Deno.serve on Deno. The one other place besides runtime.ts that
 * names a runtime.
 */
declare const Bun:
  | { serve(options: { hostname: string; port: number; fetch: (request: Request) => Response | Promise<Response> }): { port: number; stop(force?: boolean): void } }
  | undefined;
declare const Deno:
  | {
      serve(
        options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
        handler: (request: Request) => Response | Promise<Response>,
      ): { addr: { port: number }; shutdown(): Promise<void> };
    }
  | undefined;

export interface HttpServerHandle {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts serving `fetch` on `hostname:port` (port 0 picks a free one). */
export async function serveHttp(hostname: string, port: number, fetch: (request: Request) => Response | Promise<Response>): Promise<HttpServerHandle> {
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ hostname, port, fetch });
    return { port: server.port, stop: async () => server.stop(true) };
  }
  if (typeof Deno !== "undefined") {
    const server = Deno.serve({ hostname, port, onListen: () => {} }, fetch);
    return { port: server.addr.port, stop: () => server.shutdown() };
  }
  throw new Error("serveHttp: no HTTP server on this runtime (expected Bun or Deno)");
}
