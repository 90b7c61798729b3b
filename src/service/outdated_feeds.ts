/**
 * KL_ALERT_OutdatedFeed: a feed not updated within its outdated_alert_period (or ServiceSettings
 * > OutdatedBasesAlertPeriod) is alerted once per update time, so once until it is updated.
 */
import type { ServiceConfig } from "../config/types.ts";
import type { FeedLoadReport } from "../feeds/load_feeds.ts";

/** What the check needs: a clock, the feed files' change times and the alert. */
export interface OutdatedFeedsDeps {
  now(): number;
  /** When a feed file last changed (epoch ms); undefined when unknown. Without it, or unknown,
   *  the time the feed was last loaded is used. */
  readonly feedUpdatedAt?: ((config: ServiceConfig, filename: string) => Promise<number | undefined>) | undefined;
  alert(name: "KL_ALERT_OutdatedFeed", fields: readonly (readonly [string, string])[]): void;
}

/**
 * Remembers when each feed was loaded and which update time was already alerted.
 *
 * @example
 * ```ts
 * const outdated = new OutdatedFeeds({ now: Date.now, alert: (name, fields) => console.log(name, fields) });
 * outdated.markLoaded(reports);
 * await outdated.check(config); // names of the feeds alerted now
 * ```
 */
export class OutdatedFeeds {
  readonly #deps: OutdatedFeedsDeps;
  readonly #loadedAt = new Map<string, number>();
  /** feed name → the update time it was reported outdated at. */
  readonly #reported = new Map<string, number>();

  constructor(deps: OutdatedFeedsDeps) {
    this.#deps = deps;
  }

  /** Feeds that loaded without error count as updated now. */
  markLoaded(reports: readonly Pick<FeedLoadReport, "name" | "error">[]): void {
    const now = this.#deps.now();
    for (const r of reports) if (!r.error) this.#loadedAt.set(r.name, now);
  }

  /** Alerts each enabled feed of `config` that is outdated and not yet alerted for; returns their names. */
  async check(config: ServiceConfig): Promise<string[]> {
    const deps = this.#deps;
    const outdated: string[] = [];
    const now = deps.now();
    for (const feed of config.feeds.feeds) {
      if (!feed.enabled) continue;
      const hours = feed.outdatedAlertPeriodHours ?? config.service.outdatedBasesAlertPeriodHours;
      if (!hours) continue;
      const updated = (await deps.feedUpdatedAt?.(config, feed.filename).catch(() => undefined)) ?? this.#loadedAt.get(feed.filename);
      if (updated === undefined || now - updated < hours * 3_600_000) continue;
      if (this.#reported.get(feed.filename) === updated) continue;
      this.#reported.set(feed.filename, updated);
      outdated.push(feed.filename);
      deps.alert("KL_ALERT_OutdatedFeed", [["feed", feed.filename], ["last_updated", new Date(updated).toISOString()]]);
    }
    return outdated;
  }
}
