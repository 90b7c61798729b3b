import { describe, expect, test } from "bun:test";
import { SERVING_ANNOUNCEMENT, spawnWorker } from "../../src/watchdog/spawn_worker.ts";
import { fakeSpawnDeps } from "./_fake_child.ts";

describe("spawnWorker()", () => {
  test("starts the command with a stdin pipe, stdout read, its own process group and the worker variables", () => {
    const f = fakeSpawnDeps();
    const worker = spawnWorker(f.deps, 3);
    const child = f.children[0]!;
    expect({ command: child.command, args: child.args, options: child.options, pid: worker.pid }).toEqual({
      command: "/usr/bin/ioclens",
      args: ["serve", "--no-watchdog", "-c", "a.conf"],
      options: { stdio: ["pipe", "pipe", "inherit"], env: { MIMALLOC_PURGE_DELAY: "-1", PATH: "/bin", IOCLENS_WORKER: "1", IOCLENS_RESTARTS: "3" }, detached: true },
      pid: 100,
    });
  });

  test("keeps the user's own allocator setting over the runtime's default", () => {
    const f = fakeSpawnDeps();
    spawnWorker({ ...f.deps, env: { PATH: "/bin", MIMALLOC_PURGE_DELAY: "10" } }, 0);
    expect(f.children[0]!.options.env.MIMALLOC_PURGE_DELAY).toBe("10");
  });

  test("on Windows the worker shares the console (no detached)", () => {
    const f = fakeSpawnDeps({ platform: "win32" });
    spawnWorker(f.deps, 0);
    expect(f.children[0]!.options.detached).toBe(false);
  });

  test("forwards the worker's stdout and is announced once the serving line arrives, even split across chunks", () => {
    const f = fakeSpawnDeps();
    const worker = spawnWorker(f.deps, 0);
    const child = f.children[0]!;
    child.print("loading feeds\nioclens: serv");
    expect(worker.announced).toBe(false);
    child.print("ing on 127.0.0.1:9999\n");
    expect({ announced: worker.announced, running: worker.running, stdout: f.stdout.join("") }).toEqual({
      announced: true,
      running: true,
      stdout: `loading feeds\n${SERVING_ANNOUNCEMENT} 127.0.0.1:9999\n`,
    });
  });

  test("an announcement printed after the exit does not count; the exit closes the stdin pipe", async () => {
    const f = fakeSpawnDeps();
    const worker = spawnWorker(f.deps, 0);
    const child = f.children[0]!;
    child.exit(1);
    child.print(`${SERVING_ANNOUNCEMENT} 127.0.0.1:9999\n`);
    expect({ code: await worker.exited, running: worker.running, announced: worker.announced, stdinClosed: child.stdin.destroyed }).toEqual({
      code: 1,
      running: false,
      announced: false,
      stdinClosed: true,
    });
  });

  test("a worker that cannot be started exits with the spawn error code and is logged", async () => {
    const f = fakeSpawnDeps();
    const worker = spawnWorker(f.deps, 0);
    f.children[0]!.emit("error", new Error("spawn /usr/bin/ioclens ENOENT"));
    expect({ code: await worker.exited, logs: f.logs }).toEqual({ code: 5, logs: ["error cannot start the service process: spawn /usr/bin/ioclens ENOENT"] });
  });

  test("kill reaches the child", () => {
    const f = fakeSpawnDeps();
    const worker = spawnWorker(f.deps, 0);
    worker.kill("SIGTERM");
    worker.kill("SIGKILL");
    expect(f.children[0]!.signals).toEqual(["SIGTERM", "SIGKILL"]);
  });
});
