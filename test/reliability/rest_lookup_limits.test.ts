/**
 * Large REST lookups (issue 12 #6): a big lookup is worked through in slices with the event loop
 * free in between, so PING is answered while it runs; requests over the limits are refused with
 * 413 / 429, counted in /status and /metrics, and logged.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_FEEDS } from "../../src/config/embedded_defaults.ts";
import { startLookupService } from "../../src/service/lookup_service.ts";
import { serveHttp } from "../../src/runtime/serve_http.ts";
import { createStatusApp } from "../../src/service/status_app.ts";
import { testConfig } from "../_support/test_service.ts";
import { killChildren, spawnIoclens, waitFor } from "../_support/child_processes.ts";
import { writeServiceConfig } from "./_service_config.ts";

afterEach(killChildren);

const lookupBody = (count: number) => "[" + Array.from({ length: count }, (_, i) => `{"object":"10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}"}`).join(",") + "]";

describe("REST lookups and PING", () => {
  test("PING is answered while a lookup of 400,000 objects is still being worked through", async () => {
    const service = await startLookupService(testConfig(), { now: Date.now, log: () => {}, openFeed: async (_config, name) => EMBEDDED_FEEDS.get(name) ?? "" });
    const events: string[] = [];
    let pinged = false;
    const ping = () => {
      const socket = createConnection({ host: "127.0.0.1", port: service.port });
      socket.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("PONG")) events.push("PONG");
      });
      socket.on("error", () => events.push("PING failed"));
      socket.write("X-KF-ReplyBackPING");
    };
    const app = createStatusApp({
      getStatus: service.status,
      reload: service.reload,
      isLoopback: true,
      lookup: async (values) => {
        events.push("slice");
        // The PING goes out once the lookup is under way: the body is read, slices are running.
        if (!pinged) {
          pinged = true;
          ping();
        }
        const answers = await service.lookup(values);
        events.push("slice done");
        return answers;
      },
    });
    const http = await serveHttp("127.0.0.1", 0, app.fetch);
    try {
      const response = await fetch(`http://127.0.0.1:${http.port}/api/1.0/lookup`, { method: "POST", body: lookupBody(400_000) });
      const answers = (await response.json()) as unknown[];
      events.push("answered");
      await waitFor(() => events.includes("PONG") || events.includes("PING failed"), "the PING to be answered");
      const pong = events.indexOf("PONG");
      const lastSlice = events.lastIndexOf("slice");
      // Order of events, not time: the PONG came back before the last slice was begun.
      expect({ status: response.status, answers: answers.length, slices: events.filter((e) => e === "slice").length, pongBeforeLastSlice: pong >= 0 && pong < lastSlice }).toEqual({
        status: 200,
        answers: 400_000,
        slices: 98,
        pongBeforeLastSlice: true,
      });
    } finally {
      await http.stop();
      await service.close();
    }
  });
});

describe("REST lookup limits in ioclens serve", () => {
  test("over MaxLookupObjects and MaxLookupBodySize: 413 with the element named, a log line, counted in /status and /metrics", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ioclens-rest-limits-"));
    try {
      const files = await writeServiceConfig(dir, (xml) =>
        xml.replace("</Listen>", "</Listen><MaxLookupObjects>1000</MaxLookupObjects><MaxLookupBodySize>65536</MaxLookupBodySize><MaxConcurrentLookups>1</MaxConcurrentLookups>"),
      );
      const serve = spawnIoclens(["serve", "--no-watchdog", "-c", files.config]);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${files.statusPort}/health`).then((r) => r.status, () => 0)) !== 0, "the status endpoint");
      const url = `http://127.0.0.1:${files.statusPort}/api/1.0/lookup`;
      const tooMany = await fetch(url, { method: "POST", body: lookupBody(1001) });
      const tooBig = await fetch(url, { method: "POST", body: lookupBody(5000) });
      const fine = await fetch(url, { method: "POST", body: lookupBody(1000) });
      const status = (await (await fetch(`http://127.0.0.1:${files.statusPort}/status`)).json()) as { restLookups: unknown };
      const metrics = (await (await fetch(`http://127.0.0.1:${files.statusPort}/metrics`)).text()).split("\n").filter((l) => l.startsWith("ioclens_rest_lookups_rejected_total"));
      expect({
        statuses: [tooMany.status, tooBig.status, fine.status],
        errors: [await tooMany.json(), await tooBig.json()],
        answered: ((await fine.json()) as unknown[]).length,
        restLookups: status.restLookups,
        metrics,
        logged: serve.stderr().split("\n").filter((l) => l.includes("REST lookup refused")).map((l) => l.replace(/^\S+ /, "")),
      }).toEqual({
        statuses: [413, 413, 200],
        errors: [
          { error: "Too many objects in one lookup: more than 1000, expected at most 1000 (StatusEndpoint > MaxLookupObjects); split the request" },
          { error: "Request body too large: expected at most 65536 bytes (StatusEndpoint > MaxLookupBodySize)" },
        ],
        answered: 1000,
        restLookups: { active: 0, answered: 1, objects: 1000, rejectedTooLarge: 2, rejectedBusy: 0, limits: { maxObjects: 1000, maxBodyBytes: 65536, maxConcurrent: 1 } },
        metrics: ['ioclens_rest_lookups_rejected_total{reason="too_large"} 2', 'ioclens_rest_lookups_rejected_total{reason="busy"} 0'],
        logged: [
          "warn  REST lookup refused: more than 1000 objects (StatusEndpoint > MaxLookupObjects)",
          `warn  REST lookup refused: body over 65536 bytes (StatusEndpoint > MaxLookupBodySize): ${lookupBody(5000).length} bytes declared`,
        ],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
