import { describe, expect, test } from "bun:test";
import { createStatusApp, type StatusAppDeps } from "../../src/service/status_app.ts";
import type { LookupAnswer, ServiceStatus } from "../../src/service/service_status.ts";

const STATUS: ServiceStatus = {
  version: "0.1.0",
  uptimeSeconds: 1,
  ready: true,
  feeds: [],
  connections: { active: 0, waiting: 0, limit: 8 },
  events: { total: 0, detections: 0, suppressed: 0, dropped: 0, cut: 0 },
  detectionsByCategory: {},
  eps: { m1: 0, m5: 0, m15: 0 },
  output: { queueDepth: 0, queueLimit: 10, dropped: 0, sent: 0 },
  restarts: 0,
};

const notDetected = (object: string): LookupAnswer => ({ object, result: "not detected", categories: [] });

function makeApp(over: Partial<StatusAppDeps> = {}) {
  const calls: string[][] = [];
  const logs: string[] = [];
  const app = createStatusApp({
    getStatus: () => STATUS,
    reload: async () => ({ ok: true }),
    lookup: async (values) => (calls.push(values), values.map(notDetected)),
    isLoopback: true,
    log: (level, message) => logs.push(`${level} ${message}`),
    ...over,
  });
  return { app, calls, logs };
}

const body = (values: readonly string[]) => JSON.stringify(values.map((object) => ({ object })));
const post = (text: string): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: text });
const restStats = async (app: ReturnType<typeof makeApp>["app"]) => ((await (await app.request("/status")).json()) as ServiceStatus).restLookups;

describe("REST lookups under limits", () => {
  test("a big lookup is looked up in slices of 4096, in order, and answered whole with its Content-Length", async () => {
    const { app, calls } = makeApp();
    const values = Array.from({ length: 10_000 }, (_, i) => `198.51.100.${i % 256}/${i}`);
    const res = await app.request("/api/1.0/lookup", post(body(values)));
    const text = await res.text();
    expect({
      status: res.status,
      type: res.headers.get("content-type"),
      length: Number(res.headers.get("content-length")),
      slices: calls.map((c) => c.length),
      answer: JSON.parse(text),
    }).toEqual({
      status: 200,
      type: "application/json",
      length: new TextEncoder().encode(text).length,
      slices: [4096, 4096, 1808],
      answer: values.map(notDetected),
    });
    expect(await restStats(app)).toMatchObject({ active: 0, answered: 1, objects: 10_000 });
  });

  test("an answer over 4 MiB is streamed whole (chunked, without Content-Length)", async () => {
    const { app } = makeApp();
    const values = Array.from({ length: 80_000 }, (_, i) => `v${i}`);
    const res = await app.request("/api/1.0/lookup", post(body(values)));
    const text = await res.text();
    expect({ status: res.status, length: res.headers.get("content-length"), bytes: text.length > 4 << 20, answer: JSON.parse(text) }).toEqual({
      status: 200,
      length: null,
      bytes: true,
      answer: values.map(notDetected),
    });
  });

  test("a body that arrives in small pieces gives the same answer: slices are put together across them", async () => {
    const { app, calls } = makeApp();
    const values = Array.from({ length: 9000 }, (_, i) => `http:\/\/ünï-${i}.example\/`);
    const bytes = new TextEncoder().encode(body(values));
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 7, 8, 9… bytes at a time: item and character boundaries fall everywhere.
        const step = 7 + (at % 5);
        controller.enqueue(bytes.slice(at, at + step));
        at += step;
        if (at >= bytes.length) controller.close();
      },
    });
    const res = await app.request("/api/1.0/lookup", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect({ status: res.status, answer: await res.json(), slices: calls.map((c) => c.length) }).toEqual({
      status: 200,
      answer: values.map(notDetected),
      slices: [4096, 4096, 808],
    });
  });

  test("escaped slashes, as in CyberTrace's documented request, are read as slashes", async () => {
    const { app, calls } = makeApp();
    const res = await app.request("/api/1.1/lookup", post('[{"object":"http:\\/\\/example.com"},{"object":"C1153422C5F68E731347F6A33F791598"}]'));
    expect({ status: res.status, calls, answer: await res.json() }).toEqual({
      status: 200,
      calls: [["http://example.com", "C1153422C5F68E731347F6A33F791598"]],
      answer: [notDetected("http://example.com"), notDetected("C1153422C5F68E731347F6A33F791598")],
    });
  });

  test("more objects than MaxLookupObjects: 413 before any is looked up, counted and logged", async () => {
    const { app, calls, logs } = makeApp({ lookupLimits: { maxObjects: 100 } });
    const res = await app.request("/api/1.0/lookup", post(body(Array.from({ length: 101 }, (_, i) => `v${i}`))));
    expect({ status: res.status, body: await res.json(), calls, logs }).toEqual({
      status: 413,
      body: { error: "Too many objects in one lookup: more than 100, expected at most 100 (StatusEndpoint > MaxLookupObjects); split the request" },
      calls: [],
      logs: ["warn REST lookup refused: more than 100 objects (StatusEndpoint > MaxLookupObjects)"],
    });
    expect(await restStats(app)).toMatchObject({ rejectedTooLarge: 1, answered: 0 });
  });

  test("a body over MaxLookupBodySize without a Content-Length: 413, counted and logged", async () => {
    const { app, logs } = makeApp({ lookupLimits: { maxBodyBytes: 1024 } });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body(Array.from({ length: 100 }, (_, i) => `v${i}`))));
        controller.close();
      },
    });
    const res = await app.request("/api/1.0/lookup", { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect({ status: res.status, body: await res.json(), logs }).toEqual({
      status: 413,
      body: { error: "Request body too large: expected at most 1024 bytes (StatusEndpoint > MaxLookupBodySize)" },
      logs: ["warn REST lookup refused: body over 1024 bytes (StatusEndpoint > MaxLookupBodySize): more than that sent without a Content-Length"],
    });
    expect(await restStats(app)).toMatchObject({ rejectedTooLarge: 1 });
  });

  test("a lookup over MaxConcurrentLookups: 429 with Retry-After, counted, logged at the 1st, 2nd, 4th… refusal", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { app, logs } = makeApp({
      lookupLimits: { maxConcurrent: 1 },
      lookup: async (values) => {
        started();
        await held;
        return values.map(notDetected);
      },
    });
    const first = app.request("/api/1.0/lookup", post(body(["a"])));
    await running;
    const refused = [];
    for (let i = 0; i < 3; i++) refused.push(await app.request("/api/1.0/lookup", post(body(["b"]))));
    expect(await restStats(app)).toMatchObject({ active: 1, rejectedBusy: 3 });
    release();
    expect((await first).status).toBe(200);
    expect({
      statuses: refused.map((r) => r.status),
      retryAfter: refused[0]!.headers.get("retry-after"),
      body: await refused[0]!.json(),
      logs,
    }).toEqual({
      statuses: [429, 429, 429],
      retryAfter: "1",
      body: { error: "Too many lookups in progress: 1, expected at most 1 at once (StatusEndpoint > MaxConcurrentLookups); retry later" },
      logs: [
        "warn REST lookup refused: 1 in progress, the limit (StatusEndpoint > MaxConcurrentLookups); 1 refused so far",
        "warn REST lookup refused: 1 in progress, the limit (StatusEndpoint > MaxConcurrentLookups); 2 refused so far",
      ],
    });
    expect((await app.request("/api/1.0/lookup", post(body(["c"])))).status).toBe(200);
  });

  test("a malformed item in a later slice: 400 naming the item, nothing answered", async () => {
    const { app } = makeApp();
    const values = Array.from({ length: 5000 }, (_, i) => ({ object: `v${i}` })) as unknown[];
    values[4500] = { object: 7 };
    const res = await app.request("/api/1.0/lookup", post(JSON.stringify(values)));
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 400,
      body: { error: 'Malformed lookup body: item 4500 has no string "object", expected {"object": "<value>"}' },
    });
    expect(await restStats(app)).toMatchObject({ answered: 0, objects: 0, active: 0 });
  });

  test("/metrics counts them", async () => {
    const { app } = makeApp({ lookupLimits: { maxObjects: 1 } });
    await app.request("/api/1.0/lookup", post(body(["a"])));
    await app.request("/api/1.0/lookup", post(body(["a", "b"])));
    const text = await (await app.request("/metrics")).text();
    expect(text.split("\n").filter((l) => l.startsWith("ioclens_rest_"))).toEqual([
      "ioclens_rest_lookups_active 0",
      "ioclens_rest_lookups_total 1",
      "ioclens_rest_lookup_objects_total 1",
      'ioclens_rest_lookups_rejected_total{reason="too_large"} 1',
      'ioclens_rest_lookups_rejected_total{reason="busy"} 0',
    ]);
  });
});
