/** Replays lines to a SIEM with retries: each failed line is retried on a fresh connection. */
import type { ConnectSyslog, SyslogConnection, SyslogTarget } from "./connect_syslog.ts";

/** Retry policy and the injectable world. */
export interface SenderOptions {
  readonly connect: ConnectSyslog;
  /** Attempts after the first failure of one line (default 3). */
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Thrown when a line could not be delivered after all retries. */
export class SendError extends Error {
  override readonly name = "SendError";
}

/**
 * Sends lines in order over one connection, reconnecting after a failure. Delivery is
 * at-least-once for the failing line; lines the OS had accepted before a TCP reset may be lost
 * (TCP acknowledges bytes to the kernel, not to the application).
 *
 * @example Usage
 * ```ts
 * import { SyslogSender } from "./syslog_sender.ts";
 * import { connectSyslog } from "./connect_syslog.ts";
 * const s = new SyslogSender({ protocol: "tcp", host: "127.0.0.1", port: 514 }, { connect: connectSyslog, retries: 3, retryDelayMs: 1000, sleep });
 * await s.send("<12>1 …");
 * await s.close();
 * ```
 */
export class SyslogSender {
  #conn: SyslogConnection | undefined;
  sent = 0;
  /** Connections opened after a failure. */
  reconnects = 0;

  constructor(readonly target: SyslogTarget, private readonly options: SenderOptions) {}

  async send(line: string): Promise<void> {
    let failures = 0;
    for (;;) {
      try {
        if (this.#conn === undefined) {
          this.#conn = await this.options.connect(this.target);
          if (failures > 0 || this.sent > 0) this.reconnects++;
        }
        await this.#conn.write(line);
        this.sent++;
        return;
      } catch (e) {
        const broken = this.#conn;
        this.#conn = undefined;
        if (broken !== undefined) await broken.close().catch(() => undefined);
        failures++;
        if (failures > this.options.retries) {
          const { protocol, host, port } = this.target;
          const reason = e instanceof Error ? e.message : String(e);
          throw new SendError(`sending to ${protocol}://${host.includes(":") ? `[${host}]` : host}:${port} failed: ${reason} (${failures} ${failures === 1 ? "attempt" : "attempts"})`);
        }
        await this.options.sleep(this.options.retryDelayMs);
      }
    }
  }

  async close(): Promise<void> {
    const c = this.#conn;
    this.#conn = undefined;
    if (c !== undefined) await c.close().catch(() => undefined);
  }
}
