/**
 * The whole per-event path minus sockets (spec cybertrace-service.md §2.4, §4.1): extract values,
 * look them up, filter, dedupe and cap the hits, render the detection lines and the finished event.
 */
import type { ServiceConfig } from "../config/types.ts";
import { compileOutputTemplates, type OutputTemplates } from "../events/compile_output_templates.ts";
import type { EventRenderContext } from "../events/event_render_context.ts";
import { renderDetection } from "../events/render_detection.ts";
import { renderFinishedEvent } from "../events/render_finished_event.ts";
import { formatSyslogDate } from "../events/format_syslog_date.ts";
import type { IndexReader, LookupResult } from "../matching/types.ts";
import type { RetainValues } from "../retroscan/value_batch.ts";
import { type CompiledFilters, compileSendEventFilters, passesSendEventFilters } from "./_send_event_filters.ts";
import { type CompiledSources, compileSources, type ExtractedValue, extract } from "./extract.ts";

/** A config compiled for the event path; build once per config (re)load with {@link compilePipeline}. */
export interface Pipeline {
  readonly sources: CompiledSources;
  readonly templates: OutputTemplates;
  /** `Feeds per_scan_detect_limit`, per input event; Infinity when unset. */
  readonly detectLimit: number;
  readonly filters: CompiledFilters;
  /** `FinishedEventFormat enabled`: the default for sessions that did not send X-KF-SendFinishedEvent. */
  readonly finishedEnabled: boolean;
  /** RetroScan's hook: gets every event's typed values to store (docs/retroscan.md); absent when off. */
  readonly retain?: RetainValues;
}

/**
 * Compiles `config` for {@link processEvent}. Throws `ConfigError` (file, line, Source and rule
 * named) when a regex does not compile; unknown template placeholders go to `warn` once each.
 */
export function compilePipeline(config: ServiceConfig, warn?: (message: string) => void): Pipeline {
  const sources = compileSources(config.input, config.source);
  const limit = config.feeds.perScanDetectLimit;
  return {
    sources,
    templates: compileOutputTemplates(config.output, config.feeds.feeds, sources.slotNames, warn),
    detectLimit: limit === undefined || limit <= 0 ? Number.POSITIVE_INFINITY : limit,
    filters: compileSendEventFilters(config.output.sendEventFilters),
    finishedEnabled: config.output.finishedEventFormat.enabled,
  };
}

/** Per-event inputs besides the text. */
export interface ProcessOptions {
  /** The peer's address, for Source selection by `ip=`. */
  readonly peerIp?: string;
  /** Epoch ms: lookup expiry and `%Date%`. */
  readonly now: number;
  /** Epoch ms the event arrived (`%EventReceivedDate%`); default `now`. */
  readonly receivedAt?: number;
  /** Append a finished event (session flag, or the config default). */
  readonly sendFinished: boolean;
  /** The event has no astral character (the framer saw no 4-byte UTF-8 sequence); default: unknown. */
  readonly astralFree?: boolean;
  /** The text the event was decoded with, and where in it the event starts (`LineFramer`), for RetroScan. */
  readonly base?: string;
  readonly baseOffset?: number;
}

/** What one input event produced. */
export interface ProcessResult {
  /** Detection lines, then the finished event when asked; no trailing newlines (one shared frozen array when none). */
  readonly lines: readonly string[];
  /** Detection lines produced (after filters, dedupe and the limit). */
  readonly detections: number;
  /** Detections an allow-list hit cancelled. */
  readonly suppressed: number;
  /** Detections per category, in first-seen order (one shared empty map when there are none). */
  readonly byCategory: ReadonlyMap<string, number>;
  /** Typed values looked up (statistics: checked objects). */
  readonly checked: number;
  /** An Ignore rule dropped the event. */
  readonly ignored: boolean;
  readonly sourceId: string;
  /** What the finished event of this event renders with (the service merges lines of several events). */
  readonly context: EventRenderContext;
}

const NO_HITS: LookupResult = { records: [], suppressed: 0 };
const NO_CATEGORIES: ReadonlyMap<string, number> = new Map();
const NO_LINES: readonly string[] = Object.freeze([]);

/** Above this many values the duplicate check uses a Set; below, comparing with the earlier values is cheaper. */
const LINEAR_DEDUPE_MAX = 16;

// %Date% has one-second resolution, so the text is formatted once per second rather than per event.
let dateSecond = Number.NaN;
let dateText = "";
function syslogDateOf(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateText = formatSyslogDate(now);
    dateSecond = second;
  }
  return dateText;
}

/**
 * Whether `values[i]` repeats an earlier value of the same type. Values that sit in the event
 * (`spans`) are compared there: comparing two slices as strings would make each its own string.
 */
function seenEarlier(values: readonly ExtractedValue[], spans: Int32Array, text: string, i: number): boolean {
  const v = values[i]!;
  const start = spans[2 * i]!;
  const length = spans[2 * i + 1]! - start;
  for (let j = 0; j < i; j++) {
    const w = values[j]!;
    if (w.type !== v.type) continue;
    const from = spans[2 * j]!;
    if (start < 0 || from < 0) {
      if (w.value === v.value) return true;
      continue;
    }
    if (spans[2 * j + 1]! - from !== length) continue;
    let k = 0;
    while (k < length && text.charCodeAt(from + k) === text.charCodeAt(start + k)) k++;
    if (k === length) return true;
  }
  return false;
}

/**
 * Processes one event. A lookup that throws counts as no hit, so one bad value cannot end a
 * connection. An ignored event still gets its finished event: synchronous clients wait for one
 * per line (spec §2.4).
 *
 * @example
 * ```ts
 * const r = processEvent(pipeline, index, "url=http://fakess123.nu", { now: Date.now(), sendFinished: true });
 * r.lines; // [detection…, finished event]
 * ```
 */
export function processEvent(p: Pipeline, index: IndexReader, event: string, options: ProcessOptions): ProcessResult {
  const { now } = options;
  const x = extract(p.sources, event, options.peerIp, options.astralFree);
  if (p.retain !== undefined && x.values.length > 0) p.retain(x.values, event, x.source.id, p.sources.slotNames, options.peerIp, options.receivedAt ?? now, x.event, x.spans, options.base, options.baseOffset);
  // Most events detect nothing: they share one empty list of lines and one empty map instead of
  // allocating their own.
  let lines: string[] | undefined;
  let byCategory: Map<string, number> | undefined;
  const ctx: EventRenderContext = {
    now,
    receivedAt: options.receivedAt ?? now,
    sourceId: x.source.id,
    regexValues: x.firstValues,
    date: syslogDateOf(now),
  };
  let detections = 0;
  let suppressed = 0;
  let checked = 0;
  const values = x.values;
  const spans = x.spans;
  // Both sets stay unallocated for the common event: few values, at most one record each.
  let looked: Set<string> | undefined;
  let sent: Set<string> | undefined;
  for (let i = 0; i < values.length && detections < p.detectLimit; i++) {
    const v = values[i]!;
    if (values.length > LINEAR_DEDUPE_MAX) {
      const key = `${v.type}\0${v.value}`;
      looked ??= new Set();
      if (looked.has(key)) continue;
      looked.add(key);
    } else if (i > 0 && seenEarlier(values, spans, x.event, i)) continue;
    checked++;
    let hits: LookupResult;
    try {
      const start = spans[2 * i]!;
      hits = start >= 0 && index.lookupRange !== undefined ? index.lookupRange(v.type, x.event, start, spans[2 * i + 1]!, now) : index.lookup(v.type, v.value, now);
    } catch {
      hits = NO_HITS;
    }
    suppressed += hits.suppressed;
    const records = hits.records;
    for (let r = 0; r < records.length && detections < p.detectLimit; r++) {
      const record = records[r]!;
      if (p.filters.length > 0 && !passesSendEventFilters(p.filters, record, now)) continue;
      if (values.length > 1 || records.length > 1) {
        // One line per (event, feed entry): a URL and the IP or host inside it that hit the same
        // entry are one detection, reported with the first value that found it (issue 11 #6).
        const key = `${record.feed.name}\0${record.category}\0${record.indicator}`;
        sent ??= new Set();
        if (sent.has(key)) continue;
        sent.add(key);
      }
      (lines ??= []).push(renderDetection(p.templates, ctx, record, v.slot, v.value));
      detections++;
      byCategory ??= new Map();
      byCategory.set(record.category, (byCategory.get(record.category) ?? 0) + 1);
    }
  }
  const categories = byCategory ?? NO_CATEGORIES;
  if (options.sendFinished) (lines ??= []).push(renderFinishedEvent(p.templates, ctx, detections, categories));
  return { lines: lines ?? NO_LINES, detections, suppressed, byCategory: categories, checked, ignored: x.ignored, sourceId: x.source.id, context: ctx };
}
