/**
 * WorkerPool and RetroScan's batches (issue 15 with Workers above 1): a retro run asks every
 * worker for its pending values; a stop that ends the threads meanwhile must end that wait, or
 * the service's stop waits for the run (found under load: the e2e RetroScan test's service was
 * SIGKILLed 4 times in 10 runs with both cores busy).
 */
import { describe, expect, test } from "bun:test";
import { IndicatorIndex } from "../../src/matching/indicator_index.ts";
import type { EncodedValues } from "../../src/retroscan/value_batch.ts";
import { EpsMeter } from "../../src/service/eps_meter.ts";
import { ServiceCounters } from "../../src/service/service_counters.ts";
import { WorkerPool } from "../../src/service/worker_pool.ts";
import { testConfig } from "../_support/test_service.ts";

async function startPool(accepted: (EncodedValues | undefined)[]): Promise<WorkerPool> {
  const config = testConfig((xml) => xml.replace("</ServiceSettings>", `<RetroScan enabled="true" database="unused.db"/></ServiceSettings>`));
  const index = new IndicatorIndex();
  index.compact();
  const log = () => {};
  const eps = new EpsMeter(Date.now);
  return WorkerPool.start(
    {
      count: 2, host: "127.0.0.1", port: 0, limits: config.service.connections, scanners: 1, slowEventMs: 1000, log,
      counters: new ServiceCounters(log, 1000, (at) => eps.mark(1, at)), eps, toOutput: () => {},
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
