/**
 * `npm run bench`: runs every benchmark one after the other, each in its own process so one's
 * heap and JIT state cannot colour the next. Each prints its own figures (markdown tables for
 * docs/performance.md) or a skip message when ../shared/data is absent.
 *
 * Usage: bun scripts/bench/run_all.ts [--only name,name] [--size 1g] [--seconds 10] [--values 5000000] [--baseline DIR]
 *   names: matching, eventpath, throughput, cpu, scan, feeds, refresh, profile, retroscan, workers, scancpu
 *   --size goes to the scan benchmark, --seconds to throughput, cpu, refresh, profile and retroscan,
 *   --values (stored values of the retro run) to retroscan, --baseline (a tree of an earlier
 *   commit: `git archive <rev> | tar -x -C DIR` with node_modules linked) to eventpath and cpu,
 *   which then print the baseline's figures beside this tree's and the ratio; without it they
 *   print this tree's figures only and say so. workers takes --seconds and --size; scancpu
 *   takes --baseline too (scanner CPU per million lines, this tree against DIR).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { argValue, ROOT } from "./_bench_env.ts";

const BENCHES: readonly { name: string; file: string; args: (string | undefined)[] }[] = [
  { name: "matching", file: "matching.ts", args: [] },
  { name: "eventpath", file: "event_path.ts", args: ["--baseline", argValue("baseline")] },
  { name: "throughput", file: "service_throughput.ts", args: ["--seconds", argValue("seconds")] },
  { name: "cpu", file: "service_cpu.ts", args: ["--seconds", argValue("seconds"), "--baseline", argValue("baseline")] },
  { name: "scan", file: "scan_end_to_end.ts", args: ["--size", argValue("size")] },
  { name: "scancpu", file: "scanner_cpu.ts", args: ["--baseline", argValue("baseline")] },
  { name: "feeds", file: "feed_load.ts", args: [] },
  { name: "refresh", file: "feed_refresh.ts", args: ["--seconds", argValue("seconds")] },
  { name: "profile", file: "service_profile.ts", args: ["--seconds", argValue("seconds")] },
  { name: "retroscan", file: "retroscan.ts", args: ["--seconds", argValue("seconds"), "--values", argValue("values")] },
  { name: "workers", file: "workers.ts", args: ["--seconds", argValue("seconds"), "--size", argValue("size")] },
];

const only = argValue("only")?.split(",");
const unknown = only?.filter((n) => !BENCHES.some((b) => b.name === n)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`run_all: --only names an unknown benchmark: got ${unknown.join(", ")}, expected ${BENCHES.map((b) => b.name).join(", ")}\n`);
  process.exit(2);
}

let failed = 0;
for (const bench of BENCHES) {
  if (only && !only.includes(bench.name)) continue;
  // Pairs whose value is absent are dropped: each benchmark then uses its own default.
  const args: string[] = [];
  for (let i = 0; i < bench.args.length; i += 2) if (bench.args[i + 1] !== undefined) args.push(bench.args[i]!, bench.args[i + 1]!);
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/bench", bench.file), ...args], { cwd: ROOT, stdio: "inherit" });
    child.once("exit", (c) => resolve(c));
  });
  process.stdout.write(`\n(${bench.name}: ${((performance.now() - started) / 1000).toFixed(0)} s${code === 0 ? "" : `, FAILED with exit ${code}`})\n\n`);
  if (code !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
