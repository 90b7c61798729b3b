import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceConfig } from "../../src/config/types.ts";
import { feedSourceFor } from "../../src/feeds/feed_source_for.ts";
import { parseRetryAfter } from "../../src/feeds/http_feed_source.ts";
import { RemoteFeeds } from "../../src/feeds/remote_feeds.ts";
import { httpFetch } from "../../src/runtime/http_fetch.ts";
import { waitFor } from "../_support/child_processes.ts";
import { downloadConfig } from "../_support/download_config.ts";
import { servedWithEtag, startFeedServer, zipArchive, type FeedServer } from "../_support/feed_server.ts";
import { caSignedCertificate, selfSignedCertificate } from "../_support/self_signed_certificate.ts";
import { testCleanup } from "../_support/test_cleanup.ts";
import { createServer as createHttpServer } from "node:http";
import { connect } from "node:net";

const FEED = "192.0.2.1\n198.51.100.7\n";
const NEW_FEED = "192.0.2.1\n198.51.100.7\n203.0.113.9\n";

const cleanup = testCleanup();

async function server(tls?: { cert: string; key: string }): Promise<FeedServer> {
  return cleanup.use(await startFeedServer(tls));
}

function bases(): Promise<string> {
  return cleanup.tempDir("ioclens-remote-");
}

/** An engine over real HTTP, recording its logs and alerts; retries wait 0 ms. */
function engine(env: Record<string, string> = {}) {
  const logs: string[] = [];
  const alerts: string[] = [];
  const sleeps: number[] = [];
  const remote = new RemoteFeeds({
    now: Date.now,
    sleep: async (ms) => void sleeps.push(ms),
    log: (level, message, fields) => logs.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}`),
    alert: (name, fields) => alerts.push(`${name} ${fields.map(([k, v]) => `${k}=${v}`).join(" ")}`),
    sourceFor: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env, userAgent: "ioclens-test" }),
  });
  return { remote, logs, alerts, sleeps };
}

function feedXml(url: string, attributes = "", children = ""): string {
  const format = attributes.includes("format=") ? "" : 'format="lines" ';
  return `<Feed url="${url}" filename="ips.txt" ${format}category="Test" ${attributes}>${children}</Feed>`;
}

function copyOf(dir: string): string {
  return readFileSync(join(dir, "ips.txt"), "utf8");
}

/** Starts with a good copy downloaded from `/good`, then points the feed at `path`. */
async function withGoodCopy(s: FeedServer, dir: string, path: string, attributes = 'retries="0"'): Promise<{ config: ServiceConfig; e: ReturnType<typeof engine> }> {
  s.route("/good", servedWithEtag(FEED, '"v1"'));
  const e = engine();
  const first = await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/good"))), "all");
  expect(first).toEqual([{ name: "ips.txt", changed: true }]);
  return { config: downloadConfig(dir, feedXml(s.url(path), attributes)), e };
}

describe("RemoteFeeds.refresh()", () => {
  test("downloads a feed, then an unchanged feed costs one 304 with the kept ETag, also after a restart", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"', { "last-modified": "Fri, 04 Dec 2026 10:00:00 GMT" }));
    const config = downloadConfig(dir, feedXml(s.url("/ips.txt")));
    const { remote } = engine();
    expect(await remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(copyOf(dir)).toBe(FEED);
    expect(await remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: false }]);
    // A new process reads the validators from the state file beside the copy.
    const restarted = engine();
    expect(await restarted.remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: false }]);
    expect(s.requests.map((r) => [r.headers["if-none-match"], r.headers["if-modified-since"]])).toEqual([
      [undefined, undefined],
      ['"v1"', "Fri, 04 Dec 2026 10:00:00 GMT"],
      ['"v1"', "Fri, 04 Dec 2026 10:00:00 GMT"],
    ]);
    const status = restarted.remote.status("ips.txt")!;
    expect({ ...status, lastAttempt: undefined, lastSuccess: undefined, ageSeconds: undefined }).toEqual({
      source: s.url("/ips.txt"),
      httpStatus: 304,
      bytes: FEED.length,
      records: 2,
      etag: '"v1"',
      sha256: createHash("sha256").update(FEED).digest("hex"),
      lastAttempt: undefined,
      lastSuccess: undefined,
      ageSeconds: undefined,
    });
    expect(existsSync(join(dir, "ips.txt.download"))).toBe(false);
  });

  test("a server without validators that sends the same body again costs no parse: the SHA-256 matches the copy's", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/plain", (_req, res) => res.writeHead(200).end(FEED));
    const e = engine();
    const config = downloadConfig(dir, feedXml(s.url("/plain")));
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: false }]);
    expect(e.logs.at(-1)).toStartWith("info feed ips.txt: downloaded again, the same bytes as the copy (SHA-256)");
    expect(e.remote.status("ips.txt")?.sha256).toBe(createHash("sha256").update(FEED).digest("hex"));
    expect(existsSync(join(dir, "ips.txt.download"))).toBe(false);
    s.route("/plain", (_req, res) => res.writeHead(200).end(NEW_FEED));
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: true }]);
  });

  test("a changed feed replaces the copy", async () => {
    const s = await server();
    const dir = await bases();
    const { config, e } = await withGoodCopy(s, dir, "/v2");
    s.route("/v2", servedWithEtag(NEW_FEED, '"v2"'));
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(copyOf(dir)).toBe(NEW_FEED);
    expect(e.remote.status("ips.txt")?.records).toBe(3);
  });

  test.each([
    ["a 500", "/500", 'retries="2"', (_: unknown, res: import("node:http").ServerResponse) => res.writeHead(500).end("oops"), "HTTP 500 Internal Server Error: expected 200 or 304", 3],
    ["a 404 (not retried)", "/missing", 'retries="2"', undefined, "HTTP 404 Not Found: expected 200 or 304", 1],
    [
      "a body cut short (chunked, no last chunk)",
      "/cut",
      'retries="0"',
      (_: unknown, res: import("node:http").ServerResponse, raw: import("node:net").Socket) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("192.0.2.1\n19", () => raw.destroy());
      },
      "ECONNRESET",
      1,
    ],
    [
      "a Content-Length longer than the body",
      "/short",
      'retries="0"',
      (_: unknown, _res: unknown, raw: import("node:net").Socket) => raw.end("HTTP/1.1 200 OK\r\nContent-Length: 500\r\nConnection: close\r\n\r\n192.0.2.1\n"),
      "body cut short",
      1,
    ],
    [
      "a redirect loop",
      "/loop-a",
      'retries="2"',
      (_: unknown, res: import("node:http").ServerResponse) => res.writeHead(302, { location: "/loop-b" }).end(),
      "redirect loop",
      2,
    ],
    ["a login page instead of the feed (more records skipped than loaded)", "/html", 'retries="0"', (_: unknown, res: import("node:http").ServerResponse) => res.writeHead(200).end("<html>\n<body>Please log in</body>\n</html>\n"), "the download is mostly not indicators: found 1 records and 2 skipped (first: ips.txt:1: ", 1],
    ["a feed that does not parse", "/json", 'retries="0" format="stix"', (_: unknown, res: import("node:http").ServerResponse) => res.writeHead(200).end('{"type": "bundle", "objects": ['), "the download does not read as stix", 1],
  ] as const)("%s keeps the last good copy, is logged once and alerted", async (_name, path, attributes, route, error, requests) => {
    const s = await server();
    const dir = await bases();
    if (route) s.route(path, route as never);
    s.route("/loop-b", (_req, res) => res.writeHead(301, { location: "/loop-a" }).end());
    const { config, e } = await withGoodCopy(s, dir, path, attributes);
    const before = s.requests.length;
    const [report] = await e.remote.refresh(config, "all");
    expect(report?.changed).toBe(false);
    expect(report?.error).toContain(error);
    expect(copyOf(dir)).toBe(FEED);
    expect(existsSync(join(dir, "ips.txt.download"))).toBe(false);
    expect(s.requests.length - before).toBe(requests);
    const failures = e.logs.filter((l) => l.startsWith("error "));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(`feed ips.txt: download from ${s.url(path)} failed: `);
    expect(failures[0]).toContain("the last good copy stays in use (downloaded ");
    expect(e.alerts).toEqual([expect.stringContaining(`KL_ALERT_FailedToUpdateFeed feed=ips.txt error=download from ${s.url(path)} failed: `)]);
    expect(e.remote.status("ips.txt")?.error).toContain(error);
    expect(e.remote.status("ips.txt")?.lastSuccess).toBeDefined();
  });

  test("too many redirects fail after 5", async () => {
    const s = await server();
    const dir = await bases();
    for (let i = 0; i < 8; i++) s.route(`/r${i}`, (_req, res) => res.writeHead(302, { location: `/r${i + 1}` }).end());
    const { config, e } = await withGoodCopy(s, dir, "/r0");
    const [report] = await e.remote.refresh(config, "all");
    expect(report?.error).toBe(`too many redirects: found more than 5, expected at most 5 (last to ${s.url("/r6")})`);
  });

  test("retries wait longer each time", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/flaky", (_req, res) => res.writeHead(503).end());
    const { config, e } = await withGoodCopy(s, dir, "/flaky", 'retries="3"');
    await e.remote.refresh(config, "all");
    expect(e.sleeps).toEqual([1000, 4000, 16000]);
  });

  test("a 429 or 503 with Retry-After waits as long as the server asks, when that is longer than the back-off", async () => {
    const s = await server();
    const dir = await bases();
    let calls = 0;
    s.route("/busy", (_req, res) => (++calls === 1 ? res.writeHead(429, { "retry-after": "7" }).end() : res.writeHead(503, { "retry-after": "0" }).end()));
    const { config, e } = await withGoodCopy(s, dir, "/busy", 'retries="2"');
    await e.remote.refresh(config, "all");
    expect({ calls, sleeps: e.sleeps }).toEqual({ calls: 3, sleeps: [7000, 4000] });
  });

  test("a Retry-After over five minutes ends this refresh's tries and says so", async () => {
    const s = await server();
    const dir = await bases();
    let calls = 0;
    s.route("/later", (_req, res) => {
      calls++;
      res.writeHead(429, { "retry-after": "3600" }).end();
    });
    const { config, e } = await withGoodCopy(s, dir, "/later", 'retries="3"');
    const [report] = await e.remote.refresh(config, "all");
    expect({ calls, sleeps: e.sleeps, error: report?.error }).toEqual({
      calls: 1,
      sleeps: [],
      error: "HTTP 429 Too Many Requests: expected 200 or 304 (the server asks to retry after 3600 s: left to the next refresh)",
    });
  });

  test("a slow drip fails at the configured timeout", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/drip", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const timer = setInterval(() => res.write("1"), 20);
      res.on("close", () => clearInterval(timer));
    });
    const { config, e } = await withGoodCopy(s, dir, "/drip", 'retries="0" timeout="1"');
    const [report] = await e.remote.refresh(config, "all");
    expect(report?.error).toMatch(/^download not finished within timeout 1 s: found \d+ bytes$/);
    expect(copyOf(dir)).toBe(FEED);
  });

  test("a body over max_file_size is cut off while streaming, and a Content-Length over it is refused unread", async () => {
    const s = await server();
    const dir = await bases();
    let sent = 0;
    s.route("/huge", (_req, res) => {
      // 2 GiB promised in 64 KiB chunks, written only as fast as the client reads.
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(65536, "9");
      const pump = () => {
        while (sent < 2 ** 31 && res.write(chunk)) sent += chunk.length;
      };
      res.on("drain", pump);
      pump();
    });
    s.route("/declared", (_req, res) => {
      res.writeHead(200, { "content-length": String(2 ** 31) });
      res.write("192.0.2.1\n");
    });
    const { config, e } = await withGoodCopy(s, dir, "/huge", 'retries="0" max_file_size="1 MiB"');
    const [report] = await e.remote.refresh(config, "all");
    expect(report?.error).toMatch(/^body exceeds max_file_size 1 MiB: stopped at byte \d+$/);
    expect(sent).toBeLessThan(2 ** 28);
    const declared = downloadConfig(dir, feedXml(s.url("/declared"), 'retries="0" max_file_size="1 MiB"'));
    const [refused] = await e.remote.refresh(declared, "all");
    expect(refused?.error).toBe("Content-Length 2147483648 exceeds max_file_size 1 MiB");
    expect(copyOf(dir)).toBe(FEED);
  });

  test("a zip with one file is unpacked; with two, zip_member picks one and without it the download fails", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/one.zip", (_req, res) => res.writeHead(200).end(zipArchive({ "ips.txt": NEW_FEED })));
    s.route("/two.zip", (_req, res) => res.writeHead(200).end(zipArchive({ "readme.txt": "not a feed\n", "list/ips.txt": "203.0.113.50\n" })));
    const e = engine();
    expect(await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/one.zip"))), "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(copyOf(dir)).toBe(NEW_FEED);
    const [two] = await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/two.zip"), 'retries="0"')), "all");
    expect(two?.error).toBe("the zip archive must hold one file, or zip_member must name one: found 2 files (readme.txt, list/ips.txt)");
    expect(copyOf(dir)).toBe(NEW_FEED);
    const [picked] = await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/two.zip"), 'zip_member="list/ips.txt"')), "all");
    expect(picked).toEqual({ name: "ips.txt", changed: true });
    expect(copyOf(dir)).toBe("203.0.113.50\n");
  });

  test("gzip bodies are kept as they came and read like local .gz feeds", async () => {
    const { gzipSync } = await import("node:zlib");
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt.gz", (_req, res) => res.writeHead(200, { "content-type": "application/gzip" }).end(gzipSync(NEW_FEED)));
    const e = engine();
    expect(await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/ips.txt.gz"))), "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(e.remote.status("ips.txt")?.records).toBe(3);
  });

  test("a download that cannot be written fails the feed, not the round", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/v2", servedWithEtag(NEW_FEED, '"v2"'));
    const { config, e } = await withGoodCopy(s, dir, "/v2");
    // A folder where the download would go: even root cannot open it for writing.
    await mkdir(join(dir, "ips.txt.download"));
    const [report] = await e.remote.refresh(config, "all");
    expect(report?.error).toBe(`cannot write the download to ${join(dir, "ips.txt.download")}: EISDIR`);
    expect(copyOf(dir)).toBe(FEED);
  });

  test("a filename in a folder that does not exist yet gets the folder", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const e = engine();
    const config = downloadConfig(dir, feedXml(s.url("/ips.txt")).replace('filename="ips.txt"', 'filename="downloads/abuse/ips.txt"'));
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "downloads/abuse/ips.txt", changed: true }]);
    expect(readFileSync(join(dir, "downloads/abuse/ips.txt"), "utf8")).toBe(FEED);
  });

  test("a server down leaves the copy and says so", async () => {
    const s = await server();
    const dir = await bases();
    const { e } = await withGoodCopy(s, dir, "/good");
    const url = s.url("/good");
    await s.close();
    const [report] = await e.remote.refresh(downloadConfig(dir, feedXml(url, 'retries="0"')), "all");
    expect(report?.error).toStartWith("cannot connect: ");
    expect(copyOf(dir)).toBe(FEED);
  });

  test("header values and URL credentials never reach a log, an alert or the status", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/secret", (req, res) => res.writeHead(403, { "x-echo": String(req.headers["authorization"]) }).end());
    const e = engine();
    const url = s.url("/secret?apikey=QUERYSECRET&days=1").replace("://", "://bob:PASSWORDSECRET@");
    const config = downloadConfig(dir, feedXml(url, 'retries="0"', "<Header name=\"X-Api-Key\">HEADERSECRET</Header>"));
    const [report] = await e.remote.refresh(config, "all");
    expect(report?.error).toBe("HTTP 403 Forbidden: expected 200 or 304");
    const said = JSON.stringify([e.logs, e.alerts, e.remote.status("ips.txt")]);
    for (const secret of ["QUERYSECRET", "PASSWORDSECRET", "HEADERSECRET", "bob"]) expect(said).not.toContain(secret);
    expect(said).toContain(`${s.url("/secret?apikey=***&days=1")}`);
    const sent = s.requests.at(-1)!.headers;
    expect([sent["x-api-key"], sent["authorization"]]).toEqual(["HEADERSECRET", `Basic ${Buffer.from("bob:PASSWORDSECRET").toString("base64")}`]);
  });

  test("credentials are not sent on a redirect to another origin", async () => {
    const other = await server();
    const s = await server();
    const dir = await bases();
    other.route("/ips.txt", servedWithEtag(FEED, '"x"'));
    s.route("/moved", (_req, res) => res.writeHead(301, { location: other.url("/ips.txt") }).end());
    const e = engine();
    const config = downloadConfig(dir, feedXml(s.url("/moved"), "", '<Header name="Authorization">Bearer TOKEN</Header>'));
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(s.requests[0]!.headers["authorization"]).toBe("Bearer TOKEN");
    expect(other.requests[0]!.headers["authorization"]).toBeUndefined();
  });

  test("HTTPS with a self-signed certificate is refused without ca_file and accepted with it", async () => {
    const dir = await bases();
    const cert = selfSignedCertificate(dir, "feeds");
    const s = await server(cert);
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const e = engine();
    const [refused] = await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/ips.txt").replace("127.0.0.1", "localhost"), 'retries="2"')), "all");
    expect(refused?.error).toStartWith("TLS: ");
    expect(e.sleeps).toEqual([]);
    const trusted = downloadConfig(dir, feedXml(s.url("/ips.txt").replace("127.0.0.1", "localhost"), `ca_file="${cert.certFile}"`));
    expect(await e.remote.refresh(trusted, "all")).toEqual([{ name: "ips.txt", changed: true }]);
    const [missing] = await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/ips.txt"), `ca_file="${join(dir, "none.pem")}"`)), "all");
    expect(missing?.error).toBe(`cannot read ca_file ${join(dir, "none.pem")}: ENOENT`);
  });

  test("an expired certificate is refused even with its CA in ca_file", async () => {
    const dir = await bases();
    const expired = caSignedCertificate(dir, "old", { expired: true });
    const s = await server(expired);
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const e = engine();
    const [report] = await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/ips.txt").replace("127.0.0.1", "localhost"), `ca_file="${expired.caFile}"`)), "all");
    expect(report?.error).toStartWith("TLS: ");
    expect(report?.error).toMatch(/expired|CERT_HAS_EXPIRED/i);
    expect(existsSync(join(dir, "ips.txt"))).toBe(false);
  });

  test("HTTPS goes through an HTTPS_PROXY with CONNECT, and the proxy sees no header of the feed", async () => {
    const dir = await bases();
    const certificate = caSignedCertificate(dir, "tunnel");
    const origin = await server(certificate);
    origin.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const tunnels: string[] = [];
    const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (request, client, head) => {
      tunnels.push(`${request.url} ${JSON.stringify(request.headers)}`);
      const [host, port] = (request.url ?? "").split(":");
      const upstream = connect(Number(port), host === "localhost" ? "127.0.0.1" : host!, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    cleanup.defer(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    proxy.on("connection", (socket) => cleanup.defer(async () => void socket.destroy()));
    const e = engine({ HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` });
    const url = origin.url("/ips.txt").replace("127.0.0.1", "localhost");
    const config = downloadConfig(dir, feedXml(url, `ca_file="${certificate.caFile}"`, '<Header name="Authorization">Bearer TUNNELSECRET</Header>'));
    expect(await e.remote.refresh(config, "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(tunnels).toHaveLength(1);
    expect(tunnels[0]).toStartWith(`localhost:${origin.port} `);
    expect(tunnels[0]).not.toContain("TUNNELSECRET");
    expect(origin.requests[0]!.headers["authorization"]).toBe("Bearer TUNNELSECRET");
  });

  test("a proxy from HTTP_PROXY or the proxy attribute carries the request, NO_PROXY bypasses it", async () => {
    const origin = await server();
    const proxy = await server();
    const dir = await bases();
    origin.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    // An HTTP proxy gets the absolute URL as the request target.
    const forward = (_req: unknown, res: import("node:http").ServerResponse) => res.writeHead(200, { "x-via": "proxy" }).end(FEED);
    proxy.route(origin.url("/ips.txt"), forward);
    const viaEnv = engine({ HTTP_PROXY: proxy.url("") });
    expect(await viaEnv.remote.refresh(downloadConfig(dir, feedXml(origin.url("/ips.txt"))), "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect([proxy.requests.length, origin.requests.length]).toEqual([1, 0]);
    const bypass = engine({ HTTP_PROXY: proxy.url(""), NO_PROXY: "localhost,127.0.0.1" });
    await bypass.remote.refresh(downloadConfig(dir, feedXml(origin.url("/ips.txt"))), "all");
    expect([proxy.requests.length, origin.requests.length]).toEqual([1, 1]);
    const viaConfig = engine();
    await viaConfig.remote.refresh(downloadConfig(dir, feedXml(origin.url("/ips.txt"), `proxy="${proxy.url("")}"`)), "all");
    expect([proxy.requests.length, origin.requests.length]).toEqual([2, 1]);
    // A proxy's credentials are among the secrets every message of the download is scrubbed of.
    const config = downloadConfig(dir, feedXml(origin.url("/ips.txt"), 'proxy="http://cfguser:CONFIGSECRET@127.0.0.1:1"'));
    const source = await feedSourceFor(config.feeds.feeds[0]!, config.feeds, { fetch: httpFetch, env: { HTTPS_PROXY: "http://envuser:ENVSECRET@127.0.0.1:1" }, userAgent: "t" });
    expect(source.secrets).toEqual(expect.arrayContaining(["CONFIGSECRET", "cfguser", "ENVSECRET", "envuser"]));
  });

  test("feeds download side by side: a server that never answers does not hold back the next feed", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/hang", () => {});
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    const e = engine();
    const config = downloadConfig(dir, `${feedXml(s.url("/hang"), 'filename="hang.txt" retries="0"').replace('filename="ips.txt" ', "")}\n${feedXml(s.url("/ips.txt"))}`);
    const refreshing = e.remote.refresh(config, "all");
    await waitFor(() => existsSync(join(dir, "ips.txt")), "the second feed's copy while the first still waits");
    expect(s.requests.map((r) => r.path).sort()).toEqual(["/hang", "/ips.txt"]);
    await s.close();
    const reports = await refreshing;
    expect(reports.map((r) => [r.name, r.changed, r.error === undefined])).toEqual([
      ["hang.txt", false, false],
      ["ips.txt", true, true],
    ]);
  });

  test("'due' skips a feed until its refresh period has passed", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/ips.txt", servedWithEtag(FEED, '"v1"'));
    let now = Date.parse("2026-12-04T10:00:00Z");
    const remote = new RemoteFeeds({
      now: () => now,
      sleep: async () => {},
      log: () => {},
      alert: () => {},
      sourceFor: (feed, settings) => feedSourceFor(feed, settings, { fetch: httpFetch, env: {}, userAgent: "t" }),
    });
    const config = downloadConfig(dir, feedXml(s.url("/ips.txt"), 'refresh="60"'));
    expect(await remote.refresh(config, "due")).toHaveLength(1);
    now += 59 * 60_000;
    expect(await remote.refresh(config, "due")).toEqual([]);
    now += 60_000;
    expect(await remote.refresh(config, "due")).toEqual([{ name: "ips.txt", changed: false }]);
    expect(remote.status("ips.txt")?.ageSeconds).toBe(0);
    now += 30_000;
    expect(remote.status("ips.txt")?.ageSeconds).toBe(30);
  });

  test("a state file written for another URL is not used", async () => {
    const s = await server();
    const dir = await bases();
    s.route("/a", servedWithEtag(FEED, '"same"'));
    s.route("/b", servedWithEtag(NEW_FEED, '"same"'));
    const e = engine();
    await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/a"))), "all");
    expect(await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/b"))), "all")).toEqual([{ name: "ips.txt", changed: true }]);
    expect(s.requests.map((r) => r.headers["if-none-match"])).toEqual([undefined, undefined]);
    await writeFile(join(dir, "ips.txt.state.json"), "{not json");
    expect(await e.remote.refresh(downloadConfig(dir, feedXml(s.url("/b"))), "all")).toEqual([{ name: "ips.txt", changed: true }]);
  });
});

describe("parseRetryAfter()", () => {
  const now = Date.parse("2026-12-05T08:00:00Z");
  test.each([
    ["120", 120_000],
    [" 0 ", 0],
    ["Sat, 05 Dec 2026 08:01:30 GMT", 90_000],
    ["Sat, 05 Dec 2026 07:59:00 GMT", 0],
    ["soon", undefined],
    ["-5", undefined],
    [null, undefined],
  ] as const)("%p → %p ms", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
