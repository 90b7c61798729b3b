/**
 * WorkerPool and RetroScan's batches (issue 15 with Workers above 1): a retro run asks every
 * worker for its pending values; a stop that ends the threads meanwhile must end that wait, or
 * the service's stop waits for the run (found under load: the e2e RetroScan test's service was
 * SIGKILLed 4 times in 10 runs with both cores busy).
 */
import { describe, expect, test } from "bun:test";
import { once } from "node:events";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { EncodedValues } from "../../src/retroscan/value_batch.ts";
import { EpsMeter } from "../../src/service/eps_meter.ts";
import { ServiceCounters } from "../../src/service/service_counters.ts";
import { WorkerPool } from "../../src/service/worker_pool.ts";
import { dayOf } from "../../src/retroscan/retro_store.ts";
import { waitFor } from "../_support/child_processes.ts";
import { testConfig } from "../_support/test_service.ts";

async function startPool(accepted: (EncodedValues | undefined)[], port = 0, counters?: ServiceCounters): Promise<WorkerPool> {
  const config = testConfig((xml) => xml.replace("</ServiceSettings>", `<RetroScan enabled="true" database="unused.db"/></ServiceSettings>`));
  const index = new IndicatorIndex();
  index.compact();
  const log = () => {};
  const eps = new EpsMeter(Date.now);
  return WorkerPool.start(
    {
      count: 2, host: "127.0.0.1", port, limits: config.service.connections, scanners: 1, slowEventMs: 1000, log,
      counters: counters ?? new ServiceCounters(log, 1000, (at) => eps.mark(1, at)), eps, toOutput: () => {},
      retro: { accept: (values) => accepted.push(values) },
    },
    { generation: 1, config, snapshot: index.share() },
  );
}

describe("WorkerPool.flushRetro()", () => {
  test("every worker answers; asked during a stop, it ends with the stop, none left waiting", async () => {
    const accepted: (EncodedValues | undefined)[] = [];
    const pool = await startPool(accepted);
    expect(await pool.flushRetro()).toBe(0);
    // Asked in the same turn as the stop: the threads end, answered or not, and the wait with them.
    const stopping = pool.stop(1000);
    const unanswered = pool.flushRetro();
    await stopping;
    expect(await unanswered).toBe(0);
    // Nothing was pending: the answers carried no values.
    expect(accepted.every((v) => v === undefined)).toBe(true);
  }, 30_000);
});

describe("WorkerPool.forgetRetroDay()", () => {
  test("has a worker's batch hand that day's values over again, with their text (the size cap cut the day)", async () => {
    // A port the two workers can share, as the service resolves port 0.
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const accepted: (EncodedValues | undefined)[] = [];
    const counters = new ServiceCounters(() => {}, 1000, () => {});
    const pool = await startPool(accepted, port, counters);
    const client = createConnection(port, "127.0.0.1");
    await once(client, "connect");
    const sent = async (events: number): Promise<EncodedValues[]> => {
      client.write("visit forget.example now\n");
      await waitFor(() => counters.events === events, `${events} event(s) counted`);
      accepted.length = 0;
      await pool.flushRetro();
      return accepted.filter((v) => v !== undefined);
    };
    try {
      expect((await sent(1)).map((v) => v.n)).toEqual([1]);
      // Seen again: a count for its handle, no value.
      expect((await sent(2)).map((v) => v.n)).toEqual([0]);
      pool.forgetRetroDay(dayOf(Date.now()));
      // Every worker has read the message once it answers a heartbeat sent after it.
      expect(await pool.allAnswer()).toBe(true);
      expect((await sent(3)).map((v) => v.n)).toEqual([1]);
    } finally {
      client.destroy();
      await pool.stop(1000);
    }
  }, 30_000);
});
