/**
 * The README's main job: build ioclens if needed, start `dist/ioclens serve` on its embedded
 * defaults (127.0.0.1:9999, demo feeds), scan the bundled sample log with a report, print the
 * report, then stop the service. The scan gets samples/log_scanner.conf with -c, so it does not
 * depend on (or warn about) a log_scanner.conf in the working directory.
 *
 * Usage: npm run demo
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { probeService, tcpProbeConnect } from "../src/protocol/probe.ts";

const root = resolve(import.meta.dir, "..");
const binary = join(root, "dist", "ioclens");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(binary) || statSync(binary).mtimeMs < newestSource(join(root, "src"))) {
  console.log("demo: building dist/ioclens ...");
  const build = spawnSync(process.execPath, [join(root, "scripts/build.ts"), "--linux-only"], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

console.log("demo: starting `dist/ioclens serve` (embedded config and demo feeds, 127.0.0.1:9999)");
const service = spawn(binary, ["serve", "--log-level", "error"], { stdio: ["ignore", "inherit", "pipe"] });
let serviceErr = "";
service.stderr.on("data", (chunk: Buffer) => {
  serviceErr += chunk.toString();
  process.stderr.write(chunk);
});
const exited = new Promise<number | null>((resolve) => service.once("exit", (code) => resolve(code)));

async function waitReady(): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const state = await Promise.race([probeService(tcpProbeConnect({ host: "127.0.0.1", port: 9999 }), 1000).then((ok) => (ok ? "up" : "down")), exited.then(() => "exited")]);
    if (state === "up") return true;
    if (state === "exited") return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

let status = 0;
if (!(await waitReady())) {
  console.error(`demo: the service did not come up${serviceErr.includes("EADDRINUSE") ? " (is something else listening on 127.0.0.1:9999?)" : ""}`);
  status = 1;
} else {
  console.log("demo: scanning samples/demo.log\n");
  const scan = spawnSync(binary, ["scan", "-r", "-c", join(root, "samples", "log_scanner.conf"), "-p", join(root, "samples", "demo.log")], { encoding: "utf8" });
  process.stderr.write(scan.stderr);
  process.stdout.write(scan.stdout);
  const report = /^Report: (.+)$/m.exec(scan.stdout)?.[1];
  if (report && existsSync(report)) {
    console.log(`\n--- ${report} ---`);
    process.stdout.write(readFileSync(report, "utf8"));
  }
  status = scan.status ?? 1;
  if (status !== 0) console.error(`demo: the scan exited ${status}`);
}
service.kill("SIGTERM");
await exited;
console.log(`\ndemo: service stopped`);
process.exit(status);
