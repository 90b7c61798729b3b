/**
 * The service's log: one line per message on stderr, as text (`2026-11-28T10:15:00.000Z warn
 * message key=value`) or JSON lines, filtered by level. Whole events are never logged at info
 * level; they may contain personal data (spec §3.8).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * @example
 * ```ts
 * const log = createLogger({ level: "info", format: "text", write: (line) => process.stderr.write(line), now: Date.now });
 * log("info", "listening", { address: "127.0.0.1:9999" });
 * ```
 */
export function createLogger(options: { level: LogLevel; format: LogFormat; write: (line: string) => void; now: () => number; name?: string }): Logger {
  const threshold = RANK[options.level];
  return (level, message, fields) => {
    if (RANK[level] < threshold) return;
    const time = new Date(options.now()).toISOString();
    if (options.format === "json") {
      options.write(JSON.stringify({ time, level, ...(options.name ? { process: options.name } : {}), message, ...fields }) + "\n");
      return;
    }
    let line = `${time} ${level.padEnd(5)} ${options.name ? `[${options.name}] ` : ""}${message}`;
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        const text = typeof value === "string" ? value : JSON.stringify(value);
        line += ` ${key}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`;
      }
    }
    options.write(line + "\n");
  };
}

export function isLogLevel(value: string): value is LogLevel {
  return value in RANK;
}
