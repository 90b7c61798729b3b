/**
 * Where the lookup service's lines go: detections and finished events to OutputSettings >
 * ConnectionString, alerts to AlertConnectionString when enabled (else the same target), each
 * over an OutputSink opened on first use, and KL_ALERT_EventsDropped when a queue drops lines.
 */
import type { ServiceConfig } from "../config/types.ts";
import { DropAlerts } from "./drop_alerts.ts";
import type { Logger } from "./logger.ts";
import { OutputSink, type OutputSinkStats } from "./output_sink.ts";
import { formatEndpoint, type Endpoint } from "../io/endpoint.ts";
import { startEndpoint } from "./_start_endpoint.ts";

/** KL_ALERT_EventsDropped is raised at most once a minute. */
const DROP_ALERT_PERIOD_MS = 60_000;

/**
 * The output and alert sinks of one service.
 *
 * @throws {ServiceStartError} when a target address does not parse.
 * @example
 * ```ts
 * const outputs = new ServiceOutputs(config, log, Date.now, (count, total) => alert("KL_ALERT_EventsDropped", …));
 * outputs.send(detectionLine);
 * await outputs.close(5000);
 * ```
 */
export class ServiceOutputs {
  /** The output target (for /status). */
  readonly target: Endpoint;
  readonly #alertTarget: Endpoint | undefined;
  readonly #config: ServiceConfig;
  readonly #log: Logger;
  readonly #drops: DropAlerts;
  // Built lazily: a ReplyBack-only deployment never connects to the output target.
  #output: OutputSink | undefined;
  #alerts: OutputSink | undefined;

  /** `dropAlert` raises KL_ALERT_EventsDropped (throttled here) with the drops since the last one and in all. */
  constructor(config: ServiceConfig, log: Logger, now: () => number, dropAlert: (count: number, total: number) => void) {
    this.#config = config;
    this.#log = log;
    this.target = startEndpoint(config.output.connectionString, "OutputSettings > ConnectionString");
    const alerts = config.output.alertConnectionString;
    this.#alertTarget = alerts?.enabled ? startEndpoint(alerts.value, "OutputSettings > AlertConnectionString") : undefined;
    this.#drops = new DropAlerts({
      now,
      periodMs: DROP_ALERT_PERIOD_MS,
      hasRoom: () => {
        const target = this.#alertSink().stats();
        return target.queueDepth < target.queueLimit;
      },
      alert: dropAlert,
    });
  }

  /** Queues a detection or finished-event line for the output target. */
  send(line: string): void {
    this.#outputSink().send(line);
  }

  /** Queues an alert line for the alert target. */
  sendAlert(line: string): void {
    this.#alertSink().send(line);
  }

  /** The output sink's figures; undefined while nothing was sent. */
  stats(): OutputSinkStats | undefined {
    return this.#output?.stats();
  }

  /** Gives queued lines up to `timeoutMs` to go out, then closes both sinks. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all([this.#output?.close(timeoutMs), this.#alerts?.close(timeoutMs)]);
  }

  #outputSink(): OutputSink {
    return (this.#output ??= this.#makeSink(this.target, `output ${formatEndpoint(this.target)}`));
  }

  #alertSink(): OutputSink {
    const target = this.#alertTarget;
    return target ? (this.#alerts ??= this.#makeSink(target, `alerts ${formatEndpoint(target)}`)) : this.#outputSink();
  }

  #makeSink(endpoint: Endpoint, what: string): OutputSink {
    const { output, service } = this.#config;
    const log = this.#log;
    return new OutputSink(endpoint, {
      queueLimit: output.queueSize,
      retriesCount: service.eventSendingRetriesCount,
      retryDelayMs: Math.max(100, service.eventSendingRetriesTimeoutSeconds * 1000),
      log: (level, message) => log(level, `${what}: ${message}`),
      onDrop: (total) => {
        // One warning per power of two keeps a flood of drops from flooding the log.
        if ((total & (total - 1)) === 0 || total % 10000 === 0) log("warn", `${what}: queue full, ${total} lines dropped so far`, { queueLimit: output.queueSize });
        this.#drops.dropped();
      },
      onSent: () => this.#drops.sent(),
    });
  }
}
