/**
 * Runtime smoke: starts the lookup service and the status endpoint on port 0 with this
 * runtime's own HTTPS server (a self-signed certificate made with openssl, Basic credentials),
 * checks PING/PONG, a ReplyBack lookup, /health, a REST lookup without and with credentials,
 * feed downloads (HTTPS with a CA, a proxy, a TAXII 2.1 collection and a MISP API polled through
 * the download engine), then stops. Run by scripts/deno-smoke.sh under Deno and by a test under Bun.
 *
 * Usage: deno run -A scripts/runtime_smoke.ts   |   bun scripts/runtime_smoke.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseServiceConfig } from "../src/config/parse_service_config.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_FEEDS } from "../src/config/embedded_defaults.ts";
import { startLookupService } from "../src/service/lookup_service.ts";
import { createStatusApp } from "../src/service/status_app.ts";
import { probeService, tcpProbeConnect } from "../src/protocol/probe.ts";
import { serveHttp } from "../src/runtime/serve_http.ts";
import { runtimeName } from "../src/runtime/runtime.ts";
import { httpFetch } from "../src/runtime/http_fetch.ts";
import { loadTlsFiles } from "../src/config/load_tls_files.ts";
import { caSignedCertificate, selfSignedCertificate } from "../test/_support/self_signed_certificate.ts";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createHttpServer } from "node:http";
import { readFileSync } from "node:fs";
import { RemoteFeeds } from "../src/feeds/remote_feeds.ts";
import { feedSourceFor } from "../src/feeds/feed_source_for.ts";
import { downloadConfig } from "../test/_support/download_config.ts";

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
const dir = mkdtempSync(join(tmpdir(), "ioclens-smoke-"));
const certificate = selfSignedCertificate(dir);
const tls = await loadTlsFiles({ certificateFile: certificate.certFile, certificateLine: 1, privateKeyFile: certificate.keyFile, privateKeyLine: 1 }, "<smoke>");
const basicAuth = { user: "user", password: "password" };
const app = createStatusApp({ getStatus: service.status, reload: service.reload, lookup: service.lookup, isLoopback: true, basicAuth });
const http = await serveHttp("127.0.0.1", 0, app.fetch, tls);

/** One HTTPS request that trusts only the test certificate; resolves status and body. */
function https(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: http.port, servername: "localhost", ca: certificate.cert, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

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
  const health = await https("GET", "/health", {});
  check(health.status === 200, `/health answered ${health.status}`);
  // CyberTrace's documented request: escaped slashes, Basic user:password.
  const body = '[{"object":"http:\\/\\/fakess123.nu"},{"object":"192.0.2.0"}]';
  const headers = { Accept: "application/json", "Content-Type": "application/json", "Content-Length": String(body.length) };
  const refused = await https("POST", "/api/1.1/lookup", headers, body);
  check(refused.status === 401, `REST lookup without credentials answered ${refused.status}`);
  const lookup = await https("POST", "/api/1.1/lookup", { ...headers, Authorization: "Basic dXNlcjpwYXNzd29yZA==" }, body);
  const answer = JSON.parse(lookup.body) as { object: string; result: string }[];
  check(
    answer.map((a) => `${a.object} ${a.result}`).join(", ") === "http://fakess123.nu detected, 192.0.2.0 detected",
    `REST lookup answered ${lookup.status} ${lookup.body}`,
  );
  // An answer over 4 MiB is streamed in parts, each slice looked up with the loop let go of.
  const many = JSON.stringify(Array.from({ length: 70_000 }, (_, i) => ({ object: `198.51.${i >> 8}.${i & 255}` })));
  const big = await https("POST", "/api/1.1/lookup", { ...headers, "Content-Length": String(many.length), Authorization: "Basic dXNlcjpwYXNzd29yZA==" }, many);
  const bigAnswer = JSON.parse(big.body) as unknown[];
  check(big.status === 200 && bigAnswer.length === 70_000, `big REST lookup answered ${big.status} with ${bigAnswer.length} answers`);
  // Feed downloads: this runtime's fetch trusts a server only when its CA is given (ca_file).
  const feedCertificate = caSignedCertificate(dir, "feeds");
  const feeds = createHttpsServer({ cert: feedCertificate.cert, key: feedCertificate.key }, (_req, res) => res.end("192.0.2.1\n"));
  await new Promise<void>((resolve) => feeds.listen(0, "127.0.0.1", resolve));
  const feedUrl = `https://localhost:${(feeds.address() as { port: number }).port}/ips.txt`;
  const untrusted = await httpFetch(feedUrl, { headers: {}, signal: AbortSignal.timeout(5000) }).then(
    (r) => `answered ${r.status}`,
    () => "refused",
  );
  check(untrusted === "refused", `a download from a self-signed server without ca_file ${untrusted}`);
  const trusted = await httpFetch(feedUrl, { headers: {}, signal: AbortSignal.timeout(5000), caPem: feedCertificate.ca });
  check(trusted.status === 200 && (await trusted.text()) === "192.0.2.1\n", `a download with ca_file answered ${trusted.status}`);
  feeds.close();
  // And goes through a proxy when given one: the proxy gets the absolute URL (plain HTTP).
  const proxied: string[] = [];
  const proxy = createHttpServer((req, res) => {
    proxied.push(req.url ?? "");
    res.end("192.0.2.2\n");
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const viaProxy = await httpFetch("http://feeds.invalid/ips.txt", { headers: {}, signal: AbortSignal.timeout(5000), proxy: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` });
  check((await viaProxy.text()) === "192.0.2.2\n" && proxied[0] === "http://feeds.invalid/ips.txt", `a download through a proxy: the proxy saw ${JSON.stringify(proxied)}`);
  proxy.close();
  await pollTaxiiAndMisp(dir);
  console.log(`runtime smoke (${runtimeName}): ok — service port ${service.port}, https status port ${http.port}`);
} finally {
  await http.stop();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A TAXII 2.1 collection and a MISP API, each one page served by node:http, polled through the
 * download engine with this runtime's fetch: the copies must hold the served indicators.
 */
async function pollTaxiiAndMisp(dir: string): Promise<void> {
  const taxiiType = "application/taxii+json;version=2.1";
  const indicator = { type: "indicator", spec_version: "2.1", id: "indicator--00000000-0000-4000-8000-000000000001", created: "2026-12-01T00:00:00.000Z", modified: "2026-12-01T00:00:00.000Z", pattern: "[ipv4-addr:value = '192.0.2.77']", pattern_type: "stix", valid_from: "2026-12-01T00:00:00Z" };
  const attribute = { id: "1", uuid: "5f0c2b4e-0000-4000-8000-000000000001", event_id: "1", type: "domain", category: "Network activity", value: "misp.bad.example", to_ids: true, timestamp: "1764800000", deleted: false };
  const seen: string[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"}`);
    if (req.url?.startsWith("/api1/collections/c2/objects/") && req.headers.accept === taxiiType) {
      res.writeHead(200, { "content-type": taxiiType, "x-taxii-date-added-first": "2026-12-03T10:00:00.000Z", "x-taxii-date-added-last": "2026-12-03T10:00:00.000Z" });
      res.end(JSON.stringify({ more: false, objects: [indicator] }));
    } else if (req.url === "/attributes/restSearch" && req.method === "POST" && req.headers.authorization === "smoke-key") {
      req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ response: { Attribute: [attribute] } })));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const config = downloadConfig(
      dir,
      `<Feed url="${base}/api1/collections/c2/" format="taxii" filename="taxii.json" category="TAXII" retries="0"/>
       <Feed url="${base}" format="misp-api" filename="misp.json" category="MISP" retries="0"><Header name="Authorization">smoke-key</Header></Feed>`,
    );
    const problems: string[] = [];
    const remote = new RemoteFeeds({
      now: Date.now,
      sleep: async () => {},
      log: (level, message) => void (level === "error" || level === "warn" ? problems.push(message) : undefined),
      alert: (name) => void problems.push(name),
      sourceFor: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: {}, userAgent: "ioclens-smoke" }),
    });
    const reports = await remote.refresh(config, "all");
    const changed = reports.map((r) => `${r.name} ${r.changed ? "changed" : `unchanged ${r.error ?? ""}`}`).sort().join(", ");
    check(changed === "misp.json changed, taxii.json changed", `TAXII/MISP polls: ${changed}; ${problems.join("; ")}; requests ${seen.join(" | ")}`);
    check(readFileSync(join(dir, "taxii.json"), "utf8").includes("192.0.2.77"), "the TAXII copy lacks the served indicator");
    check(readFileSync(join(dir, "misp.json"), "utf8").includes("misp.bad.example"), "the MISP copy lacks the served attribute");
  } finally {
    server.close();
  }
}
