import { describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { probeService, tcpProbeConnect } from "../../src/protocol/probe.ts";

/** A tiny TCP server on port 0; `onData` decides how it answers. */
async function listen(onData: (socket: Socket, text: string) => void) {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      received.push(chunk.toString());
      onData(socket, chunk.toString());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("Server address: expected a TCP port");
  return {
    port: address.port,
    received,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("probeService()", () => {
  test("sends the PING preamble and resolves true on PONG", async () => {
    await using server = await listen((socket) => socket.write("PONG\n"));
    const ok = await probeService(tcpProbeConnect({ host: "127.0.0.1", port: server.port }), 5000);
    expect({ ok, received: server.received.join("") }).toEqual({ ok: true, received: "X-KF-ReplyBackPING" });
  });

  test("resolves true when PONG arrives split across writes", async () => {
    await using server = await listen((socket) => {
      socket.write("PO");
      setImmediate(() => socket.write("NG\n"));
    });
    expect(await probeService(tcpProbeConnect({ host: "127.0.0.1", port: server.port }), 5000)).toBe(true);
  });

  test("resolves false when the service closes without PONG", async () => {
    await using server = await listen((socket) => socket.end("something else\n"));
    expect(await probeService(tcpProbeConnect({ host: "127.0.0.1", port: server.port }), 5000)).toBe(false);
  });

  test("resolves false when nothing listens", async () => {
    const server = await listen(() => {});
    const port = server.port;
    await server[Symbol.asyncDispose]();
    expect(await probeService(tcpProbeConnect({ host: "127.0.0.1", port }), 5000)).toBe(false);
  });

  test("resolves false when the service stays silent until the probe is aborted", async () => {
    const abort = new AbortController();
    await using server = await listen(() => abort.abort()); // got the PING, never answers
    expect(await probeService(tcpProbeConnect({ host: "127.0.0.1", port: server.port }), 60_000, abort.signal)).toBe(false);
  });

  test("resolves false when the connection factory throws", async () => {
    const ok = await probeService(() => {
      throw new Error("connect: no such socket");
    }, 5000);
    expect(ok).toBe(false);
  });
});
