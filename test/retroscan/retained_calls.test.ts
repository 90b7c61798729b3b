import { describe, expect, test } from "bun:test";
import { RetainedCallsWriter, replayRetained } from "../../src/retroscan/retained_calls.ts";
import type { RetainedValue } from "../../src/retroscan/value_batch.ts";

type Call = [values: RetainedValue[], event: string, sourceId: string, slotNames: readonly string[], client: string | undefined, at: number];

describe("RetainedCallsWriter and replayRetained()", () => {
  test("give back every call in order: values with their slot and type, no client, no values, any characters", () => {
    const slotNames = ["RE_URL", "RE_IP", "RE_DOMAIN"];
    const calls: Call[] = [
      [[{ slot: 0, type: "URL", value: "http://a.example/x?q=%0A" }, { slot: 1, type: "IP", value: "192.0.2.1" }], "GET http://a.example/x?q=%0A from 192.0.2.1", "default", slotNames, "10.0.0.5", 1_700_000_000_123],
      [[{ slot: 2, type: "DOMAIN", value: "bücher.example" }], "dns bücher.example 😀", "src-2", slotNames, undefined, 1_700_000_000_124.5],
      [[], "", "", slotNames, "", 0],
      [[{ slot: 2, type: "DOMAIN", value: "line\nbreak" }, { slot: 2, type: "SHA256", value: "" }], "x", "default", slotNames, "::1", 1],
    ];
    const writer = new RetainedCallsWriter();
    for (const [values, event, sourceId, , client, at] of calls) writer.push(values, event, sourceId, client, at);
    const taken = writer.take()!;
    const replayed: Call[] = [];
    replayRetained(taken, slotNames, (values, event, sourceId, names, client, at) => replayed.push([[...values], event, sourceId, names, client, at]));
    expect(replayed).toEqual(calls);
    expect(writer.take()).toBeUndefined();
  });

  test("refuse numbers that reach past the text", () => {
    const writer = new RetainedCallsWriter();
    writer.push([{ slot: 0, type: "IP", value: "192.0.2.1" }], "event", "default", undefined, 5);
    const { text, nums } = writer.take()!;
    expect(() => replayRetained({ text: text.slice(0, -3), nums }, ["RE_IP"], () => {})).toThrow("retained calls: numbers past the text");
  });
});
