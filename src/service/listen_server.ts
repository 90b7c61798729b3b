/**
 * Binds the lookup service's listener to InputSettings > ConnectionString: host:port, a Unix
 * socket or a pipe path.
 */
import type { Server } from "node:net";
import type { Logger } from "./logger.ts";
import { formatEndpoint } from "../io/endpoint.ts";
import { ServiceStartError } from "./service_start_error.ts";
import { startEndpoint } from "./_start_endpoint.ts";

/** Where the listener ended up. */
export interface Listening {
  /** The TCP port (0 when a socket path). */
  readonly port: number;
  /** `127.0.0.1:9999`, `[::1]:9999` or the socket path. */
  readonly address: string;
  /** The socket file to remove at stop, when a Unix socket or pipe. */
  readonly socketPath?: string;
}

/**
 * Listens on `connectionString`; errors before listening reject with one ServiceStartError,
 * later ones are logged.
 *
 * @example
 * ```ts
 * const { port, address } = await listenServer(createServer(onConnection), "127.0.0.1:0", log);
 * ```
 */
export async function listenServer(server: Server, connectionString: string, log: Logger): Promise<Listening> {
  const listenOn = parseListen(connectionString);
  let listening = false;
  server.on("error", (error) => {
    if (listening) log("error", `listener: ${error.message}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new ServiceStartError(`cannot listen on ${connectionString} (InputSettings > ConnectionString): ${error.code === "EADDRINUSE" ? "address already in use" : error.message}`)),
    );
    if (listenOn.kind === "tcp") server.listen({ host: listenOn.host, port: listenOn.port }, () => resolve());
    else server.listen({ path: listenOn.path }, () => resolve());
  });
  listening = true;
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : 0;
  const address = typeof bound === "object" && bound ? formatEndpoint({ kind: "tcp", host: bound.address, port }) : String(bound);
  return { port, address, ...(listenOn.kind === "unix" ? { socketPath: listenOn.path } : {}) };
}

function parseListen(text: string): { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string } {
  const endpoint = startEndpoint(text, "InputSettings > ConnectionString");
  if (endpoint.kind === "tcp") return endpoint;
  if (endpoint.kind === "unix" || endpoint.kind === "pipe") return { kind: "unix", path: endpoint.path };
  throw new ServiceStartError(`InputSettings > ConnectionString must be host:port, a Unix socket or a pipe: got "${text}"`);
}
