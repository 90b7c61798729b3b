/** Renders a record as one RFC 5424 syslog line (no framing newline). */
import type { ReportRecord } from "./record.ts";
import { recordTimeMs } from "./_time.ts";
import { SYSLOG } from "./_siem_identity.ts";

/** Host name and clock for the header. */
export interface SyslogOptions {
  readonly hostname: string;
  /** Epoch ms; used when the record has no ISO time. */
  readonly now: number;
}

/**
 * `<12>1 TIMESTAMP HOST ioclens - detection [ioclens@32473 category="…" …] MSG`. With `msg`
 * given the header wraps that text (another format sent over syslog); otherwise MSG is the
 * record as service-style `key=value` text.
 *
 * @example Usage
 * ```ts
 * import { formatSyslog } from "./format_syslog.ts";
 * formatSyslog(record, { hostname: "siem-relay", now: Date.now() });
 * ```
 */
export function formatSyslog(r: ReportRecord, options: SyslogOptions, msg?: string): string {
  const ms = recordTimeMs(r.time) ?? options.now;
  const host = headerToken(options.hostname, 255);
  const head = `<${SYSLOG.pri}>1 ${new Date(ms).toISOString()} ${host} ${SYSLOG.appName} - ${SYSLOG.msgId}`;
  if (msg !== undefined) return `${head} - ${oneLine(msg)}`;
  let sd = `[${SYSLOG.sdId} category="${sdValue(r.category)}" indicator="${sdValue(r.indicator)}" type="${r.indicatorType}"`;
  if (r.feed !== undefined) sd += ` feed="${sdValue(r.feed)}"`;
  if (r.file !== undefined) sd += ` file="${sdValue(r.file)}"`;
  if (r.line !== undefined) sd += ` line="${r.line}"`;
  sd += "]";
  return `${head} ${sd} ${oneLine(formatKv(r))}`;
}

/** Service-style text: `category=… matchedIndicator=… url=… ctx=…`. */
export function formatKv(r: ReportRecord): string {
  let s = `category=${r.category} matchedIndicator=${r.indicator}`;
  if (r.confidence !== undefined) s += ` confidence=${r.confidence}`;
  for (const k in r.source) s += ` ${k}=${r.source[k]}`;
  for (const k in r.context) s += ` ${k}=${r.context[k]}`;
  for (const k in r.actionable) s += ` ${k}:${r.actionable[k]}`;
  return s;
}

/** SD-PARAM values escape `"`, `\` and `]` (RFC 5424 §6.3.3). */
function sdValue(s: string): string {
  return oneLine(s).replace(/["\\\]]/g, "\\$&");
}

/** Header fields are printable US-ASCII without spaces (RFC 5424 §6). */
function headerToken(s: string, max: number): string {
  const t = s.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return t === "" ? "-" : t;
}

/** Line framing is newline-based, so a message keeps its line breaks as `\n`. */
function oneLine(s: string): string {
  return s.includes("\n") || s.includes("\r") ? s.replace(/\r\n|\n/g, "\\n").replace(/\r/g, "\\r") : s;
}
