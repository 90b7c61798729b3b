/**
 * docs/ioclens.service: the keys docs/operations.md promises, `systemd-analyze verify` on a
 * copy whose commands point at the built binary, and its command lines run as written.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { BINARY, ensureBinary, ioclens, ROOT, run } from "../_support/ioclens_binary.ts";

const UNIT = readFileSync(join(ROOT, "docs", "ioclens.service"), "utf8");
const INSTALLED_BINARY = "/usr/local/bin/ioclens";
const INSTALLED_CONFIG = "/etc/ioclens/kl_feed_service.conf";
const dir = mkdtempSync(join(tmpdir(), "ioclens-e2e-unit-"));

beforeAll(ensureBinary, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Section → key → values in file order (systemd allows a key more than once). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0 || current === undefined) throw new Error(`ioclens.service:${index + 1}: expected Key=value inside a [Section], got "${line}"`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** The directives the unit may use: a misspelt key is what `systemd-analyze verify` would flag. */
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  Unit: ["Description", "Documentation", "Wants", "After"],
  Service: [
    "Type", "User", "Group", "WorkingDirectory", "ExecStartPre", "ExecStart", "ExecReload", "KillSignal", "KillMode",
    "TimeoutStopSec", "Restart", "RestartSec", "RestartPreventExitStatus", "SuccessExitStatus", "Environment",
    "LimitNOFILE", "UMask", "StateDirectory", "LogsDirectory", "ReadWritePaths", "NoNewPrivileges",
    "CapabilityBoundingSet", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
    "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
    "ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID",
    "LockPersonality", "SystemCallArchitectures",
  ],
  Install: ["WantedBy"],
};

function findOnPath(program: string): string | undefined {
  for (const folder of (process.env["PATH"] ?? "").split(delimiter)) {
    if (folder && existsSync(join(folder, program))) return join(folder, program);
  }
  return undefined;
}

describe("docs/ioclens.service", () => {
  const unit = parseUnit(UNIT);
  const service = unit.get("Service")!;
  const one = (key: string) => service.get(key)?.join(" | ");

  test("runs `ioclens serve -c /etc/ioclens/kl_feed_service.conf` as a hardened, restartable, reloadable service", () => {
    expect({
      Type: one("Type"),
      User: one("User"),
      ExecStart: one("ExecStart"),
      ExecReload: one("ExecReload"),
      KillSignal: one("KillSignal"),
      KillMode: one("KillMode"),
      TimeoutStopSec: one("TimeoutStopSec"),
      Restart: one("Restart"),
      RestartPreventExitStatus: one("RestartPreventExitStatus"),
      NoNewPrivileges: one("NoNewPrivileges"),
      ProtectSystem: one("ProtectSystem"),
      ReadWritePaths: one("ReadWritePaths"),
      MemoryDenyWriteExecute: one("MemoryDenyWriteExecute"),
      WantedBy: unit.get("Install")?.get("WantedBy")?.join(" "),
    }).toEqual({
      Type: "simple",
      User: "ioclens",
      ExecStart: `${INSTALLED_BINARY} serve -c ${INSTALLED_CONFIG}`,
      ExecReload: `${INSTALLED_BINARY} serve --check-config -c ${INSTALLED_CONFIG} | /bin/kill -HUP $MAINPID`,
      KillSignal: "SIGTERM",
      KillMode: "mixed",
      TimeoutStopSec: "30",
      Restart: "on-failure",
      RestartPreventExitStatus: "2 3",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ReadWritePaths: "/var/lib/ioclens /var/log/ioclens",
      // The JIT needs writable executable memory: this setting would kill the service at start.
      MemoryDenyWriteExecute: undefined,
      WantedBy: "multi-user.target",
    });
  });

  test("passes systemd-analyze verify with its commands pointing at the built binary", async () => {
    const analyze = findOnPath("systemd-analyze");
    if (process.env["CI"] === "true") {
      expect(analyze, "systemd-analyze is not installed: CI must install systemd (see .ci/run)").toBeString();
    }
    if (analyze === undefined) {
      // Without systemd here, catch what verify would catch first: a misspelt key.
      const unknown = [...unit].flatMap(([section, keys]) => [...keys.keys()].filter((key) => !KNOWN_KEYS[section]?.includes(key)).map((key) => `[${section}] ${key}`));
      expect(unknown).toEqual([]);
      return;
    }
    const copy = join(dir, "ioclens.service");
    writeFileSync(copy, UNIT.replaceAll(INSTALLED_BINARY, BINARY));
    const result = await run(analyze, ["verify", copy], { cwd: dir });
    // Only lines about our unit: a host's own broken units are not this test's business.
    const ours = (text: string) => text.split("\n").filter((line) => line.includes("ioclens"));
    expect({ code: result.code, stdout: ours(result.stdout), stderr: ours(result.stderr) }).toEqual({ code: 0, stdout: [], stderr: [] });
  });

  test("its ExecStartPre command line is one the binary accepts", async () => {
    const printed = await ioclens(["serve", "--print-config"], dir);
    writeFileSync(join(dir, "kl_feed_service.conf"), printed.stdout);
    const [program, ...args] = one("ExecStartPre")!.replace(INSTALLED_CONFIG, join(dir, "kl_feed_service.conf")).split(" ");
    expect(program).toBe(INSTALLED_BINARY);
    const check = await ioclens(args, dir);
    expect(check).toEqual({ code: 0, stdout: `${join(dir, "kl_feed_service.conf")}: ok (listen 127.0.0.1:9999, 14 feeds, 1 sources)\n`, stderr: "" });
  });
});
