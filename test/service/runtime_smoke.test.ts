import { expect, test } from "bun:test";
import { join } from "node:path";

test("the runtime smoke (service, PING, ReplyBack, Bun.serve HTTPS status endpoint, REST lookup with Basic auth) passes under Bun", async () => {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "..", "..", "scripts", "runtime_smoke.ts")], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect({ code, stderr, stdout: stdout.replace(/\d+/g, "N") }).toEqual({ code: 0, stderr: "", stdout: "runtime smoke (bun): ok — service port N, https status port N\n" });
});
