/**
 * Classifies one line of a saved report, whatever `EventFormat` dialect the service used
 * (log-scanner.md §5.2): a detection, a summary fact, a finished event, a service alert,
 * or a line we do not understand.
 */
import { buildRecord, withOptional } from "./_build_record.ts";
import { cutActionable, splitKv } from "./_kv.ts";
import { parseCef } from "./_parse_cef.ts";
import { parseLeef } from "./_parse_leef.ts";
import { readLeadingTime } from "./_time.ts";
import { indicatorType } from "./indicator_type.ts";
import type { IndicatorType, ReportDialect, ReportRecord } from "./record.ts";
import type { SidecarSummary } from "./sidecar.ts";
import { parseScanTime, SUMMARY_WORDING } from "./summary_lines.ts";

/** What one line turned out to be. */
export type ParsedLine =
  | { kind: "detection"; record: ReportRecord }
  | { kind: "summary"; fact: "objectsSent" | "detectsReceived" | "scanTimeMs"; value: number }
  | { kind: "sidecarSummary"; summary: SidecarSummary }
  | { kind: "finished" }
  | { kind: "alert"; name: string }
  | { kind: "empty" }
  | { kind: "raw" }
  | { kind: "bad"; reason: string };

/** Context for parsing: `now` gives year-less time stamps a year; `origin` names the line (`a.txt:3`). */
export interface ParseLineOptions {
  readonly now: number;
  readonly origin?: string;
}

const ALERT = /\bKL_ALERT_[A-Za-z]+/;
const FINISHED = /\bLookupFinished\b/;
const LEEF = /(?:^|[\s|])LEEF:[12](?:\.\d)?\|/;
const CEF = /(?:^|\s)CEF:\d+\|/;
const KUMA = /(?:^|[\s|])Category=[^|]*\|MatchedIndicator=/;
// RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD, then the message (our --format syslog and --send).
const RFC5424 = /^<\d{1,3}>1 (\S+) \S+ \S+ \S+ \S+ (?:-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+)(?: |$)/;
/** How a scan's `--format json` report opens and ends (src/scanner/report_writer.ts): one detection a line between. */
const JSON_REPORT_START = '{"detections":[';
const JSON_REPORT_END = '],"summary":';
const DIALECTS = new Set<ReportDialect>(["kv", "kuma", "leef1", "leef2", "cef", "sidecar", "json"]);

/**
 * Parses one report line (without its newline).
 *
 * @example Usage
 * ```ts
 * import { parseReportLine } from "./parse_report_line.ts";
 * const p = parseReportLine("Apr 15 10:02:11 category=KL_Malicious_URL matchedIndicator=bad.example/* geo=ru, ua", { now: Date.now() });
 * if (p.kind === "detection") console.log(p.record.context.geo); // "ru, ua"
 * ```
 */
export function parseReportLine(line: string, options: ParseLineOptions): ParsedLine {
  const text = line.trim();
  if (text === "" || text === "[" || text === "]" || text === "PONG" || text === JSON_REPORT_START) return { kind: "empty" };
  if (text.charCodeAt(0) === 123) return parseJsonLine(text.endsWith(",") ? text.slice(0, -1) : text, options);
  // The last line of a scan's --format json report: its summary record, then the closing brace.
  if (text.startsWith(JSON_REPORT_END) && text.endsWith("}")) return parseJsonLine(text.slice(JSON_REPORT_END.length, -1), options);
  const summary = parseSummary(text);
  if (summary !== undefined) return summary;
  if (FINISHED.test(text)) return { kind: "finished" };
  const alert = ALERT.exec(text);
  if (alert !== null) return { kind: "alert", name: alert[0] };
  const syslog = RFC5424.exec(text);
  if (syslog !== null) {
    const inner = parseReportLine(text.slice(syslog[0].length), options);
    if (inner.kind === "detection" && inner.record.time === undefined) {
      const time = readLeadingTime(syslog[1]!, options.now).time;
      if (time !== undefined) inner.record.time = time;
      return { kind: "detection", record: withOptional(inner.record, {}) };
    }
    return inner;
  }
  return parseDetection(line, options);
}

function parseDetection(line: string, { now, origin }: ParseLineOptions): ParsedLine {
  let record: ReportRecord | undefined;
  let m = LEEF.exec(line);
  if (m !== null) {
    record = parseLeef(line, m.index + m[0].indexOf("LEEF:"), now, origin);
    return record ? { kind: "detection", record } : { kind: "bad", reason: "LEEF header is incomplete: expected 5 fields after LEEF:" };
  }
  m = CEF.exec(line);
  if (m !== null) {
    record = parseCef(line, m.index + m[0].indexOf("CEF:"), now, origin);
    return record ? { kind: "detection", record } : { kind: "bad", reason: "CEF header is incomplete: expected 7 fields after CEF:" };
  }
  const kuma = KUMA.test(line);
  const split = splitKv(line, kuma ? "pipe" : "space");
  if (split.pairs.length === 0) return { kind: "raw" };
  const pairs: [string, string][] = [];
  const actionable: [string, string][] = [];
  for (const [k, v] of split.pairs) {
    if (kuma) {
      pairs.push([k, v]);
      continue;
    }
    const [value, found] = cutActionable(v);
    pairs.push([k, value]);
    actionable.push(...found);
  }
  const lead = readLeadingTime(split.prefix, now);
  record = buildRecord(pairs, { dialect: kuma ? "kuma" : "kv", raw: line, now, time: lead.time, origin, actionable });
  return record ? { kind: "detection", record } : { kind: "raw" };
}

function parseSummary(text: string): ParsedLine | undefined {
  if (text.startsWith(SUMMARY_WORDING.objectsSent)) {
    const n = Number(text.slice(SUMMARY_WORDING.objectsSent.length));
    return Number.isInteger(n) && n >= 0 ? { kind: "summary", fact: "objectsSent", value: n } : undefined;
  }
  if (text.startsWith(SUMMARY_WORDING.detectsReceived)) {
    const n = Number(text.slice(SUMMARY_WORDING.detectsReceived.length));
    return Number.isInteger(n) && n >= 0 ? { kind: "summary", fact: "detectsReceived", value: n } : undefined;
  }
  if (text.startsWith(SUMMARY_WORDING.scanTime)) {
    const ms = parseScanTime(text.slice(SUMMARY_WORDING.scanTime.length));
    return ms !== undefined ? { kind: "summary", fact: "scanTimeMs", value: ms } : undefined;
  }
  return undefined;
}

function parseJsonLine(text: string, options: ParseLineOptions): ParsedLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: "bad", reason: "line is not valid JSON: a half-written sidecar line?" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { kind: "raw" };
  const o = v as Record<string, unknown>;
  if (o.type === "detection") return sidecarDetection(o, options);
  if (o.type === "summary") {
    const { objectsSent, detectsReceived, scanTimeMs, startedAt, partial } = o;
    if (!isCount(objectsSent) || !isCount(detectsReceived) || !isCount(scanTimeMs)) {
      return { kind: "bad", reason: "sidecar summary is malformed: expected counts objectsSent, detectsReceived, scanTimeMs" };
    }
    return {
      kind: "sidecarSummary",
      summary: { type: "summary", objectsSent, detectsReceived, scanTimeMs, startedAt: String(startedAt ?? ""), partial: partial === true },
    };
  }
  if (typeof o.category === "string" && typeof o.indicator === "string") return ownRecord(o, options);
  return ecsLine(o, text, options) ?? { kind: "raw" };
}

/** Labels the elastic profile's template writes itself; the record's fields are the other labels. */
const ECS_TEMPLATE_LABELS = new Set(["category", "confidence", "ip", "domain", "source_id"]);

/**
 * A line of the elastic SIEM profile (src/config/siem_profiles.ts, `event.module: ioclens`): the
 * category in event.code, the matched indicator in threat.enrichments, the record's fields in
 * labels. Undefined for any other JSON.
 */
function ecsLine(o: Record<string, unknown>, raw: string, options: ParseLineOptions): ParsedLine | undefined {
  const event = object(o.event);
  if (event.module !== "ioclens") return undefined;
  if (event.dataset === "ioclens.lookup") return { kind: "finished" };
  if (event.dataset === "ioclens.alert" && typeof event.action === "string") return { kind: "alert", name: event.action };
  if (event.dataset !== "ioclens.detection") return undefined;
  const enrichments = object(o.threat).enrichments;
  const enrichment = object(Array.isArray(enrichments) ? enrichments[0] : undefined);
  const labels = strings(o.labels);
  const hash = strings(object(o.file).hash);
  const pairs: [string, string][] = [
    ["category", str(event.code) ?? ""],
    ["matchedIndicator", str(object(enrichment.indicator).name) ?? str(object(enrichment.matched).atomic) ?? ""],
    ["confidence", labels.confidence ?? ""],
    ["url", str(object(o.url).original) ?? ""],
    ["ip", labels.ip ?? ""],
    ["domain", labels.domain ?? ""],
    ["md5", hash.md5 ?? ""],
    ["sha1", hash.sha1 ?? ""],
    ["sha256", hash.sha256 ?? ""],
  ];
  const context = Object.entries(labels).filter(([k]) => !ECS_TEMPLATE_LABELS.has(k));
  const record = buildRecord(pairs, { dialect: "json", raw, now: options.now, origin: options.origin, context });
  return record ? { kind: "detection", record } : { kind: "raw" };
}

function object(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function sidecarDetection(o: Record<string, unknown>, options: ParseLineOptions): ParsedLine {
  const { file, line, sent, text, fields } = o;
  if (typeof text !== "string" || typeof file !== "string" || !isCount(line) || line === 0) {
    return { kind: "bad", reason: "sidecar detection is malformed: expected text, file and line" };
  }
  const pairs: [string, string][] = [];
  if (typeof fields === "object" && fields !== null && !Array.isArray(fields)) {
    for (const [k, val] of Object.entries(fields)) if (typeof val === "string") pairs.push([k, val]);
  }
  const base = { file, line, sent: typeof sent === "string" ? sent : undefined, origin: options.origin };
  const fromText = parseReportLine(text, options);
  const textRecord = fromText.kind === "detection" ? fromText.record : undefined;
  let record = pairs.length > 0
    ? buildRecord(pairs, { dialect: "sidecar", raw: text, now: options.now, time: textRecord?.time ?? readLeadingTime(text, options.now).time })
    : undefined;
  if (record === undefined && textRecord !== undefined) record = { ...textRecord, dialect: "sidecar" };
  if (record === undefined) return { kind: "bad", reason: "sidecar detection names no category or indicator" };
  return { kind: "detection", record: withOptional(record, base) };
}

/** A record we wrote ourselves (`--format json`/`ndjson`), read back; member types are checked, not trusted. */
function ownRecord(o: Record<string, unknown>, options: ParseLineOptions): ParsedLine {
  const category = o.category as string;
  const indicator = o.indicator as string;
  const type = typeof o.indicatorType === "string" ? (o.indicatorType as IndicatorType) : indicatorType(category, indicator);
  const dialect = DIALECTS.has(o.dialect as ReportDialect) ? (o.dialect as ReportDialect) : "json";
  const r: ReportRecord = {
    category, indicator, indicatorType: type,
    context: strings(o.context), actionable: strings(o.actionable), source: strings(o.source),
    dialect, raw: typeof o.raw === "string" ? o.raw : JSON.stringify(o),
  };
  return {
    kind: "detection",
    record: withOptional(r, {
      time: str(o.time), feed: str(o.feed), confidence: typeof o.confidence === "number" ? o.confidence : undefined,
      file: str(o.file), line: isCount(o.line) ? o.line : undefined, sent: str(o.sent), logSource: str(o.logSource),
      origin: str(o.origin) ?? options.origin,
    }),
  };
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}
