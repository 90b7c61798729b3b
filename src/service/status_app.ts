/**
 * The HTTP side of `ioclens serve`: health, status, Prometheus metrics, feed reload and the
 * CyberTrace-compatible REST lookup (spec §7.4), as a plain Hono app tested in memory.
 */

import { Hono, type Context } from "hono";
import type { RestLookupLimits } from "../config/types.ts";
import type { Logger } from "./logger.ts";
import { METRICS_CONTENT_TYPE, metricsText } from "./metrics_text.ts";
import { RestLookups } from "./rest_lookups.ts";
import type { LookupAnswer, ServiceStatus } from "./service_status.ts";

/** What the status app needs from the running service. */
export interface StatusAppDeps {
  /** A fresh snapshot; called once per request that needs it. */
  getStatus(): ServiceStatus;
  /** Re-reads the configured feeds; resolves `{ ok: false, error }` when that failed. */
  reload(): Promise<{ ok: boolean; error?: string }>;
  /** `POST /retroscan`: reload, then a retro run (docs/retroscan.md); absent: the route answers 404. */
  retroScan?(): Promise<{ ok: boolean; error?: string; run?: unknown }>;
  /** Looks values up with the `http_single_lookup` rules, one answer per value, in order. */
  lookup(values: string[]): Promise<LookupAnswer[]>;
  /** When set, every route but `/health` requires `Authorization: Bearer <token>` or Basic
   *  auth with the token as password (any user name, as CyberTrace clients send Basic). */
  token?: string;
  /** When set, Basic auth with this user and password is accepted too (CyberTrace's REST API
   *  authenticates its clients this way); with no token, it is the only way in. */
  basicAuth?: { readonly user: string; readonly password: string };
  /** Whether the app listens on a loopback address only. */
  isLoopback: boolean;
  /** Bounds of REST lookups; defaults in src/service/rest_lookups.ts (64 MiB is CyberTrace's
   *  body limit, spec §7.4). */
  lookupLimits?: Partial<RestLookupLimits>;
  /** Where refused lookups are logged. */
  log?: Logger;
  /** How a long lookup lets the event loop run between slices; default a macrotask. */
  yieldToLoop?: () => Promise<void>;
}

/** REST API versions whose lookup takes `[{"object": ...}]` for the General tenant (§7.4). */
/** The tenant of CyberTrace 4.x's top-level settings, the only one ioclens has. */
const GENERAL_TENANT = "General";
const LOOKUP_VERSIONS = new Set(["1.0", "1.1", "1.2"]);

/**
 * Builds the status app. Routes: `GET /health` (no auth: 200 `{status:"ok"}`, 200
 * `{status:"degraded", reason}` while the output target is down, or 503
 * `{status:"unavailable", reason}`), `GET /status` (the `ServiceStatus` as JSON),
 * `GET /metrics` (Prometheus text), `POST /reload`, `POST /retroscan`, `POST /api/{1.0,1.1,1.2}/lookup` and
 * `POST /api/1.3/General/lookup` (the one tenant).
 * Errors are JSON `{error: "..."}` (CyberTrace's error body is unknown, spec §9 item 12).
 *
 * Exposing the app beyond loopback without a token is refused here by a throw, but the
 * caller is expected to check first and refuse to start with a config error; this throw is
 * the backstop, not the user-facing message.
 *
 * @example Health check in memory
 * ```ts
 * const app = createStatusApp({ getStatus, reload, lookup, isLoopback: true });
 * const res = await app.request("/health"); // 200 {"status":"ok"} once feeds are loaded
 * ```
 */
export function createStatusApp(deps: StatusAppDeps): Hono {
  const { token, basicAuth } = deps;
  checkCredentials(deps);
  const lookups = new RestLookups({
    lookup: deps.lookup,
    ...(deps.lookupLimits ? { limits: deps.lookupLimits } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.yieldToLoop ? { yieldToLoop: deps.yieldToLoop } : {}),
  });
  // The service's snapshot plus what only this app counts.
  const status = (): ServiceStatus => ({ ...deps.getStatus(), restLookups: lookups.stats() });
  const lookup = async (c: Context): Promise<Response> => {
    if (!allow(c, "POST")) return notAllowed(c, "POST");
    if (!acceptsJson(c.req.header("accept"))) {
      return c.json({ error: `Unsupported Accept: ${c.req.header("accept")}, expected application/json` }, 406);
    }
    if (!deps.getStatus().ready) return c.json({ error: "Service is initializing: feeds are still loading" }, 425);
    return lookups.answer(c.req.raw);
  };
  const app = new Hono();

  app.onError((err, c) => c.json({ error: `Internal error: ${err.message}` }, 500));
  app.notFound((c) => c.json({ error: `Not found: ${c.req.method} ${c.req.path}` }, 404));
  if (token !== undefined || basicAuth !== undefined) {
    app.use(async (c, next) => {
      if (c.req.path === "/health" || authorized(c.req.header("authorization"), token, basicAuth)) return next();
      return c.json({ error: "Unauthorized: expected a Bearer token or Basic credentials" }, 401, {
        "WWW-Authenticate": 'Bearer realm="ioclens", Basic realm="ioclens"',
      });
    });
  }
  app.all("/health", (c) => health(c, () => deps.getStatus()));
  app.all("/status", (c) => (allow(c, "GET") ? c.json(status()) : notAllowed(c, "GET")));
  app.all("/metrics", (c) => {
    if (!allow(c, "GET")) return notAllowed(c, "GET");
    return c.body(metricsText(status()), 200, { "Content-Type": METRICS_CONTENT_TYPE });
  });
  app.all("/reload", (c) => reload(c, () => deps.reload()));
  app.all("/retroscan", async (c) => {
    const run = deps.retroScan;
    if (run === undefined || deps.getStatus().retroScan === undefined) return c.json({ error: "RetroScan is not enabled: set ServiceSettings > RetroScan enabled=\"true\"" }, 404);
    if (!allow(c, "POST")) return notAllowed(c, "POST");
    const result = await run();
    return result.ok ? c.json({ ok: true, run: result.run }) : c.json({ ok: false, error: result.error ?? "RetroScan run failed" }, 500);
  });
  app.all("/api/:version/lookup", async (c) => {
    const version = c.req.param("version");
    if (!LOOKUP_VERSIONS.has(version)) {
      const hint = version === "1.3" ? " (1.3 names the tenant: /api/1.3/General/lookup)" : "";
      return c.json({ error: `Unknown API version: ${version}, expected 1.0, 1.1 or 1.2${hint}` }, 404);
    }
    return lookup(c);
  });
  // API 1.3 puts the tenant in the path; this service has only the built-in General tenant.
  app.all("/api/1.3/:tenant/lookup", async (c) => {
    const tenant = c.req.param("tenant");
    if (tenant !== GENERAL_TENANT) {
      return c.json({ error: `Unknown tenant: ${tenant}, expected ${GENERAL_TENANT} (ioclens serves one tenant)` }, 404);
    }
    return lookup(c);
  });
  return app;
}

/** The backstop against an app open beyond loopback or with empty credentials (see createStatusApp). */
function checkCredentials({ token, basicAuth, isLoopback }: StatusAppDeps): void {
  if (token === "") throw new Error("Status app token is empty: expected a non-empty token or none");
  if (basicAuth && (basicAuth.user === "" || basicAuth.password === "")) throw new Error("Status app Basic credentials are empty: expected a user and a password");
  if (!isLoopback && token === undefined && basicAuth === undefined) {
    throw new Error("Status app listens beyond loopback without credentials: expected a token or Basic credentials");
  }
}

/**
 * `GET /health`. 503 only when lookups do not work; a down output target degrades but stays 200
 * (the service still answers ReplyBack clients and REST lookups, and queues detections).
 */
function health(c: Context, getStatus: () => ServiceStatus): Response {
  if (!allow(c, "GET")) return notAllowed(c, "GET");
  const s = getStatus();
  if (!s.ready || s.unhealthy !== undefined) return c.json({ status: "unavailable", reason: s.unhealthy ?? "Feeds are still loading" }, 503);
  if (s.output.error !== undefined) {
    return c.json({ status: "degraded", reason: `Output target${s.output.target ? ` ${s.output.target}` : ""} is down: ${s.output.error}` });
  }
  return c.json({ status: "ok" });
}

/** `POST /reload`: 200 `{ok:true}`, or 500 with the reason the feeds could not be re-read. */
async function reload(c: Context, reloadFeeds: StatusAppDeps["reload"]): Promise<Response> {
  if (!allow(c, "POST")) return notAllowed(c, "POST");
  let result: { ok: boolean; error?: string };
  try {
    result = await reloadFeeds();
  } catch (err) {
    result = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  return result.ok ? c.json({ ok: true }) : c.json({ ok: false, error: result.error ?? "Reload failed" }, 500);
}

/** Hono dispatches HEAD as GET, so a GET route also answers HEAD. */
function allow(c: Context, method: "GET" | "POST"): boolean {
  const m = c.req.method;
  return m === method || (method === "GET" && m === "HEAD");
}

function notAllowed(c: Context, method: "GET" | "POST"): Response {
  return c.json({ error: `Method not allowed: ${c.req.method}, expected ${method}` }, 405, {
    Allow: method === "GET" ? "GET, HEAD" : method,
  });
}

/** Bearer with the token; Basic with the token as password (any user), or with the configured
 *  user and password. Basic is `base64(user ":" password)`, UTF-8, split at the first colon
 *  (RFC 7617; the user name cannot hold a colon, the password can). */
function authorized(header: string | undefined, token: string | undefined, basic: StatusAppDeps["basicAuth"]): boolean {
  if (header === undefined) return false;
  const space = header.indexOf(" ");
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === "bearer") return token !== undefined && sameSecret(value, token);
  if (scheme !== "basic") return false;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0)));
  } catch {
    return false;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const password = decoded.slice(colon + 1);
  // Every comparison runs, so the time taken does not tell which part was wrong.
  const userOk = basic !== undefined ? sameSecret(decoded.slice(0, colon), basic.user) : false;
  const passwordOk = basic !== undefined ? sameSecret(password, basic.password) : false;
  const tokenOk = token !== undefined ? sameSecret(password, token) : false;
  return (userOk && passwordOk) || tokenOk;
}

/** Compares in time independent of where the strings differ, so the token cannot be
 *  guessed one character at a time. */
function sameSecret(given: string, token: string): boolean {
  let diff = given.length ^ token.length;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ token.charCodeAt(i % token.length);
  return diff === 0;
}

function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  for (const part of accept.split(",")) {
    const type = part.split(";")[0]!.trim().toLowerCase();
    if (type === "application/json" || type === "application/*" || type === "*/*") return true;
  }
  return false;
}
