/**
 * Scanner CPU per million lines (issue 17): `ioclens scan` of a generated log (default 1,000,000
 * lines, 5% with an indicator from ../shared/data) against one running `ioclens serve` (this
 * tree's), once with `-r` (report) and once without (forward). The scanner's CPU time (user +
 * system, from wait4 via /usr/bin/time, so exact and including start-up) is divided by the lines
 * sent. With `--baseline DIR` each round runs the baseline tree's scanner and this tree's one
 * after the other on the same file and service, so load from other processes falls on both;
 * the figure to read is the ratio within a round, and the best round of each. The reports of
 * both trees are compared (detection lines, sorted: the completion order varies from run to run).
 * With both modes, each round also gives each tree's report cost per detection: the report
 * scan's CPU less the forward scan's, divided by the detections received (the answers, the
 * sidecar's fields and the report writes; issue 17, "report mode, round 2").
 *
 * Make a baseline with `git archive <rev> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/`.
 *
 * Usage: bun scripts/bench/scanner_cpu.ts [--baseline DIR] [--lines 1000000] [--rounds 3] [--modes report,forward]
 */
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { argValue, benchTempDir, loadLine, machineLine, requireData, ROOT } from "./_bench_env.ts";
import { LogLineMaker, sampleIndicators } from "./_log_corpus.ts";
import { AlertListener, readCpuSeconds, serviceCommand, startProcess, writeServiceConfig } from "./_service_process.ts";

requireData("scanner_cpu");
const baseline = argValue("baseline");
const lineCount = Number(argValue("lines") ?? 1_000_000);
const rounds = Number(argValue("rounds") ?? 3);
const modes = (argValue("modes") ?? "report,forward").split(",");
for (const mode of modes) if (mode !== "report" && mode !== "forward") throw new Error(`--modes entry is invalid: got "${mode}", expected report or forward`);
const dir = benchTempDir("scanner_cpu");

console.log(`# Scanner CPU per million lines (${machineLine()})`);
console.log(loadLine());

const logFile = join(dir, "generated.log");
let bytes = 0;
{
  const maker = new LogLineMaker(await sampleIndicators(20_000));
  const out = createWriteStream(logFile);
  for (let n = 0; n < lineCount; ) {
    let chunk = "";
    for (; n < lineCount && chunk.length < 1 << 22; n++) chunk += maker.next().line + "\n";
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
}

const alerts = new AlertListener();
await alerts.listen();
const serviceConfig = join(dir, "kl_feed_service.conf");
writeServiceConfig(serviceConfig, alerts.port);
const service = await startProcess(serviceCommand(serviceConfig));
const scannerConfig = join(dir, "log_scanner.conf");
writeFileSync(
  scannerConfig,
  `<Settings>\n  <ThreadsCount>8</ThreadsCount>\n  <OutputDir>${join(dir, "reports")}</OutputDir>\n  <Connection>127.0.0.1:${service.port}</Connection>\n  <ConnectionTimeout>15</ConnectionTimeout>\n</Settings>\n`,
);

interface Run {
  readonly cpu: number;
  readonly user: number;
  readonly system: number;
  readonly wall: number;
  readonly serviceCpu: number;
  readonly sent: number;
  readonly detections: number;
  readonly report?: string;
}

/** One scan by the tree at `root`; its CPU from /usr/bin/time (wait4's rusage of the scanner process). */
function scan(root: string, mode: string, tag: string): Promise<Run> {
  const timeFile = join(dir, `time-${tag}.txt`);
  const report = join(dir, "reports", `report-${tag}.txt`);
  const argv = ["/usr/bin/time", "-f", "%U %S %e", "-o", timeFile, process.execPath, join(root, "src/main.ts"), "scan", "-c", scannerConfig, "-p", logFile, ...(mode === "report" ? ["-r", "--output", report] : [])];
  const serviceCpu0 = readCpuSeconds(service.pid);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-8000)));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`scan (${root}, ${mode}) failed: exit ${code}, stderr:\n${stderr}`));
      const [user, system, wall] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number) as [number, number, number];
      const sent = Number(/objects sent to KTFS:\s*(\d+)/i.exec(stdout)?.[1] ?? Number.NaN);
      const detections = Number(/detects received from KTFS:\s*(\d+)/i.exec(stdout)?.[1] ?? Number.NaN);
      resolvePromise({ cpu: user + system, user, system, wall, serviceCpu: readCpuSeconds(service.pid) - serviceCpu0, sent, detections, ...(mode === "report" ? { report } : {}) });
    });
  });
}

/**
 * A text report's detection lines, sorted, without the service's time stamp at their start (the
 * two trees' scans run at different times), the three summary lines at its end left out.
 */
function detectionLines(path: string): string[] {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0).slice(0, -3);
  return lines.map((l) => l.replace(/^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d /, "")).sort();
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const trees: [string, string][] = baseline === undefined ? [["current", ROOT]] : [["baseline", resolve(baseline)], ["current", ROOT]];
console.log(`file: ${lineCount} lines, ${(bytes / 1e6).toFixed(0)} MB; service: this tree's, one process; scanner: ThreadsCount 8; ${baseline === undefined ? "no baseline" : `baseline ${resolve(baseline)}`}; ${rounds} rounds`);
console.log("CPU s/M lines: scanner user + system over the whole process (start-up included), per million lines sent");
console.log("");
console.log(`| round | mode | ${trees.map(([n]) => `${n} CPU s/M lines (user/sys) | ${n} wall s | ${n} MB/s | ${n} service cores`).join(" | ")} |${baseline === undefined ? "" : " ratio |"}`);
console.log(`|---:|---|${trees.map(() => "---:|---:|---:|---:").join("|")}|${baseline === undefined ? "" : "---:|"}`);
const best = new Map<string, number>();
const ratios = new Map<string, number[]>();
let mismatches = 0;
/** Per tree, each round's report cost per detection in µs: (report CPU - forward CPU) / detections. */
const perDetection = new Map<string, number[]>();
const roundNotes: string[] = [];
for (let round = 1; round <= rounds; round++) {
  const cpuOf = new Map<string, Run>();
  for (const mode of modes) {
    const cells: string[] = [];
    const perM: number[] = [];
    const runs: Run[] = [];
    for (const [name, root] of trees) {
      const r = await scan(root, mode, `${name}-${mode}-${round}`);
      if (r.sent !== lineCount) throw new Error(`scan (${name}, ${mode}) sent ${r.sent} lines, expected ${lineCount}`);
      const v = (r.cpu / r.sent) * 1e6;
      perM.push(v);
      runs.push(r);
      cpuOf.set(`${name} ${mode}`, r);
      best.set(`${name} ${mode}`, Math.min(best.get(`${name} ${mode}`) ?? Number.POSITIVE_INFINITY, v));
      cells.push(`${v.toFixed(2)} (${((r.user / r.sent) * 1e6).toFixed(2)}/${((r.system / r.sent) * 1e6).toFixed(2)}) | ${r.wall.toFixed(1)} | ${(bytes / 1e6 / r.wall).toFixed(1)} | ${(r.serviceCpu / r.wall).toFixed(2)}`);
    }
    if (perM.length === 2) {
      ratios.set(mode, [...(ratios.get(mode) ?? []), perM[1]! / perM[0]!]);
      if (mode === "report") {
        const [a, b] = [detectionLines(runs[0]!.report!), detectionLines(runs[1]!.report!)];
        const at = a.findIndex((l, i) => l !== b[i]);
        if (a.length !== b.length || at >= 0) {
          mismatches++;
          console.log(`reports differ: baseline ${a.length} detection lines, current ${b.length}; first difference:\n  baseline: ${a[at] ?? "(none)"}\n  current:  ${b[at] ?? "(none)"}`);
        }
      }
    }
    console.log(`| ${round} | ${mode} | ${cells.join(" | ")} |${perM.length === 2 ? ` ${(perM[1]! / perM[0]!).toFixed(2)} |` : ""}`);
  }
  const costs: string[] = [];
  for (const [name] of trees) {
    const report = cpuOf.get(`${name} report`);
    const forward = cpuOf.get(`${name} forward`);
    if (report === undefined || forward === undefined) continue;
    const us = ((report.cpu - forward.cpu) / report.detections) * 1e6;
    perDetection.set(name, [...(perDetection.get(name) ?? []), us]);
    costs.push(`${name} ${us.toFixed(1)} µs`);
  }
  if (costs.length > 0) roundNotes.push(`round ${round}: report CPU - forward CPU per detection (${cpuOf.get("current report")!.detections} detections): ${costs.join(", ")}${costs.length === 2 ? `, ratio ${(perDetection.get("current")!.at(-1)! / perDetection.get("baseline")!.at(-1)!).toFixed(2)}` : ""}`);
}
console.log("");
for (const note of roundNotes) console.log(note);
for (const mode of modes) {
  const cur = best.get(`current ${mode}`)!;
  const base = best.get(`baseline ${mode}`);
  console.log(`${mode}: best current ${cur.toFixed(2)} CPU s/M lines${base === undefined ? " (no baseline: --baseline DIR adds its figures and the ratio)" : `, baseline ${base.toFixed(2)}, ratio ${(cur / base).toFixed(2)} (median of the rounds' ratios ${median(ratios.get(mode)!).toFixed(2)})`}`);
}
if (perDetection.size > 0) console.log(`report cost per detection, median of the rounds: ${trees.map(([name]) => `${name} ${median(perDetection.get(name)!).toFixed(1)} µs`).join(", ")}`);
if (baseline !== undefined && modes.includes("report")) console.log(`reports: ${mismatches === 0 ? "the same detection lines from both trees in every round" : `DIFFERENT detection lines in ${mismatches} round(s)`}`);
console.log(loadLine().replace("at start", "at the end"));
await service.stop();
await alerts.close();
if (mismatches > 0) process.exit(1);
