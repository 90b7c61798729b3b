/**
 * Real log forwarders from Debian, run as foreground processes with their own config, state and
 * pid files in a test's temporary directory: rsyslog (imfile → omfwd over TCP) and syslog-ng
 * (file() → network() over TCP). They are unpacked, not installed, by
 * scripts/install-system-deps.sh under FORWARDERS_DIR (the two packages conflict in Debian, and
 * installing either would replace the machine's own log daemon).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { within } from "./_forwarding_outcome.ts";

/** Where scripts/install-system-deps.sh unpacks rsyslog and syslog-ng-core. */
export const FORWARDERS_DIR = "/opt/ioclens-system-tests";

/** A running forwarder. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  stderr(): string;
  /** The exit code (or signal), or undefined while it runs. */
  exitStatus(): string | undefined;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const running = new Set<Daemon>();

/** Stops every forwarder still running; call in afterEach. */
export async function stopDaemons(): Promise<void> {
  await Promise.all([...running].map((daemon) => daemon.stop()));
}

function unpacked(pkg: string, file: string): string {
  const path = join(FORWARDERS_DIR, pkg, file);
  if (!existsSync(path)) throw new Error(`Forwarder missing: ${path} does not exist, run scripts/install-system-deps.sh as root`);
  return path;
}

function spawnDaemon(name: string, program: string, args: readonly string[], env: Record<string, string> = {}): Daemon {
  const child: ChildProcess = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stderr = "";
  let status: string | undefined;
  child.stdout!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("close", (code, signal) => {
      status = signal ?? String(code);
      resolve();
    }),
  );
  child.once("error", (error) => void (stderr += `spawn failed: ${error.message}\n`));
  const daemon: Daemon = {
    name,
    pid: child.pid ?? -1,
    stderr: () => stderr,
    exitStatus: () => status,
    stop: async () => {
      if (status === undefined) {
        child.kill("SIGTERM");
        await within(10_000, exited, () => `${name} to exit after SIGTERM`).catch(async () => {
          child.kill("SIGKILL");
          await exited;
        });
      }
      running.delete(daemon);
    },
  };
  running.add(daemon);
  return daemon;
}

/** What a forwarder reads and where it sends it. */
export interface ForwardJob {
  /** A directory of the test's own for config, state and pid files. */
  readonly dir: string;
  /** The log file it forwards, from its first line. */
  readonly input: string;
  /** 127.0.0.1:`port` receives the lines over TCP. */
  readonly port: number;
}

/**
 * rsyslogd with imfile reading `input` and omfwd sending over TCP with rsyslog's default
 * forwarding template (`<PRI>TIMESTAMP HOST TAG: MSG`, one line per message): what an admin
 * gets from `*.* @@host:9999`. The action retries forever, so nothing is discarded while the
 * target is slow.
 */
export async function startRsyslog(job: ForwardJob): Promise<Daemon> {
  const program = unpacked("rsyslog", "usr/sbin/rsyslogd");
  const modules = unpacked("rsyslog", "usr/lib/x86_64-linux-gnu/rsyslog");
  const work = join(job.dir, "rsyslog-work");
  await mkdir(work, { recursive: true });
  const config = join(job.dir, "rsyslog.conf");
  await writeFile(
    config,
    [
      `global(workDirectory="${work}")`,
      `module(load="imfile")`,
      `ruleset(name="forward") {`,
      `  action(type="omfwd" target="127.0.0.1" port="${job.port}" protocol="tcp" action.resumeRetryCount="-1" action.resumeInterval="1")`,
      `}`,
      `input(type="imfile" file="${job.input}" tag="webproxy:" ruleset="forward")`,
      "",
    ].join("\n"),
  );
  return spawnDaemon("rsyslogd", program, ["-n", "-f", config, "-i", join(job.dir, "rsyslogd.pid"), "-M", modules]);
}

/**
 * syslog-ng with a file() source read from its first line and a network() TCP destination whose
 * template is the bare message (`$MSG\n`): raw lines, as a forwarder configured for a
 * line-oriented service sends them. Flow control on the log path, so a slow target slows the
 * reading instead of dropping messages.
 */
export async function startSyslogNg(job: ForwardJob): Promise<Daemon> {
  const program = unpacked("syslog-ng-core", "usr/sbin/syslog-ng");
  const libs = unpacked("syslog-ng-core", "usr/lib/syslog-ng");
  const modules = join(libs, configVersion(program, libs).installer);
  const config = join(job.dir, "syslog-ng.conf");
  await writeFile(
    config,
    [
      `@version: ${configVersion(program, libs).config}`,
      `options { stats_freq(0); };`,
      `source s_log { file("${job.input}" flags(no-parse) follow-freq(1)); };`,
      `destination d_service { network("127.0.0.1" port(${job.port}) transport("tcp") template("$MSG\\n")); };`,
      `log { source(s_log); destination(d_service); flags(flow-control); };`,
      "",
    ].join("\n"),
  );
  const files = (name: string) => join(job.dir, `syslog-ng.${name}`);
  return spawnDaemon(
    "syslog-ng",
    program,
    ["-F", "-e", "--no-caps", "-f", config, `--module-path=${modules}`, `--persist-file=${files("persist")}`, `--pidfile=${files("pid")}`, `--control=${files("ctl")}`],
    { LD_LIBRARY_PATH: libs },
  );
}

/** `syslog-ng --version`: the config version it expects and its module directory's name. */
function configVersion(program: string, libs: string): { config: string; installer: string } {
  const result = spawnSync(program, ["--version"], { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: libs } });
  const config = /^Config version: (\d+\.\d+)/m.exec(result.stdout)?.[1];
  const installer = /^Installer-Version: (\d+\.\d+)/m.exec(result.stdout)?.[1];
  if (!config || !installer) throw new Error(`syslog-ng --version: found ${JSON.stringify(result.stdout + result.stderr)}, expected "Config version:" and "Installer-Version:" lines`);
  return { config, installer };
}
