/**
 * Memory check for `ioclens report` streaming (not a benchmark): writes a synthetic report of the
 * given size into a temp folder, runs `report --group-by category` on it in a child process and
 * prints the child's peak RSS (VmHWM from /proc/<pid>/status). Linux only.
 *
 *   npx bun scripts/report_memory.ts            # 200 MB
 *   npx bun scripts/report_memory.ts 1024       # 1 GB
 */
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main as ioclens } from "../src/cli/main.ts";
import { processIo } from "../src/cli/process_io.ts";

const SELF = fileURLToPath(import.meta.url);

function vmHwmKb(pid: number | "self"): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function child(file: string): Promise<void> {
  const io = processIo();
  const code = await ioclens(["report", "--group-by", "category", "--format", "table", file], io);
  await io.flush();
  process.stderr.write(`child VmHWM: ${vmHwmKb("self") ?? "?"} kB\n`);
  process.exitCode = code;
}

const CATEGORIES = ["KL_Malicious_URL", "KL_Phishing_URL", "KL_BotnetCnC_URL", "KL_IP_Reputation", "KL_Malicious_Hash_MD5", "KL_APT_URL"];

/** Line `i` of the synthetic report: mostly key=value, every 7th LEEF, every 11th CEF; indicators all distinct. */
function line(i: number): string {
  const cat = CATEGORIES[i % CATEGORIES.length]!;
  const host = `h${i.toString(36)}.example`;
  if (i % 11 === 0) {
    return `CEF:0|Kaspersky Lab|Kaspersky CyberTrace for ArcSight|2.0|2|CyberTrace Detection Event|8|reason=${cat} request=http://${host}/p?q\\=${i} cs5Label=MatchedIndicator cs5=${host}/* cs6Label=Context cs6=first_seen\\=01.01.2024 00:00 popularity\\=${i % 5}`;
  }
  if (i % 7 === 0) {
    return `Apr 15 10:02:11 KL_Threat_Feed_Service_v2 LEEF:1.0|Kaspersky Lab|Threat Feed Service|2.0|${cat}|url=http://${host}/x\tmatchedIndicator=${host}/*\tfirst_seen=11.01.2016 07:17\tgeo=ru, ua, kz\tpopularity=5`;
  }
  return `Apr 15 10:02:11 category=${cat} matchedIndicator=${host}/* url=http://${host}/load.php?id=${i} src=192.0.2.${i % 250} ip= md5= sha1= sha256= usrName=user${i % 1000} first_seen=11.01.2016 07:17 last_seen=14.01.2016 13:36 geo=ru, ua, kz, by popularity=${i % 5} id=${9_000_000 + i}`;
}

async function generate(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  let written = 0;
  let i = 0;
  while (written < bytes) {
    let chunk = "";
    while (chunk.length < 1 << 20) chunk += line(i++) + "\n";
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  out.write(`Total number of objects sent to KTFS: ${i}\nTotal number of detects received from KTFS: ${i}\nTotal scan time: 00:10:00.000\n`);
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return i;
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") return child(process.argv[3]!);
  const sizeMb = Number(process.argv[2] ?? 200);
  if (!Number.isFinite(sizeMb) || sizeMb <= 0) throw new Error(`Size must be a positive number of MB, got "${process.argv[2]}"`);
  const dir = await mkdtemp(join(tmpdir(), "ioclens-report-memory-"));
  try {
    const file = join(dir, "log_scanner_report20240415_100211.txt");
    const t0 = performance.now();
    const lines = await generate(file, sizeMb * 1024 * 1024);
    const size = (await stat(file)).size;
    console.log(`generated ${(size / 2 ** 20).toFixed(0)} MB, ${lines} lines in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    const proc = spawn(process.execPath, [SELF, "--child", file], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    let polled = 0;
    const poll = setInterval(() => (polled = Math.max(polled, vmHwmKb(proc.pid!) ?? 0)), 50);
    const code = await new Promise<number | null>((r) => proc.on("close", (c) => r(c)));
    clearInterval(poll);
    const seconds = (performance.now() - t1) / 1000;
    const self = Number(/child VmHWM: (\d+) kB/.exec(stderr)?.[1] ?? 0);
    const peakMb = Math.max(polled, self) / 1024;
    process.stdout.write(stdout);
    if (code !== 0) process.stderr.write(stderr);
    console.log(`report --group-by category: exit ${code}, ${seconds.toFixed(1)} s (${(size / 2 ** 20 / seconds).toFixed(0)} MB/s), peak RSS ${peakMb.toFixed(0)} MB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
