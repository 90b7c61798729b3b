import { expect, test } from "bun:test";
import { join } from "node:path";

const REPO = join(import.meta.dir, "..", "..");
const SMOKE = join(REPO, "scripts", "retroscan_store_smoke.ts");

test.each([
  ["bun", [process.execPath, SMOKE]],
  ["deno", [join(REPO, "node_modules", ".bin", "deno"), "run", "-A", "--quiet", SMOKE]],
])("the RetroScan store smoke (fold, retro run, reopen, retention, corrupt, full) passes under %s", async (runtime, argv) => {
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect({ code, stderr, stdout }).toEqual({ code: 0, stderr: "", stdout: `retroscan store smoke (${runtime}): ok\n` });
});
