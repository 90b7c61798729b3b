/**
 * Turns named fields from any dialect into a ReportRecord: the one place that knows which
 * field names mean category, indicator, feed, confidence, source value or our own extras.
 */
import { indicatorType } from "./indicator_type.ts";
import type { IndicatorType, ReportDialect, ReportRecord } from "./record.ts";
import { parseTimeValue } from "./_time.ts";

/** What a field name means to a record (`source`: a value copied from the input event; `undefined`: context). */
export type Slot = "category" | "indicator" | "feed" | "confidence" | "type" | "file" | "line" | "time" | "ignore" | "source" | "retroscan";

// Names the service kits and our own LEEF/CEF writers use (spec cybertrace-service.md §6.3).
/** The slot of each field name that means more than context; kv_detection_fields.ts reads it too. */
export const SLOTS: ReadonlyMap<string, Slot> = new Map<string, Slot>([
  ["category", "category"], ["Category", "category"], ["event_name", "category"], ["eventName", "category"],
  ["cat", "category"],
  ["matchedIndicator", "indicator"], ["MatchedIndicator", "indicator"], ["matched_indicator", "indicator"],
  ["detected_indicator", "indicator"],
  ["feed", "feed"], ["Feed", "feed"], ["feedName", "feed"],
  ["confidence", "confidence"], ["Confidence", "confidence"],
  ["indicatorType", "type"],
  ["scanFile", "file"], ["scanLine", "line"],
  ["devTime", "time"], ["rt", "time"],
  ["devTimeFormat", "ignore"],
  // %Retroscan%: `true` on RetroScan detections (docs/retroscan.md), `false` on the others.
  ["retroscan", "retroscan"], ["Retroscan", "retroscan"],
  // Values the service copied from the input event (%RE_URL%, %SRC_IP%, …).
  ["url", "source"], ["src", "source"], ["ip", "source"], ["md5", "source"], ["sha1", "source"],
  ["sha256", "source"], ["hash", "source"], ["domain", "source"], ["usrName", "source"], ["source", "source"],
  ["dst", "source"], ["srcPort", "source"], ["dstPort", "source"],
]);

/** The prefix of the sidecar's actionable fields (`actionable.<name>`). */
export const ACTIONABLE_PREFIX = "actionable.";
const TYPES = new Set<IndicatorType>(["url", "ip", "md5", "sha1", "sha256", "domain", "unknown"]);
const FALLBACK_ORDER: Record<IndicatorType, readonly string[]> = {
  url: ["url"], ip: ["ip", "src", "dst"], md5: ["md5", "hash"], sha1: ["sha1", "hash"], sha256: ["sha256", "hash"],
  domain: ["domain", "url"], unknown: [],
};

/** What a dialect already knows before its fields are classified. */
export interface RecordSeed {
  dialect: ReportDialect;
  raw: string;
  now: number;
  time?: string;
  /** Used when no category field is present (CEF signature), or always with `categoryFixed` (LEEF EventID). */
  category?: string;
  categoryFixed?: boolean;
  logSource?: string;
  origin?: string;
  /** Fields known to be context / source / actionable whatever their names (CEF labelled strings). */
  context?: readonly [string, string][];
  source?: readonly [string, string][];
  actionable?: readonly [string, string][];
}

/** Classifies `pairs`; undefined when they name neither a category nor an indicator (not a detection). */
export function buildRecord(pairs: readonly [string, string][], seed: RecordSeed): ReportRecord | undefined {
  let category: string | undefined;
  let indicator: string | undefined;
  let feed: string | undefined;
  let confidence: number | undefined;
  let type: IndicatorType | undefined;
  let file: string | undefined;
  let line: number | undefined;
  let retroscan = false;
  let time = seed.time;
  const context: Record<string, string> = {};
  const actionable: Record<string, string> = {};
  const source: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (k.startsWith(ACTIONABLE_PREFIX)) {
      actionable[k.slice(ACTIONABLE_PREFIX.length)] = v;
      continue;
    }
    switch (SLOTS.get(k)) {
      // A second category/indicator/feed (an IP feed's own `category=botnet, spam`) is context.
      case "category":
        if (category === undefined && !seed.categoryFixed) category = v;
        else if (v !== (category ?? seed.category)) context[k] = v;
        break;
      case "indicator":
        if (indicator === undefined) indicator = v;
        else context[k] = v;
        break;
      case "feed":
        if (feed === undefined) feed = v;
        else context[k] = v;
        break;
      case "confidence": {
        const n = Number(v);
        if (v !== "" && Number.isFinite(n) && confidence === undefined) confidence = n;
        else context[k] = v;
        break;
      }
      case "type":
        if (TYPES.has(v as IndicatorType)) type = v as IndicatorType;
        break;
      case "file":
        file = v;
        break;
      case "line": {
        const n = Number(v);
        if (Number.isInteger(n) && n > 0) line = n;
        break;
      }
      case "time":
        time ??= parseTimeValue(v, seed.now) ?? v;
        break;
      case "ignore":
        break;
      case "retroscan":
        if (v.toLowerCase() === "true") retroscan = true;
        break;
      case "source":
        if (v !== "") source[k] = v;
        break;
      default:
        context[k] = v;
    }
  }
  for (const [k, v] of seed.context ?? []) context[k] = v;
  for (const [k, v] of seed.source ?? []) if (v !== "") source[k] = v;
  for (const [k, v] of seed.actionable ?? []) actionable[k] = v;
  category ??= seed.category;
  if (category === undefined && indicator === undefined) return undefined;
  category ??= "";
  indicator ??= fallbackIndicator(category, context, source);
  type ??= indicatorType(category, indicator);
  const r: ReportRecord = { category, indicator, indicatorType: type, context, actionable, source, dialect: seed.dialect, raw: seed.raw };
  return withOptional(r, { time, feed, confidence, file, line, logSource: seed.logSource, origin: seed.origin, ...(retroscan ? { retroscan: true as const } : {}) });
}

/** The seed report line names no matchedIndicator: the URL feed's `mask`, else the input value for the category's type. */
function fallbackIndicator(category: string, context: Record<string, string>, source: Record<string, string>): string {
  if (context.mask !== undefined) return context.mask;
  for (const k of FALLBACK_ORDER[indicatorType(category, "")]) if (source[k] !== undefined) return source[k];
  for (const k of ["url", "ip", "md5", "sha1", "sha256", "domain", "hash"]) if (source[k] !== undefined) return source[k];
  return "";
}

/** Puts the optional members in the record's canonical key order, leaving absent ones out. */
export function withOptional(
  r: ReportRecord,
  o: Partial<Pick<ReportRecord, "time" | "feed" | "confidence" | "file" | "line" | "sent" | "logSource" | "origin" | "retroscan">>,
): ReportRecord {
  const out: Record<string, unknown> = {};
  const time = o.time ?? r.time;
  if (time !== undefined) out.time = time;
  out.category = r.category;
  out.indicator = r.indicator;
  out.indicatorType = r.indicatorType;
  const feed = o.feed ?? r.feed;
  if (feed !== undefined) out.feed = feed;
  const confidence = o.confidence ?? r.confidence;
  if (confidence !== undefined) out.confidence = confidence;
  out.context = r.context;
  out.actionable = r.actionable;
  out.source = r.source;
  const file = o.file ?? r.file;
  if (file !== undefined) out.file = file;
  const line = o.line ?? r.line;
  if (line !== undefined) out.line = line;
  const sent = o.sent ?? r.sent;
  if (sent !== undefined) out.sent = sent;
  const logSource = o.logSource ?? r.logSource;
  if (logSource !== undefined) out.logSource = logSource;
  const origin = o.origin ?? r.origin;
  if (origin !== undefined) out.origin = origin;
  if (o.retroscan ?? r.retroscan) out.retroscan = true;
  out.dialect = r.dialect;
  out.raw = r.raw;
  return out as unknown as ReportRecord;
}
