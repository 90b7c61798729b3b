import { expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { recordingIo } from "../_support/recording_io.ts";
import { startTestService, testConfig } from "../_support/test_service.ts";

const LINES = 1_000_000;
const EVERY = 1000;

async function waitFor(condition: () => boolean): Promise<void> {
  // Polls a counter the service updates; 5 ms apart so the check does not starve the scan.
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

test("the service stopped and restarted in the middle of a 1 M-line scan: counts exact, no duplicates", async () => {
  const dir = await mkdtemp(join(tmpdir(), "ioclens-resend-"));
  try {
    const log = join(dir, "big.log");
    const parts: string[] = [];
    for (let i = 1; i <= LINES; i++) parts.push(i % EVERY === 0 ? `line ${i} src=192.0.2.0` : `line ${i} nothing to see`);
    await writeFile(log, parts.join("\n") + "\n");

    const first = await startTestService();
    const port = first.port;
    const config = join(dir, "log_scanner.conf");
    await writeFile(config, `<Settings><ThreadsCount>4</ThreadsCount><OutputDir>${dir}</OutputDir><Connection>127.0.0.1:${port}</Connection><ConnectionTimeout>10</ConnectionTimeout><Verbose>1</Verbose></Settings>`);
    const io = recordingIo({ cwd: dir });
    const scanning = main(["scan", "-r", "-c", config, "-p", log], io);

    await waitFor(() => first.status().events.total > LINES / 4);
    await first.close();
    const second = await startTestService(testConfig((xml) => xml.replace("127.0.0.1:0", `127.0.0.1:${port}`)));
    const code = await scanning;
    await second.close();

    expect({ code, err: io.err().includes("resending") }).toEqual({ code: 0, err: true });
    expect(io.out()).toMatch(new RegExp(`^Total number of objects sent to KTFS: ${LINES}\nTotal number of detects received from KTFS: ${LINES / EVERY}\n`));
    const sidecar = (await readFile(/^Report: (.+)$/m.exec(io.out())![1]!.replace(/\.txt$/, ".ndjson"), "utf8")).trimEnd().split("\n");
    const lines = sidecar.slice(0, -1).map((l) => JSON.parse(l).line as number).sort((a, b) => a - b);
    expect(lines).toEqual(Array.from({ length: LINES / EVERY }, (_, i) => (i + 1) * EVERY));
    expect(first.status().events.total + second.status().events.total).toBeGreaterThanOrEqual(LINES);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
