/**
 * Builds the ioclens executables: dist/ioclens (linux-x64) and dist/ioclens.exe (windows-x64).
 * The Windows binary is cross-compiled against the `@oven/bun-windows-x64` runtime of the same
 * Bun version, fetched from the npm registry with `npm pack` (no other download is possible here).
 *
 * Usage: bun scripts/build.ts [--linux-only]
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";

const root = resolve(import.meta.dir, "..");
const dist = join(root, "dist");
const cache = join(root, ".cache");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
const bunVersion = Bun.version;
const linuxOnly = process.argv.includes("--linux-only");

function run(cmd: string, args: string[], cwd = root): string {
  const result = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    throw new Error(`build step failed: ${cmd} ${args.join(" ")} exited ${result.status}`);
  }
  return result.stdout;
}

const common = [
  "build",
  "--compile",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  join(root, "src/main.ts"),
  // A worker's module is an entry point of its own (src/runtime/runtime.ts, workerUrl).
  join(root, "src/retroscan/_store_worker.ts"),
  join(root, "src/service/_lookup_worker.ts"),
];

/** Finds (or fetches with npm pack) the Windows runtime matching this Bun. */
function windowsRuntime(): string {
  const dir = join(cache, `bun-windows-x64-${bunVersion}`);
  const exe = join(dir, "package", "bin", "bun.exe");
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  const tarball = run("npm", ["pack", `@oven/bun-windows-x64@${bunVersion}`, "--silent"], dir).trim().split("\n").pop()!;
  run("tar", ["-xzf", tarball], dir);
  if (!existsSync(exe)) throw new Error(`build step failed: ${exe} not found in @oven/bun-windows-x64@${bunVersion}`);
  return exe;
}

function describe(file: string): string {
  const bytes = readFileSync(file);
  const sha = createHash("sha256").update(bytes).digest("hex");
  const mb = (statSync(file).size / 1048576).toFixed(1);
  return `${file.slice(root.length + 1)}  ${mb} MiB  sha256 ${sha}`;
}

mkdirSync(dist, { recursive: true });
const linux = join(dist, "ioclens");
run(process.execPath, [...common, "--target=bun-linux-x64", "--outfile", linux]);
const built = [linux];
if (!linuxOnly) {
  const exe = join(dist, "ioclens.exe");
  run(process.execPath, [...common, "--target=bun-windows-x64", `--compile-executable-path=${windowsRuntime()}`, "--outfile", exe]);
  built.push(exe);
}
process.stdout.write(`ioclens ${pkg.version} (bun ${bunVersion})\n`);
for (const file of built) process.stdout.write(`${describe(file)}\n`);
