/**
 * Renders a service status as Prometheus text exposition format 0.0.4, for `GET /metrics`.
 */

import type { ServiceStatus } from "./service_status.ts";

/** The `Content-Type` Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = readonly (readonly [string, string])[];
type Sample = readonly [Labels, number];

/**
 * One `# HELP` and `# TYPE` line per metric family, then its samples. Label values and help
 * text are escaped as the format requires (`\\`, `\"`, `\n`); non-finite numbers are written
 * `NaN`, `+Inf`, `-Inf`.
 *
 * @example
 * ```ts
 * const body = metricsText(status); // "# HELP ioclens_info ...\n# TYPE ioclens_info gauge\n..."
 * ```
 */
export function metricsText(status: ServiceStatus): string {
  const out: string[] = [];
  const family = (name: string, type: "counter" | "gauge", help: string, samples: readonly Sample[]): void => {
    out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${numberText(value)}`);
  };
  const one = (value: number): readonly Sample[] => [[[], value]];
  const perFeed = (pick: (f: ServiceStatus["feeds"][number]) => number): readonly Sample[] =>
    status.feeds.map((f) => [[["feed", f.name]], pick(f)]);

  family("ioclens_info", "gauge", "Build information; the value is always 1.", [[[["version", status.version]], 1]]);
  family("ioclens_uptime_seconds", "gauge", "Seconds since the service started.", one(status.uptimeSeconds));
  family("ioclens_ready", "gauge", "1 when feeds are loaded and lookups are answered.", one(status.ready ? 1 : 0));
  family("ioclens_healthy", "gauge", "1 when ready and no health check fails.", one(status.ready && status.unhealthy === undefined ? 1 : 0));
  family("ioclens_worker_restarts_total", "counter", "Times the supervisor restarted the worker.", one(status.restarts));

  family("ioclens_feed_records", "gauge", "Indicators indexed per feed.", perFeed((f) => f.records));
  family("ioclens_feed_skipped_records", "gauge", "Feed records the loader could not use.", perFeed((f) => f.skipped));
  family("ioclens_feed_load_seconds", "gauge", "Duration of the last feed load.", perFeed((f) => f.loadMs / 1000));
  family("ioclens_feed_load_failed", "gauge", "1 when the last load of the feed failed.", perFeed((f) => (f.error === undefined ? 0 : 1)));
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  const perFeedTime = (pick: (f: ServiceStatus["feeds"][number]) => string | undefined): readonly Sample[] =>
    status.feeds.flatMap((f): Sample[] => {
      const iso = pick(f);
      return iso === undefined ? [] : [[[["feed", f.name]], seconds(iso)]];
    });
  family("ioclens_feed_file_timestamp_seconds", "gauge", "Modification time of the feed file in use, as loaded.", perFeedTime((f) => f.fileTime));
  family("ioclens_feed_loaded_timestamp_seconds", "gauge", "When the feed contents in use were loaded.", perFeedTime((f) => f.loadedAt));
  downloadFamilies(status, family, perFeedTime);
  const reload = status.lastReload;
  family("ioclens_reload_last_timestamp_seconds", "gauge", "When the last reload was asked for.", reload ? one(seconds(reload.at)) : []);
  family("ioclens_reload_last_ok", "gauge", "1 when the last reload was applied, 0 when it was refused.", reload ? one(reload.ok ? 1 : 0) : []);

  const c = status.connections;
  family("ioclens_connections_active", "gauge", "Event connections being served.", one(c.active));
  family("ioclens_connections_waiting", "gauge", "Event connections waiting for a free scanner.", one(c.waiting));
  family("ioclens_connections_limit", "gauge", "Event connections served at once (ScannersCount - 1).", one(c.limit));
  family("ioclens_connections_open", "gauge", "Event connections open, served or waiting.", one(c.open ?? 0));
  if (status.workers !== undefined) {
    const perThread = (pick: (w: NonNullable<ServiceStatus["workers"]>[number]) => number): readonly Sample[] => status.workers!.map((w) => [[["thread", String(w.id)]], pick(w)]);
    family("ioclens_worker_thread_responding", "gauge", "1 when the worker thread answered its last heartbeat (ServiceSettings > Workers).", perThread((w) => (w.responding ? 1 : 0)));
    family("ioclens_worker_thread_events_total", "counter", "Input events the worker thread processed.", perThread((w) => w.events));
  }
  family("ioclens_connections_max", "gauge", "Open event connections at most (MaxConnections).", one(c.max ?? 0));
  family("ioclens_connections_refused_total", "counter", "Event connections refused above MaxConnections.", one(c.refused ?? 0));
  family("ioclens_connections_idle_closed_total", "counter", "Idle connections closed to free a scanner for a waiting one.", one(c.idleClosed ?? 0));
  family("ioclens_connections_proxy_refused_total", "counter", "Event connections closed by the PROXY protocol rule (ServiceSettings > ProxyProtocol).", one(c.proxyRefused ?? 0));

  const e = status.events;
  family("ioclens_events_total", "counter", "Input events received.", one(e.total));
  family("ioclens_events_detected_total", "counter", "Input events with at least one detection.", one(e.detections));
  family("ioclens_events_suppressed_total", "counter", "Input events whose detections an allow-list cancelled.", one(e.suppressed));
  family("ioclens_events_dropped_total", "counter", "Input events dropped unprocessed.", one(e.dropped));
  family("ioclens_events_cut_total", "counter", "Input events cut because they exceeded 64 KiB.", one(e.cut));
  family(
    "ioclens_detections_total",
    "counter",
    "Detection events sent, per category.",
    Object.entries(status.detectionsByCategory).map(([category, n]) => [[["category", category]], n]),
  );
  family("ioclens_events_per_second", "gauge", "Input events per second over a sliding window.", [
    [[["window", "1m"]], status.eps.m1],
    [[["window", "5m"]], status.eps.m5],
    [[["window", "15m"]], status.eps.m15],
  ]);

  const o = status.output;
  family("ioclens_output_queue_depth", "gauge", "Output lines waiting for the detection target.", one(o.queueDepth));
  family("ioclens_output_queue_limit", "gauge", "Output lines that may wait before new ones are dropped.", one(o.queueLimit));
  family("ioclens_output_dropped_total", "counter", "Output lines dropped (queue full or retries exhausted).", one(o.dropped));
  family("ioclens_output_sent_total", "counter", "Output lines delivered to the detection target.", one(o.sent));
  family("ioclens_output_down", "gauge", "1 while the detection target is down (reconnects exhausted, or the file cannot be written).", one(o.error === undefined ? 0 : 1));

  const r = status.restLookups;
  if (r) {
    family("ioclens_rest_lookups_active", "gauge", "REST lookups being answered now.", one(r.active));
    family("ioclens_rest_lookups_total", "counter", "REST lookups answered 200.", one(r.answered));
    family("ioclens_rest_lookup_objects_total", "counter", "Objects looked up through the REST API.", one(r.objects));
    family("ioclens_rest_lookups_rejected_total", "counter", "REST lookups refused: too_large (413, objects or bytes) or busy (429).", [
      [[["reason", "too_large"]], r.rejectedTooLarge],
      [[["reason", "busy"]], r.rejectedBusy],
    ]);
  }

  const rs = status.retroScan;
  if (rs) {
    family("ioclens_retroscan_enabled", "gauge", "1 while RetroScan stores values and runs; 0 after a database fault turned it off.", one(rs.state === "on" ? 1 : 0));
    family("ioclens_retroscan_stored_values", "gauge", "Stored (type, value, day) rows.", one(rs.stored.rows));
    family("ioclens_retroscan_database_bytes", "gauge", "Bytes the RetroScan database uses.", one(rs.stored.bytes));
    family("ioclens_retroscan_dropped_values_total", "counter", "Values not stored because the write batch was full.", one(rs.dropped));
    family("ioclens_retroscan_pruned_values_total", "counter", "Stored rows removed by retention or the size cap.", one(rs.pruned.rows));
    family("ioclens_retroscan_runs_total", "counter", "Retro runs finished.", one(rs.runs));
    family("ioclens_retroscan_hits_total", "counter", "Retro detections sent.", one(rs.hits));
    const last = rs.lastRun;
    family("ioclens_retroscan_last_run_timestamp_seconds", "gauge", "When the last retro run started.", last ? one(Date.parse(last.at) / 1000) : []);
    family("ioclens_retroscan_last_run_indicators", "gauge", "New indicators the last retro run checked.", last ? one(last.indicators) : []);
    family("ioclens_retroscan_last_run_values_checked", "gauge", "Stored values the last retro run checked.", last ? one(last.checked) : []);
    family("ioclens_retroscan_last_run_hits", "gauge", "Retro detections of the last run.", last ? one(last.hits) : []);
    family("ioclens_retroscan_last_run_seconds", "gauge", "Duration of the last retro run.", last ? one(last.ms / 1000) : []);
  }

  out.push("");
  return out.join("\n");
}

/** Families of the feeds with `url`; none when no feed is downloaded. */
function downloadFamilies(
  status: ServiceStatus,
  family: (name: string, type: "counter" | "gauge", help: string, samples: readonly Sample[]) => void,
  perFeedTime: (pick: (f: ServiceStatus["feeds"][number]) => string | undefined) => readonly Sample[],
): void {
  const downloaded = status.feeds.filter((f) => f.download !== undefined);
  if (downloaded.length === 0) return;
  const each = (pick: (d: NonNullable<ServiceStatus["feeds"][number]["download"]>) => number | undefined): readonly Sample[] =>
    downloaded.flatMap((f): Sample[] => {
      const value = pick(f.download!);
      return value === undefined ? [] : [[[["feed", f.name]], value]];
    });
  family(
    "ioclens_feed_download_info",
    "gauge",
    "Where a downloaded feed comes from (URL without credentials) and its ETag; the value is always 1.",
    downloaded.map((f): Sample => [[["feed", f.name], ["source", f.download!.source], ...(f.download!.etag === undefined ? [] : [["etag", f.download!.etag] as const])], 1]),
  );
  family("ioclens_feed_download_last_attempt_timestamp_seconds", "gauge", "When the feed's last download was tried.", perFeedTime((f) => f.download?.lastAttempt));
  family("ioclens_feed_download_last_success_timestamp_seconds", "gauge", "When the feed's last download succeeded (new bytes that parsed, or a 304).", perFeedTime((f) => f.download?.lastSuccess));
  family("ioclens_feed_download_age_seconds", "gauge", "Seconds since the feed's last successful download.", each((d) => d.ageSeconds));
  family("ioclens_feed_download_http_status", "gauge", "HTTP status of the feed's last download.", each((d) => d.httpStatus));
  family("ioclens_feed_download_bytes", "gauge", "Bytes of the feed's last downloaded body.", each((d) => d.bytes));
  family("ioclens_feed_download_records", "gauge", "Indicators in the feed's last downloaded body.", each((d) => d.records));
  family("ioclens_feed_download_failed", "gauge", "1 when the feed's last download failed (the last good copy stays in use).", each((d) => (d.error === undefined ? 0 : 1)));
}

function labelText(labels: Labels): string {
  if (labels.length === 0) return "";
  let s = "{";
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i]!;
    s += `${i === 0 ? "" : ","}${name}="${value.replace(/[\\"\n]/g, (ch) => (ch === "\n" ? "\\n" : `\\${ch}`))}"`;
  }
  return s + "}";
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (ch) => (ch === "\n" ? "\\n" : "\\\\"));
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}
