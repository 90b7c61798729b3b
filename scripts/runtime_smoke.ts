/**
 * Runtime smoke: starts the lookup service and the status endpoint on port 0 with this
 * runtime's own HTTP server, checks PING/PONG, a ReplyBack lookup, /health and the REST
 * lookup, then stops. Run by scripts/deno-smoke.sh under Deno and by a test under Bun.
 *
 * Usage: deno run -A scripts/runtime_smoke.ts   |   bun scripts/runtime_smoke.ts
 */
import { createConnection } from "node:net";
import { parseServiceConfig } from "../src/config/parse_service_config.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_FEEDS } from "../src/config/embedded_defaults.ts";
import { startLookupService } from "../src/service/lookup_service.ts";
import { createStatusApp } from "../src/service/status_app.ts";
import { probeService, tcpProbeConnect } from "../src/service/probe.ts";
import { serveHttp } from "../src/runtime/serve_http.ts";
import { runtimeName } from "../src/runtime/runtime.ts";

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`runtime smoke failed: ${what}`);
}

const text = DEFAULT_SERVICE_CONFIG_TEXT.replace("127.0.0.1:9999", "127.0.0.1:0");
const { config } = parseServiceConfig(text, "<smoke>");
const service = await startLookupService(config, {
  now: Date.now,
  log: () => {},
  openFeed: async (_config, name) => EMBEDDED_FEEDS.get(name)!,
});
const app = createStatusApp({ getStatus: service.status, reload: service.reload, lookup: service.lookup, isLoopback: true });
const http = await serveHttp("127.0.0.1", 0, app.fetch);
try {
  check(await probeService(tcpProbeConnect({ host: "127.0.0.1", port: service.port }), 5000), "PING did not get PONG");
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port: service.port });
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.includes("LookupFinished")) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on("error", reject);
    socket.on("connect", () => socket.write("X-KF-SendFinishedEventX-KF-ReplyBackurl=http://fakess123.nu\n"));
  });
  check(reply.includes("category=KL_Malicious_URL"), `no detection in ${JSON.stringify(reply)}`);
  const health = await fetch(`http://127.0.0.1:${http.port}/health`);
  check(health.status === 200, `/health answered ${health.status}`);
  const lookup = await fetch(`http://127.0.0.1:${http.port}/api/1.0/lookup`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify([{ object: "192.0.2.0" }]),
  });
  const answer = (await lookup.json()) as { result: string }[];
  check(answer[0]?.result === "detected", `REST lookup answered ${JSON.stringify(answer)}`);
  console.log(`runtime smoke (${runtimeName}): ok — service port ${service.port}, status port ${http.port}`);
} finally {
  await http.stop();
  await service.close();
}
