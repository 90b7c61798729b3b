import { afterEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_FEEDS } from "../../src/config/embedded_defaults.ts";
import { startLookupService } from "../../src/service/lookup_service.ts";
import { OutputSink, type AppendFile } from "../../src/service/output_sink.ts";
import { createStatusApp } from "../../src/service/status_app.ts";
import { converse, testConfig } from "../_support/test_service.ts";
import { waitFor } from "../_support/child_processes.ts";

/** A file on a disk of `capacity` bytes: a write takes what fits and fails with ENOSPC once full, like the kernel's. */
function fullDisk(capacity: number) {
  const disk = { capacity, bytes: [] as number[], opens: 0, closes: 0 };
  const file: AppendFile = {
    write: async (buffer, offset, length) => {
      const room = disk.capacity - disk.bytes.length;
      if (room <= 0) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      const n = Math.min(room, length);
      disk.bytes.push(...buffer.subarray(offset, offset + n));
      return { bytesWritten: n };
    },
    stat: async () => ({ size: disk.bytes.length }),
    truncate: async (length) => void disk.bytes.splice(length),
    close: async () => void disk.closes++,
  };
  return {
    disk,
    text: () => new TextDecoder().decode(new Uint8Array(disk.bytes)),
    openFile: async () => (disk.opens++, file),
  };
}

const numbered = (count: number) => Array.from({ length: count }, (_, i) => `detection n=${i} ${"x".repeat(40)}`);

const sinks: OutputSink[] = [];
afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close(0);
});

function fileSink(openFile: (path: string) => Promise<AppendFile>, log: string[] = []): OutputSink {
  const sink = new OutputSink({ kind: "file", path: "/var/log/ioclens/detections.log" }, {
    queueLimit: 10_000,
    retriesCount: 3,
    retryDelayMs: 1,
    openFile,
    log: (level, message) => log.push(`${level} ${message}`),
  });
  sinks.push(sink);
  return sink;
}

describe("file: output on a full disk", () => {
  test("a batch cut short by the disk goes on where it stopped: every line once and whole when space returns", async () => {
    const lines = numbered(300);
    const expected = lines.map((l) => l + "\n").join("");
    const { disk, text, openFile } = fullDisk(5000);
    const log: string[] = [];
    const sink = fileSink(openFile, log);
    for (const line of lines) sink.send(line);

    await waitFor(() => sink.stats().connected === false, "the sink to notice the full disk");
    // What is on the disk is the start of the stream: nothing repeated, at most one line not yet finished.
    expect({ prefix: expected.startsWith(text()), full: disk.bytes.length, error: sink.stats().error }).toEqual({
      prefix: true,
      full: 5000,
      error: "ENOSPC: no space left on device, write",
    });
    expect(text().endsWith("\n")).toBe(false);

    disk.capacity = 1_000_000;
    await waitFor(() => sink.stats().queueDepth === 0, "the queue to drain once space returned");
    expect({ text: text(), stats: sink.stats(), log }).toEqual({
      text: expected,
      stats: { queueDepth: 0, queueLimit: 10_000, sent: 300, dropped: 0, connected: true },
      log: [
        "error cannot be written: ENOSPC: no space left on device, write; queueing up to 10000 lines, retrying every 1 ms",
        "info writable again",
      ],
    });
  });

  test("stopping while the disk is still full removes the line it cut and counts the rest as dropped", async () => {
    const lines = numbered(300);
    const { disk, text, openFile } = fullDisk(5000);
    const sink = fileSink(openFile);
    for (const line of lines) sink.send(line);
    await waitFor(() => sink.stats().connected === false, "the sink to notice the full disk");
    expect({ full: disk.bytes.length, cut: !text().endsWith("\n") }).toEqual({ full: 5000, cut: true });
    await sink.close();

    const written = text().split("\n");
    expect(written.pop()).toBe("");
    const { sent, dropped } = sink.stats();
    expect({ written, dropped, handlesLeftOpen: disk.opens - disk.closes }).toEqual({ written: lines.slice(0, sent), dropped: 300 - sent, handlesLeftOpen: 0 });
    expect(sent).toBeGreaterThan(80);
  });

  test("lines the full disk left at stop are a warning, not the quiet note for a target nothing ever listened on", async () => {
    const { openFile } = fullDisk(5000);
    const log: string[] = [];
    const sink = fileSink(openFile, log);
    for (const line of numbered(300)) sink.send(line);
    await waitFor(() => sink.stats().connected === false, "the sink to notice the full disk");
    await sink.close();
    const { dropped } = sink.stats();
    expect(log.filter((line) => line.includes("queued lines"))).toEqual([
      `warn ${dropped} queued lines were not delivered before stopping: file:/var/log/ioclens/detections.log is unreachable`,
    ]);
  });

  test("a file that can never be written (/dev/full) is connected: false in /status and degrades /health", async () => {
    const config = testConfig((xml) =>
      xml
        .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", "<ConnectionString>file:/dev/full</ConnectionString>")
        .replace("<EventSendingRetriesTimeout>10</EventSendingRetriesTimeout>", "<EventSendingRetriesTimeout>0</EventSendingRetriesTimeout>"),
    );
    const service = await startLookupService(config, { now: Date.now, log: () => {}, openFeed: async (_config, name) => EMBEDDED_FEEDS.get(name) ?? "" });
    try {
      const app = createStatusApp({ getStatus: service.status, reload: service.reload, lookup: service.lookup, isLoopback: true });
      await waitFor(() => service.status().output.error !== undefined, "the service to find /dev/full unwritable");
      const health = await app.request("/health");
      expect({ status: health.status, body: await health.json(), output: service.status().output }).toEqual({
        status: 200,
        body: { status: "degraded", reason: "Output target file:/dev/full is down: ENOSPC: no space left on device, write" },
        output: {
          target: "file:/dev/full",
          queueDepth: expect.any(Number),
          queueLimit: 10000,
          dropped: 0,
          sent: 0,
          connected: false,
          error: "ENOSPC: no space left on device, write",
        },
      });
    } finally {
      await service.close();
    }
  });
});

/** Root can mount a real tmpfs here (CI runs as root); elsewhere the fake disk above covers the logic. */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), "ioclens-tmpfs-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

test.skipIf(!canMountTmpfs())("a real 4 MiB tmpfs filling with 5,000 detections: none lost, none repeated, none torn (root only: mounts a tmpfs)", async () => {
  const mountPoint = mkdtempSync(join(tmpdir(), "ioclens-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint]);
  try {
    const out = join(mountPoint, "detections.log");
    const free = () => {
      const s = statfsSync(mountPoint);
      return s.bavail * s.bsize;
    };
    // Leaves 1 MiB for ~4 MiB of detections: the disk fills in the middle of the run.
    writeFileSync(join(mountPoint, "filler"), Buffer.alloc(free() - 1024 * 1024));
    const config = testConfig((xml) =>
      xml
        .replace("<ConnectionString>127.0.0.1:9998</ConnectionString>", `<ConnectionString>file:${out}</ConnectionString>`)
        .replace("<EventSendingRetriesTimeout>10</EventSendingRetriesTimeout>", "<EventSendingRetriesTimeout>0</EventSendingRetriesTimeout>")
        .replace('<Source id="default">', '<Source id="default"><RE_N type="CONTEXT">event (\\d+)</RE_N>')
        .replace("<EventFormat><![CDATA[%Date% ", "<EventFormat><![CDATA[%Date% n=%RE_N% "),
    );
    const count = 5000;
    const service = await startLookupService(config, { now: Date.now, log: () => {}, openFeed: async (_config, name) => EMBEDDED_FEEDS.get(name) ?? "" });
    try {
      const events = Array.from({ length: count }, (_, i) => `event ${i} from 192.0.2.0 ${"x".repeat(300)}`).join("\n") + "\n";
      await converse(service.port, ["X-KF-SendFinishedEventX-IOCLENS-FinishedBack", events], count);
      await waitFor(() => free() < 4096, "the disk to fill");
      rmSync(join(mountPoint, "filler"));
      await waitFor(() => service.status().output.queueDepth === 0 && service.status().output.connected === true, "the queue to drain");
    } finally {
      await service.close();
    }
    const detections = readFileSync(out, "utf8").split("\n").filter((l) => l.includes("category=KL_IP_Reputation"));
    const numbers = detections.map((l) => (l.match(/ n=(\d+) /g) ?? []).join(""));
    const whole = /^\w{3} [ \d]?\d \d\d:\d\d:\d\d n=\d+ eventName=KL_IP_Reputation matchedIndicator=192\.0\.2\.0 category=KL_IP_Reputation .* ip_geo=zz$/;
    const torn = detections.filter((l) => !whole.test(l) || (l.match(/ n=\d+ /g) ?? []).length !== 1);
    expect({ lines: detections.length, distinct: new Set(numbers).size, torn }).toEqual({ lines: count, distinct: count, torn: [] });
  } finally {
    execFileSync("umount", [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});
