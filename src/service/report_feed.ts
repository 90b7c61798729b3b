/**
 * Logs and alerts the outcome of loading one feed: KL_ALERT_UpdatedFeed, or
 * KL_ALERT_FailedToUpdateFeed with the reason.
 */
import type { FeedLoadReport } from "../feeds/load_feeds.ts";
import type { Logger } from "./logger.ts";

/** Raises a service alert (`KL_ALERT_*`) with its fields. */
export type RaiseAlert = (name: string, fields?: readonly (readonly [string, string])[]) => void;

/**
 * Logs a feed's load (its warnings, its counts or its error) and raises its alert.
 *
 * @example
 * ```ts
 * for (const report of await loadFeeds(feeds, loadDeps)) reportFeed(report, alert, log);
 * ```
 */
export function reportFeed(report: FeedLoadReport, alert: RaiseAlert, log: Logger): void {
  if (report.error) {
    // report.error starts with the feed's name: `feed big.txt.gz: decompressed size exceeds …`
    log("error", `feed ${report.error}`, { loaded: report.loaded, skipped: report.skipped });
    alert("KL_ALERT_FailedToUpdateFeed", [["feed", report.name], ["error", report.error]]);
    return;
  }
  for (const warning of report.warnings) log("warn", warning);
  log("info", `feed ${report.name} loaded`, { records: report.loaded, skipped: report.skipped, ms: Math.round(report.ms) });
  alert("KL_ALERT_UpdatedFeed", [["feed", report.name], ["records", String(report.loaded)]]);
}
