/**
 * What a test starts (servers, services, temporary folders), undone after it in reverse order,
 * even when the test fails: one `afterEach` per file instead of a cleanup list in each.
 */
import { afterEach } from "bun:test";
import { tempDir } from "./child_processes.ts";

/** A file's cleanup stack; see {@link testCleanup}. */
export interface TestCleanup {
  /** Runs `step` after the current test. */
  defer(step: () => unknown): void;
  /** Disposes `resource` after the current test; returns it. */
  use<T extends AsyncDisposable>(resource: T): T;
  /** A new temporary folder, removed after the current test; returns its path. */
  tempDir(prefix: string): Promise<string>;
}

/**
 * Registers the file's `afterEach`; call once at the top level of a test file.
 *
 * @example
 * ```ts
 * const cleanup = testCleanup();
 * test("downloads", async () => {
 *   const server = cleanup.use(await startFeedServer());
 *   const dir = await cleanup.tempDir("ioclens-remote-");
 * });
 * ```
 */
export function testCleanup(): TestCleanup {
  const steps: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return {
    defer: (step) => void steps.push(step),
    use(resource) {
      steps.push(() => resource[Symbol.asyncDispose]());
      return resource;
    },
    async tempDir(prefix) {
      return this.use(await tempDir(prefix)).path;
    },
  };
}
