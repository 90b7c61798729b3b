/**
 * Real forwarders from Debian feeding `ioclens serve` (issue 11, "Real forwarders"): rsyslog and
 * syslog-ng each forward a 200 k-line log file over TCP, with no preamble and without ever
 * reading their socket, into the service on its embedded config. Every line must be processed,
 * every detection and finished event must reach the SIEM listener in order, and nothing may
 * come back on the forwarder's connection — which a relay between the two counts, since the
 * forwarders' own sockets cannot be read from outside. Before routing by preamble, the finished
 * events of the embedded config were written back to them, and they stalled at ~190 k lines.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { killChildren, waitFor } from "../_support/child_processes.ts";
import { tempDir } from "../_support/system_tools.ts";
import { cleanOutcome, forwardingOutcome, startCountingRelay, startServe, startTallyListener, within } from "./_forwarding_outcome.ts";
import { startRsyslog, startSyslogNg, stopDaemons, type ForwardJob, type Daemon } from "./_forwarder_daemons.ts";

afterEach(stopDaemons);
afterEach(killChildren);

const LINES = 200_000;

/**
 * A proxy and firewall log of `LINES` lines; every 100th line hits a demo feed, alternately
 * http://fakess123.nu (KL_Malicious_URL) and 192.0.2.0 (KL_IP_Reputation). `expected` lists
 * the detections as OutputTally writes them: `<line>:<matched indicator>`.
 */
function forwardedLog(): { text: string; expected: string[] } {
  const lines: string[] = [];
  const expected: string[] = [];
  for (let i = 1; i <= LINES; i++) {
    if (i % 200 === 100) {
      lines.push(`squid[42]: 10.1.${i % 250}.7 TCP_MISS/200 GET http://fakess123.nu - DIRECT/198.51.100.1 text/html n=${i}`);
      expected.push(`${i}:fakess123.nu`);
    } else if (i % 200 === 0) {
      lines.push(`kernel: ACCEPT IN=eth0 SRC=10.1.${i % 250}.7 DST=192.0.2.0 PROTO=TCP DPT=443 n=${i}`);
      expected.push(`${i}:192.0.2.0`);
    } else {
      lines.push(`squid[42]: 10.1.${i % 250}.7 TCP_MISS/200 GET http://www.example.com/p/${i}.html - DIRECT/198.51.100.1 text/html`);
    }
  }
  return { text: lines.join("\n") + "\n", expected };
}

describe.each([
  ["rsyslog (imfile, omfwd over TCP, default forwarding template)", startRsyslog],
  ["syslog-ng (file(), network() over TCP, template $MSG)", startSyslogNg],
] as const)("%s into ioclens serve on the embedded config", (name, startForwarder: (job: ForwardJob) => Promise<Daemon>) => {
  test(
    `forwards ${LINES} lines: all processed, every detection and finished event at the SIEM listener, 0 bytes back`,
    async () => {
      await using dir = await tempDir("compat");
      const input = join(dir.path, "proxy.log");
      const log = forwardedLog();
      await writeFile(input, log.text);

      await using siem = await startTallyListener();
      await using serve = await startServe(dir.path, siem.port);
      await using relay = await startCountingRelay(serve.port);
      const forwarder = await startForwarder({ dir: dir.path, input, port: relay.port });

      await within(
        120_000,
        siem.until((t) => t.finished >= LINES),
        () => `${name}: ${siem.tally} after ${relay.forwardBytes} bytes forwarded, ${relay.backBytes} back; forwarder ${forwarder.exitStatus() ?? "running"}: ${forwarder.stderr().slice(-1000)}`,
      );
      // Stopping the forwarder closes its connection; whatever the service sent it is counted by then.
      await forwarder.stop();
      await waitFor(() => relay.open === 0, "the forwarder's connection to close", 10_000, 10);
      const status = await serve.status();

      expect(relay.connections).toBeGreaterThanOrEqual(1);
      const outcome = forwardingOutcome(relay.backBytes, siem.tally, status);
      const clean = cleanOutcome(LINES, log.expected);
      if (relay.connections === 1) expect(outcome).toEqual(clean);
      else {
        // A forwarder that reconnected (rsyslog does under load) had two sessions at once for a
        // moment; their lines interleave at the output, so a detection can no longer be placed
        // by counting finished events. Everything must still arrive, nothing twice.
        const byIndicator = (detections: readonly string[]) => detections.map((d) => d.slice(d.indexOf(":") + 1)).sort();
        expect({ ...outcome, detections: byIndicator(outcome.detections) }).toEqual({ ...clean, detections: byIndicator(clean.detections) });
      }
    },
    180_000,
  );
});
