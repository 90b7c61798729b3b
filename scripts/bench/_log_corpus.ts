/**
 * Real-looking log lines for the service and scan benchmarks: ordinary proxy, web, firewall,
 * DNS, sshd, CEF and anti-virus lines, with indicators sampled from ../shared/data (Maltrail
 * trails, IPsum) put into a share of them (5% by default) where such a value would appear.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { IPSUM, TRAILS, rng } from "./_bench_env.ts";

/** Indicators sampled from the feeds, by where they can go in a log line. */
export interface IndicatorSample {
  readonly domains: string[];
  /** `host/path` as written in the trail (no scheme). */
  readonly urls: string[];
  /** Path trails: any host. */
  readonly paths: string[];
  readonly ips: string[];
}

/** Calls `onLine` for each non-empty line of a gzip file, streaming. */
export async function forEachGzLine(path: string, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of createReadStream(path).pipe(createGunzip({ chunkSize: 1 << 20 }))) {
    const text = rest + decoder.decode(chunk as Uint8Array, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      if (nl > start) onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) onLine(rest);
}

/**
 * Reservoir-samples up to `perKind` indicators of each kind from the trails and IPsum. With
 * `indicatorsFile`, also writes every indicator value once per line (the `grep -F -f` baseline:
 * trails as written, `ip:port` reduced to the IP as the service indexes it, regex trails left out).
 */
export async function sampleIndicators(perKind: number, seed = 1, indicatorsFile?: string): Promise<IndicatorSample & { total: number }> {
  const rand = rng(seed);
  const sample: IndicatorSample = { domains: [], urls: [], paths: [], ips: [] };
  const seen = [0, 0, 0, 0];
  const keep = (list: string[], k: number, value: string) => {
    const n = ++seen[k]!;
    if (list.length < perKind) list.push(value);
    else {
      const j = Math.floor(rand() * n);
      if (j < perKind) list[j] = value;
    }
  };
  const out = indicatorsFile ? createWriteStream(indicatorsFile) : undefined;
  let buffered = "";
  let total = 0;
  const write = (value: string) => {
    total++;
    if (!out) return;
    buffered += value + "\n";
    if (buffered.length > 1 << 20) {
      out.write(buffered);
      buffered = "";
    }
  };
  await forEachGzLine(TRAILS, (line) => {
    const t1 = line.indexOf("\t");
    const t2 = line.indexOf("\t", t1 + 1);
    if (t1 < 0 || t2 < 0) return;
    const trail = line.slice(0, t1);
    const type = line.slice(t1 + 1, t2);
    switch (type) {
      case "domain":
        write(trail);
        if (trail[0] !== ".") keep(sample.domains, 0, trail);
        break;
      case "url":
        write(trail);
        keep(sample.urls, 1, trail);
        break;
      case "path":
        write(trail);
        keep(sample.paths, 2, trail);
        break;
      case "ip":
      case "cidr":
        write(trail);
        if (type === "ip") keep(sample.ips, 3, trail);
        break;
      case "ip_port": {
        const ip = trail.slice(0, trail.lastIndexOf(":"));
        write(ip);
        keep(sample.ips, 3, ip);
        break;
      }
    }
  });
  await forEachGzLine(IPSUM, (line) => {
    const ip = line.slice(0, line.indexOf("\t"));
    write(ip);
    keep(sample.ips, 3, ip);
  });
  if (out) {
    out.write(buffered);
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  return { ...sample, total };
}

const BENIGN_DOMAINS = [
  "www.google.com", "accounts.google.com", "fonts.gstatic.com", "www.microsoft.com", "login.microsoftonline.com",
  "update.microsoft.com", "github.com", "api.github.com", "objects.githubusercontent.com", "www.wikipedia.org",
  "cdn.jsdelivr.net", "ajax.googleapis.com", "www.amazon.com", "s3.amazonaws.com", "slack.com", "zoom.us",
  "outlook.office365.com", "teams.microsoft.com", "www.linkedin.com", "static.xx.fbcdn.net", "www.youtube.com",
  "i.ytimg.com", "intranet.corp.example", "wiki.corp.example", "mail.corp.example", "cdn.example.net",
  "registry.npmjs.org", "pypi.org", "files.pythonhosted.org", "archive.ubuntu.com", "security.debian.org",
];
const PAGES = ["/", "/index.html", "/search?q=weather", "/api/v1/items?id=42", "/static/app.js", "/images/logo.png", "/login", "/favicon.ico", "/css/site.css", "/download/setup.exe", "/wp-login.php", "/robots.txt"];
const AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "curl/8.5.0",
  "Microsoft-CryptoAPI/10.0",
];
const USERS = ["alice", "bob", "carol", "dave", "admin", "root", "svc_backup", "jsmith"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Produces one line at a time; deterministic for a seed. */
export class LogLineMaker {
  readonly #r: () => number;
  readonly #s: IndicatorSample;
  readonly #share: number;
  #t = Date.UTC(2026, 4, 19, 8, 0, 0);

  constructor(sample: IndicatorSample, indicatorShare = 0.05, seed = 2) {
    this.#r = rng(seed);
    this.#s = sample;
    this.#share = indicatorShare;
  }

  #pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.#r() * a.length)]!;
  }
  #int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  #privateIp(): string {
    return `10.${this.#int(32)}.${this.#int(256)}.${1 + this.#int(254)}`;
  }
  #publicIp(): string {
    // Documentation and big-provider ranges: ordinary traffic that no feed lists.
    return this.#pick([`203.0.113.${1 + this.#int(254)}`, `198.51.100.${1 + this.#int(254)}`, `142.250.${this.#int(256)}.${this.#int(256)}`, `52.${96 + this.#int(16)}.${this.#int(256)}.${this.#int(256)}`]);
  }
  #hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.#int(16)];
    return s;
  }
  #syslogDate(): string {
    this.#t += this.#int(40);
    const d = new Date(this.#t);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  }

  /** One line; `hit` tells whether an indicator was put in. */
  next(): { line: string; hit: boolean } {
    if (this.#r() < this.#share) return { line: this.#withIndicator(), hit: true };
    return { line: this.#ordinary(), hit: false };
  }

  #proxy(host: string, path: string, ip: string): string {
    return `${(this.#t / 1000).toFixed(3)} ${String(20 + this.#int(900)).padStart(6)} ${this.#privateIp()} TCP_MISS/200 ${200 + this.#int(90000)} GET http://${host}${path} ${this.#pick(USERS)} HIER_DIRECT/${ip} text/html`;
  }
  #firewall(src: string, dst: string): string {
    return `${this.#syslogDate()} fw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${src} DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=${40 + this.#int(24)} ID=${this.#int(65536)} DF PROTO=TCP SPT=${1024 + this.#int(60000)} DPT=${this.#pick([22, 80, 443, 3389, 8080])} WINDOW=64240 RES=0x00 SYN URGP=0`;
  }
  #dns(name: string): string {
    const c = this.#privateIp();
    return `19-May-2026 08:32:${String(this.#int(60)).padStart(2, "0")}.${this.#int(1000)} queries: info: client @0x7f3a2c0 ${c}#${1024 + this.#int(60000)} (${name}): query: ${name} IN A + (10.0.0.1)`;
  }
  #web(ip: string, path: string, referer: string): string {
    return `${ip} - - [19/May/2026:08:32:00 +0000] "GET ${path} HTTP/1.1" ${this.#pick([200, 200, 200, 304, 404])} ${this.#int(50000)} "${referer}" "${this.#pick(AGENTS)}"`;
  }

  #ordinary(): string {
    switch (this.#int(7)) {
      case 0:
      case 1:
        return this.#proxy(this.#pick(BENIGN_DOMAINS), this.#pick(PAGES), this.#publicIp());
      case 2:
        return this.#firewall(this.#publicIp(), this.#privateIp());
      case 3:
        return this.#dns(this.#pick(BENIGN_DOMAINS));
      case 4:
        return this.#web(this.#publicIp(), this.#pick(PAGES), `https://${this.#pick(BENIGN_DOMAINS)}/`);
      case 5:
        return `${this.#syslogDate()} srv${this.#int(9)} sshd[${this.#int(30000)}]: Failed password for invalid user ${this.#pick(USERS)} from ${this.#publicIp()} port ${1024 + this.#int(60000)} ssh2`;
      default:
        return `${this.#syslogDate()} av01 scanner: file=C:\\Users\\${this.#pick(USERS)}\\Downloads\\setup_${this.#int(100)}.exe md5=${this.#hex(32)} size=${this.#int(9000000)} result=clean`;
    }
  }

  #withIndicator(): string {
    const s = this.#s;
    const k = this.#r();
    if (k < 0.4 && s.domains.length > 0) {
      const d = this.#pick(s.domains);
      return this.#int(2) === 0 ? this.#dns(d) : this.#proxy(d, this.#pick(PAGES), this.#publicIp());
    }
    if (k < 0.55 && s.urls.length > 0) {
      const u = this.#pick(s.urls);
      const slash = u.indexOf("/");
      return this.#proxy(slash < 0 ? u : u.slice(0, slash), slash < 0 ? "/" : u.slice(slash), this.#publicIp());
    }
    if (k < 0.65 && s.paths.length > 0) {
      const p = this.#pick(s.paths);
      return this.#proxy(this.#pick(BENIGN_DOMAINS), p.startsWith("/") ? p : `/${p}`, this.#publicIp());
    }
    const ip = this.#pick(s.ips);
    return this.#int(2) === 0 ? this.#firewall(ip, this.#privateIp()) : this.#web(ip, this.#pick(PAGES), "-");
  }
}

/**
 * `count` lines drawn log-uniformly (Zipf, s ≈ 1) from the first `pool` of `lines`: values repeat
 * as hosts and addresses do in real logs (RetroScan's `repeating` corpus).
 */
export function repeatingLines(lines: readonly string[], count: number, random: () => number, pool = 20_000): string[] {
  return Array.from({ length: count }, () => lines[Math.min(pool - 1, Math.floor(Math.exp(random() * Math.log(pool + 1))) - 1)]!);
}
