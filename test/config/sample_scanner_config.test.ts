/**
 * samples/log_scanner.conf is what `npm run demo` (scripts/demo.ts) gives `scan -c`, so the demo
 * neither depends on nor warns about a log_scanner.conf in the working directory.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadScannerConfig } from "../../src/config/load_config.ts";

const SAMPLE = join(import.meta.dir, "../../samples/log_scanner.conf");
const BINARY_DIR = "/opt/ioclens";

describe("samples/log_scanner.conf", () => {
  test("loads without warnings and holds the built-in defaults, reports next to the binary included", async () => {
    const sample = await loadScannerConfig(SAMPLE, BINARY_DIR, true);
    const builtIn = await loadScannerConfig(undefined, BINARY_DIR);
    expect({ warnings: sample.warnings, config: { ...sample.config, source: "" } }).toEqual({ warnings: [], config: { ...builtIn.config, source: "" } });
  });
});
