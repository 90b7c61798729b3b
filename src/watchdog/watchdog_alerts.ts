/**
 * The watchdog's service alerts (`KL_ALERT_ServiceUnavailable`): rendered with the config's alert
 * template and sent to the alert target (OutputSettings > AlertConnectionString when enabled,
 * else ConnectionString), over a sink opened on the first alert.
 */
import type { ServiceConfig } from "../config/types.ts";
import type { Fields } from "../matching/types.ts";
import { renderAlert } from "../events/render_alert.ts";
import type { Logger } from "../service/logger.ts";
import { OutputSink } from "../service/output_sink.ts";
import { parseEndpoint } from "../io/endpoint.ts";
import { compilePipeline } from "../service/process_event.ts";

/**
 * Sends the watchdog's alerts; `close()` gives queued ones up to 2 s to go out.
 *
 * @example
 * ```ts
 * const alerts = new WatchdogAlerts(config, log, Date.now);
 * alerts.send("KL_ALERT_ServiceUnavailable");
 * await alerts.close();
 * ```
 */
export class WatchdogAlerts {
  readonly #config: ServiceConfig;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #templates: ReturnType<typeof compilePipeline>["templates"];
  #sink: OutputSink | undefined;

  constructor(config: ServiceConfig, log: Logger, now: () => number) {
    this.#config = config;
    this.#log = log;
    this.#now = now;
    this.#templates = compilePipeline(config).templates;
  }

  /** Logs the alert, and sends it when the config has an alert template. */
  send(name: string, fields?: Fields): void {
    const line = renderAlert(this.#templates, name, fields ?? [], this.#now());
    this.#log("warn", `alert ${name}`);
    if (line === undefined) return;
    const { output, service } = this.#config;
    this.#sink ??= new OutputSink(parseEndpoint(output.alertConnectionString?.enabled ? output.alertConnectionString.value : output.connectionString), {
      queueLimit: 1000,
      retriesCount: service.eventSendingRetriesCount,
      retryDelayMs: Math.max(100, service.eventSendingRetriesTimeoutSeconds * 1000),
    });
    this.#sink.send(line);
  }

  async close(): Promise<void> {
    await this.#sink?.close(2000);
  }
}
