import { describe, expect, test } from "bun:test";
import { createStatusApp, type StatusAppDeps } from "../../src/service/status_app.ts";
import { metricsText } from "../../src/service/metrics_text.ts";
import type { LookupAnswer, ServiceStatus } from "../../src/service/service_status.ts";

const STATUS: ServiceStatus = {
  version: "0.1.0",
  uptimeSeconds: 3600,
  ready: true,
  feeds: [
    { name: "Demo_Botnet_CnC_URL_Data_Feed.json", records: 120, skipped: 2, loadMs: 35, fileTime: "2026-11-27T23:00:00.000Z", loadedAt: "2026-11-28T09:15:00.000Z" },
    { name: 'odd "name"\\with\nnewline.csv', records: 0, skipped: 0, loadMs: 1, error: "Feed unreadable: ENOENT" },
  ],
  connections: { active: 2, waiting: 0, limit: 9, open: 3, max: 1024, refused: 5, idleClosed: 1, proxyRefused: 2 },
  events: { total: 1000, detections: 12, suppressed: 1, dropped: 0, cut: 3 },
  detectionsByCategory: { KL_BotnetCnC_URL: 10, KL_Malicious_Hash_MD5: 2 },
  eps: { m1: 1.5, m5: 0.25, m15: 0.1 },
  output: { queueDepth: 4, queueLimit: 10000, dropped: 0, sent: 12 },
  restarts: 1,
  lastReload: { at: "2026-11-28T10:00:00.000Z", ok: false, error: "Demo_Botnet_CnC_URL_Data_Feed.json: Unexpected end of JSON input" },
  config: "/etc/ioclens/kl_feed_service.conf",
  listen: { events: "0.0.0.0:9999", status: "http://127.0.0.1:9997" },
};

const DETECTED: LookupAnswer = {
  object: "http://fakess123.nu",
  result: "detected",
  categories: [
    { category: "KL_Malicious_URL", detected_indicator: "fakess123.nu", context: { first_seen: "01.01.2014 00:00" } },
  ],
};

function makeApp(over: Partial<StatusAppDeps> & { status?: Partial<ServiceStatus> } = {}) {
  const lookups: string[][] = [];
  const reloads: number[] = [];
  const app = createStatusApp({
    getStatus: () => ({ ...STATUS, ...over.status }),
    reload: async () => (reloads.push(1), { ok: true }),
    lookup: async (values) => (
      lookups.push(values),
      values.map((v): LookupAnswer => (v === DETECTED.object ? DETECTED : { object: v, result: "not detected", categories: [] }))
    ),
    isLoopback: true,
    ...over,
  });
  return { app, lookups, reloads };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
  body: JSON.stringify(body),
});

async function answer(res: Response) {
  return { status: res.status, body: await res.json() };
}

describe("createStatusApp()", () => {
  test.each([
    ["healthy", {}, 200, { status: "ok" }],
    ["loading feeds", { ready: false }, 503, { status: "unavailable", reason: "Feeds are still loading" }],
    ["probe failing", { unhealthy: "Self-probe failed: no PONG within 5000 ms" }, 503, {
      status: "unavailable",
      reason: "Self-probe failed: no PONG within 5000 ms",
    }],
    ["the output target down (lookups still work)", {
      output: { target: "file:/var/log/ioclens/detections.log", queueDepth: 9, queueLimit: 10000, dropped: 0, sent: 4401, connected: false, error: "ENOSPC: no space left on device, write" },
    }, 200, {
      status: "degraded",
      reason: "Output target file:/var/log/ioclens/detections.log is down: ENOSPC: no space left on device, write",
    }],
    ["loading feeds with the output target down", { ready: false, output: { queueDepth: 0, queueLimit: 1, dropped: 0, sent: 0, error: "connect ECONNREFUSED" } }, 503, {
      status: "unavailable",
      reason: "Feeds are still loading",
    }],
  ] as const)("GET /health reports %s", async (_name, status, code, body) => {
    const { app } = makeApp({ status });
    expect(await answer(await app.request("/health"))).toEqual({ status: code, body });
  });

  test("GET /status returns the whole status as JSON", async () => {
    const { app } = makeApp();
    expect(await answer(await app.request("/status"))).toEqual({
      status: 200,
      body: {
        version: "0.1.0",
        uptimeSeconds: 3600,
        ready: true,
        feeds: [
          { name: "Demo_Botnet_CnC_URL_Data_Feed.json", records: 120, skipped: 2, loadMs: 35, fileTime: "2026-11-27T23:00:00.000Z", loadedAt: "2026-11-28T09:15:00.000Z" },
          { name: 'odd "name"\\with\nnewline.csv', records: 0, skipped: 0, loadMs: 1, error: "Feed unreadable: ENOENT" },
        ],
        connections: { active: 2, waiting: 0, limit: 9, open: 3, max: 1024, refused: 5, idleClosed: 1, proxyRefused: 2 },
        events: { total: 1000, detections: 12, suppressed: 1, dropped: 0, cut: 3 },
        detectionsByCategory: { KL_BotnetCnC_URL: 10, KL_Malicious_Hash_MD5: 2 },
        eps: { m1: 1.5, m5: 0.25, m15: 0.1 },
        output: { queueDepth: 4, queueLimit: 10000, dropped: 0, sent: 12 },
        restarts: 1,
        lastReload: { at: "2026-11-28T10:00:00.000Z", ok: false, error: "Demo_Botnet_CnC_URL_Data_Feed.json: Unexpected end of JSON input" },
        config: "/etc/ioclens/kl_feed_service.conf",
        listen: { events: "0.0.0.0:9999", status: "http://127.0.0.1:9997" },
        restLookups: {
          active: 0,
          answered: 0,
          objects: 0,
          rejectedTooLarge: 0,
          rejectedBusy: 0,
          limits: { maxObjects: 1_000_000, maxBodyBytes: 67_108_864, maxConcurrent: 2 },
        },
      },
    });
  });

  test("GET /metrics serves well-formed Prometheus text", async () => {
    const { app } = makeApp();
    const res = await app.request("/metrics");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const families = parsePrometheus(await res.text());
    expect({
      count: families.size,
      feedRecords: families.get("ioclens_feed_records"),
      detections: families.get("ioclens_detections_total"),
      eps: families.get("ioclens_events_per_second")?.samples,
      restarts: families.get("ioclens_worker_restarts_total")?.samples,
      refused: families.get("ioclens_connections_refused_total")?.samples,
      proxyRefused: families.get("ioclens_connections_proxy_refused_total")?.samples,
      outputDown: families.get("ioclens_output_down")?.samples,
      fileTimes: families.get("ioclens_feed_file_timestamp_seconds")?.samples,
      loadTimes: families.get("ioclens_feed_loaded_timestamp_seconds")?.samples,
      reload: [families.get("ioclens_reload_last_timestamp_seconds")?.samples, families.get("ioclens_reload_last_ok")?.samples],
      restRejected: families.get("ioclens_rest_lookups_rejected_total")?.samples,
    }).toEqual({
      count: 37,
      refused: [{ labels: {}, value: 5 }],
      proxyRefused: [{ labels: {}, value: 2 }],
      feedRecords: {
        type: "gauge",
        help: "Indicators indexed per feed.",
        samples: [
          { labels: { feed: "Demo_Botnet_CnC_URL_Data_Feed.json" }, value: 120 },
          { labels: { feed: 'odd "name"\\with\nnewline.csv' }, value: 0 },
        ],
      },
      detections: {
        type: "counter",
        help: "Detection events sent, per category.",
        samples: [
          { labels: { category: "KL_BotnetCnC_URL" }, value: 10 },
          { labels: { category: "KL_Malicious_Hash_MD5" }, value: 2 },
        ],
      },
      eps: [
        { labels: { window: "1m" }, value: 1.5 },
        { labels: { window: "5m" }, value: 0.25 },
        { labels: { window: "15m" }, value: 0.1 },
      ],
      restarts: [{ labels: {}, value: 1 }],
      outputDown: [{ labels: {}, value: 0 }],
      // Only the feed that has a file time (embedded feeds have none, failed ones no load time).
      fileTimes: [{ labels: { feed: "Demo_Botnet_CnC_URL_Data_Feed.json" }, value: Date.UTC(2026, 10, 27, 23) / 1000 }],
      loadTimes: [{ labels: { feed: "Demo_Botnet_CnC_URL_Data_Feed.json" }, value: Date.UTC(2026, 10, 28, 9, 15) / 1000 }],
      reload: [[{ labels: {}, value: Date.UTC(2026, 10, 28, 10) / 1000 }], [{ labels: {}, value: 0 }]],
      restRejected: [
        { labels: { reason: "too_large" }, value: 0 },
        { labels: { reason: "busy" }, value: 0 },
      ],
    });
  });

  test("metrics text writes non-finite numbers the way Prometheus reads them", () => {
    const text = metricsText({ ...STATUS, eps: { m1: Number.NaN, m5: Infinity, m15: -Infinity } });
    expect(parsePrometheus(text).get("ioclens_events_per_second")?.samples.map((s) => String(s.value))).toEqual([
      "NaN",
      "Infinity",
      "-Infinity",
    ]);
  });

  test.each([
    ["ok", { ok: true }, 200, { ok: true }],
    ["failure", { ok: false, error: "Feed x.json: line 3: bad JSON" }, 500, { ok: false, error: "Feed x.json: line 3: bad JSON" }],
  ] as const)("POST /reload reports %s", async (_name, result, code, body) => {
    const { app } = makeApp({ reload: async () => result });
    expect(await answer(await app.request("/reload", { method: "POST" }))).toEqual({ status: code, body });
  });

  test("POST /reload reports a thrown error as a failure", async () => {
    const { app } = makeApp({ reload: async () => Promise.reject(new Error("Config unreadable: EACCES")) });
    expect(await answer(await app.request("/reload", { method: "POST" }))).toEqual({
      status: 500,
      body: { ok: false, error: "Config unreadable: EACCES" },
    });
  });

  test.each(["1.0", "1.1", "1.2", "1.3/General"])("POST /api/%s/lookup answers in CyberTrace's shape", async (version) => {
    const { app, lookups } = makeApp();
    const res = await app.request(`/api/${version}/lookup`, json([{ object: "http://fakess123.nu" }, { object: "198.51.100.250" }]));
    expect({ ...(await answer(res)), lookups }).toEqual({
      status: 200,
      body: [DETECTED, { object: "198.51.100.250", result: "not detected", categories: [] }],
      lookups: [["http://fakess123.nu", "198.51.100.250"]],
    });
  });

  test.each([
    ["an unknown version", "/api/8.0/lookup", json([{ object: "a" }]), 404],
    ["GET", "/api/1.0/lookup", { method: "GET" }, 405],
    ["an XML Accept", "/api/1.0/lookup", json([{ object: "a" }], { Accept: "application/xml" }), 406],
    ["invalid JSON", "/api/1.0/lookup", { ...json(null), body: "[{" }, 400],
    ["an empty array", "/api/1.0/lookup", json([]), 400],
    ["an object instead of an array", "/api/1.0/lookup", json({ object: "a" }), 400],
    ["an item without object", "/api/1.0/lookup", json([{ object: "a" }, { value: "b" }]), 400],
    ["a number as object", "/api/1.0/lookup", json([{ object: 42 }]), 400],
    ["an unknown path", "/api/1.0/suppliers", json([]), 404],
    ["a tenant other than General", "/api/1.3/Acme/lookup", json([{ object: "a" }]), 404],
    ["API 1.3 without a tenant", "/api/1.3/lookup", json([{ object: "a" }]), 404],
    ["GET on a tenant's lookup", "/api/1.3/General/lookup", { method: "GET" }, 405],
    ["POST on /status", "/status", { method: "POST" }, 405],
    ["GET on /reload", "/reload", { method: "GET" }, 405],
  ] as const)("rejects %s", async (_name, path, init, code) => {
    const { app, lookups } = makeApp();
    const res = await app.request(path, init);
    const body = (await res.json()) as { error?: unknown };
    expect({ status: res.status, error: typeof body.error, lookups }).toEqual({ status: code, error: "string", lookups: [] });
  });

  test("answers 405 with the allowed method", async () => {
    const { app } = makeApp();
    const res = await app.request("/api/1.2/lookup", { method: "PUT" });
    expect({ status: res.status, allow: res.headers.get("allow") }).toEqual({ status: 405, allow: "POST" });
  });

  test("answers 425 to lookups while feeds are loading", async () => {
    const { app, lookups } = makeApp({ status: { ready: false } });
    const res = await app.request("/api/1.0/lookup", json([{ object: "a" }]));
    expect({ status: res.status, lookups }).toEqual({ status: 425, lookups: [] });
  });

  test("answers 413 to a body over the limit without reading it all", async () => {
    const { app, lookups } = makeApp({ lookupLimits: { maxBodyBytes: 1024 } });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(600).fill(0x20));
      },
    });
    const res = await app.request("/api/1.0/lookup", { method: "POST", body, duplex: "half" } as RequestInit);
    expect({ status: res.status, lookups, stoppedEarly: pulled < 10 }).toEqual({ status: 413, lookups: [], stoppedEarly: true });
  });

  test("answers 413 at once when Content-Length is over the limit", async () => {
    const { app } = makeApp({ lookupLimits: { maxBodyBytes: 10 } });
    const res = await app.request("/api/1.0/lookup", json([{ object: "http://fakess123.nu" }]));
    expect(res.status).toBe(413);
  });

  describe("with a token", () => {
    const token = "s3cret-token";
    const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`;

    test.each([
      ["no credentials", undefined, 401],
      ["a wrong bearer token", "Bearer s3cret-tokeX", 401],
      ["a bearer token prefix", "Bearer s3cret", 401],
      ["the bearer token", `Bearer ${token}`, 200],
      ["Basic with the token as password", basic("admin", token), 200],
      ["Basic with a wrong password", basic("admin", "nope"), 401],
      ["Basic that is not base64", "Basic !!!", 401],
      ["an unknown scheme", `Token ${token}`, 401],
    ] as const)("GET /status with %s answers %d", async (_name, authorization, code) => {
      const { app } = makeApp({ token, isLoopback: false });
      const res = await app.request("/status", authorization === undefined ? {} : { headers: { Authorization: authorization } });
      expect(res.status).toBe(code);
    });

    test("asks for credentials on 401", async () => {
      const { app } = makeApp({ token, isLoopback: false });
      const res = await app.request("/metrics");
      expect({ status: res.status, challenge: res.headers.get("www-authenticate") }).toEqual({
        status: 401,
        challenge: 'Bearer realm="ioclens", Basic realm="ioclens"',
      });
    });

    test("protects lookups and reload too", async () => {
      const { app, lookups, reloads } = makeApp({ token, isLoopback: false });
      const statuses = [
        (await app.request("/api/1.0/lookup", json([{ object: "a" }]))).status,
        (await app.request("/reload", { method: "POST" })).status,
        (await app.request("/nowhere")).status,
      ];
      expect({ statuses, lookups, reloads }).toEqual({ statuses: [401, 401, 401], lookups: [], reloads: [] });
    });

    test("leaves /health open", async () => {
      const { app } = makeApp({ token, isLoopback: false });
      expect(await answer(await app.request("/health"))).toEqual({ status: 200, body: { status: "ok" } });
    });
  });

  describe("with Basic credentials (CyberTrace's REST API)", () => {
    const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`;
    const basicAuth = { user: "user", password: "pa:ss" };

    test.each([
      ["no credentials", undefined, undefined, 401],
      ["the user and password", undefined, basic("user", "pa:ss"), 200],
      // The documented example of CyberTrace's REST API: user "user", password "password".
      ["CyberTrace's documented header for user:password", { user: "user", password: "password" }, "Basic dXNlcjpwYXNzd29yZA==", 200],
      ["a wrong password", undefined, basic("user", "pa:sx"), 401],
      ["a wrong user", undefined, basic("usex", "pa:ss"), 401],
      ["the password alone as a bearer token", undefined, "Bearer pa:ss", 401],
      ["the user with an empty password", undefined, basic("user", ""), 401],
    ] as const)("GET /status with %s", async (_name, credentials, authorization, code) => {
      const { app } = makeApp({ basicAuth: credentials ?? basicAuth, isLoopback: false });
      const res = await app.request("/status", authorization === undefined ? {} : { headers: { Authorization: authorization } });
      expect(res.status).toBe(code);
    });

    test("next to a token, both are accepted", async () => {
      const { app } = makeApp({ basicAuth, token: "t0ken", isLoopback: false });
      const statuses = await Promise.all(
        [basic("user", "pa:ss"), "Bearer t0ken", basic("anyone", "t0ken"), basic("user", "t0kex")].map(
          async (authorization) => (await app.request("/status", { headers: { Authorization: authorization } })).status,
        ),
      );
      expect(statuses).toEqual([200, 200, 200, 401]);
    });
  });

  test.each([
    ["beyond loopback without credentials", { isLoopback: false }, /without credentials/],
    ["an empty token", { token: "" }, /token is empty/],
    ["an empty Basic password", { basicAuth: { user: "user", password: "" } }, /Basic credentials are empty/],
  ] as const)("refuses to build %s", (_name, over, message) => {
    expect(() => makeApp(over)).toThrow(message);
  });
});

interface Family {
  type: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** A strict reader of the Prometheus text format 0.0.4: throws on anything malformed, so a
 *  successful parse proves the exposition is well-formed. */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
  if (!text.endsWith("\n")) throw new Error("Exposition: expected a final newline");
  const lines = text.slice(0, -1).split("\n");
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}`;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
      const fam = families.get(name) ?? { type: "untyped", help: "", samples: [] };
      if (fam.samples.length > 0) throw new Error(`${where}: ${kind} after samples of ${name}`);
      if (kind === "HELP") fam.help = rest.replace(/\\(n|\\)/g, (_m, c: string) => (c === "n" ? "\n" : "\\"));
      else if (["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) fam.type = rest;
      else throw new Error(`${where}: bad type ${rest}`);
      families.set(name, fam);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`${where}: malformed sample ${JSON.stringify(line)}`);
    const [, name, rawLabels, rawValue] = m as unknown as [string, string, string | undefined, string];
    const fam = families.get(name);
    if (fam === undefined || fam.type === "untyped") throw new Error(`${where}: sample of ${name} before its TYPE`);
    const labels: Record<string, string> = {};
    if (rawLabels !== undefined) {
      let rest = rawLabels.slice(1, -1);
      while (rest.length > 0) {
        const lm = /^([^=]+)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/.exec(rest);
        if (lm === null || !LABEL.test(lm[1]!)) throw new Error(`${where}: malformed labels ${rawLabels}`);
        labels[lm[1]!] = lm[2]!.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
        rest = rest.slice(lm[0].length);
      }
    }
    const value = rawValue === "+Inf" ? Infinity : rawValue === "-Inf" ? -Infinity : rawValue === "NaN" ? Number.NaN : Number(rawValue);
    if (Number.isNaN(value) && rawValue !== "NaN") throw new Error(`${where}: bad value ${rawValue}`);
    const series = `${name}${JSON.stringify(labels)}`;
    if (seen.has(series)) throw new Error(`${where}: duplicate series ${series}`);
    seen.add(series);
    fam.samples.push({ labels, value });
  }
  return families;
}
