/**
 * Hot reload of the lookup service (SIGHUP, POST /reload, UpdateFrequency): re-reads the config
 * when it can, builds the new feeds beside the old ones and swaps them in only when every feed
 * loaded; otherwise the previous config and feeds stay in use.
 */
import type { ServiceConfig } from "../config/types.ts";
import type { FeedLoadReport } from "../feeds/load_feeds.ts";
import type { Logger } from "./logger.ts";
import { reportFeed, type RaiseAlert } from "./report_feed.ts";
import type { ServiceStatus } from "./service_status.ts";

/** What a reload answers. */
export interface ReloadResult {
  readonly ok: boolean;
  readonly error?: string;
}

/** What the reloader needs; `S` is the service's state (anything with its config). */
export interface ServiceReloaderDeps<S extends { readonly config: ServiceConfig }> {
  now(): number;
  readonly log: Logger;
  readonly alert: RaiseAlert;
  /** Re-reads the config; undefined keeps the running one. */
  readonly reloadConfig?: (() => Promise<ServiceConfig>) | undefined;
  /** Builds a state from a config: compiles it and loads its feeds. */
  build(config: ServiceConfig): Promise<{ state: S; reports: FeedLoadReport[] }>;
  /** The state in use. */
  current(): S;
  /** Puts a fully loaded state in use. */
  swap(state: S, reports: readonly FeedLoadReport[]): void;
}

/**
 * Runs reloads, one at a time: a reload asked while one runs gets that one's result.
 *
 * @example
 * ```ts
 * const reloader = new ServiceReloader({ now: Date.now, log, alert, build, current: () => state, swap: (s) => (state = s) });
 * await reloader.reload(); // { ok: true }
 * reloader.last; // { at: "2026-…", ok: true }
 * ```
 */
export class ServiceReloader<S extends { readonly config: ServiceConfig }> {
  readonly #deps: ServiceReloaderDeps<S>;
  #running: Promise<ReloadResult> | undefined;
  #last: ServiceStatus["lastReload"];

  constructor(deps: ServiceReloaderDeps<S>) {
    this.#deps = deps;
  }

  /** When the last reload finished asking, and how it went (for /status). */
  get last(): ServiceStatus["lastReload"] {
    return this.#last;
  }

  reload(): Promise<ReloadResult> {
    const at = new Date(this.#deps.now()).toISOString();
    this.#running ??= this.#run().then((result) => ((this.#last = { at, ...result }), result));
    return this.#running;
  }

  async #run(): Promise<ReloadResult> {
    const { alert, log } = this.#deps;
    try {
      let config = this.#deps.current().config;
      if (this.#deps.reloadConfig) config = await this.#deps.reloadConfig();
      const next = await this.#deps.build(config);
      const failed = next.reports.filter((r) => r.error);
      if (failed.length > 0) {
        for (const r of failed) alert("KL_ALERT_FailedToUpdateFeed", [["feed", r.name], ["error", r.error!]]);
        log("warn", `reload rejected: ${failed.length} feed(s) failed to load; the previous feeds stay in use`);
        return { ok: false, error: failed.map((r) => r.error!).join("; ") };
      }
      const configChanged = config !== this.#deps.current().config;
      this.#deps.swap(next.state, next.reports);
      if (configChanged) alert("KL_ALERT_ConfigurationUpdated");
      for (const r of next.reports) reportFeed(r, alert, log);
      return { ok: true };
    } catch (error) {
      const message = (error as Error).message;
      alert("KL_ALERT_FailedToUpdateFeed", [["feed", "*"], ["error", message]]);
      log("warn", `reload failed, the previous config and feeds stay in use: ${message}`);
      return { ok: false, error: message };
    } finally {
      this.#running = undefined;
    }
  }
}
