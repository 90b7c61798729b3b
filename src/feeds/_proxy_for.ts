/**
 * Which proxy a request goes through: the feed's `proxy` attribute (or the Feeds element's), else
 * `HTTPS_PROXY` / `HTTP_PROXY` by scheme (lower-case spellings too), unless `NO_PROXY` names the
 * host. `proxy="none"` turns the environment's proxy off for a feed.
 */

/** The environment variables that choose a proxy. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/**
 * The proxy URL for `url`, or undefined to connect directly. `NO_PROXY` is a comma or space
 * separated list of `*`, host names (matching the host and its subdomains; a leading `.` or `*.`
 * is allowed), IP addresses, each optionally with `:port`.
 */
export function proxyFor(url: string, configured: string | undefined, env: ProxyEnv): string | undefined {
  if (configured === "none") return undefined;
  if (configured !== undefined) return configured;
  const target = new URL(url);
  const pick = (name: string) => env[name] ?? env[name.toLowerCase()];
  const proxy = target.protocol === "https:" ? pick("HTTPS_PROXY") : pick("HTTP_PROXY");
  if (proxy === undefined || proxy === "") return undefined;
  return bypassed(target, pick("NO_PROXY") ?? "") ? undefined : proxy;
}

function bypassed(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\](?=:|$)/g, ""))!;
    const name = m[1]!.replace(/^\*?\./, "");
    if (m[2] !== undefined && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}
