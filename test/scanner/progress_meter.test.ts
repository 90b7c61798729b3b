import { describe, expect, test } from "bun:test";
import { ProgressMeter } from "../../src/scanner/progress_meter.ts";

describe("ProgressMeter", () => {
  test("renders files, lines, bytes, rate, ETA and detections from an injected clock", async () => {
    let now = 0;
    const meter = new ProgressMeter({ files: 2, bytes: 4 * 1048576, now: () => now });
    const chunk = new Uint8Array(1048576);
    for await (const _ of meter.countBytes((async function* () { yield chunk; })())) { /* read */ }
    for (let i = 0; i < 1000; i++) meter.lineDone(i === 10 ? 2 : 0);
    meter.fileDone();
    now = 2000;
    expect(meter.render()).toBe("files 1/2  lines 1,000  1.0/4.0 MiB  500 lines/s  ETA 00:06  detections 2");
  });
});
