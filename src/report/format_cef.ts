/** Renders a record as one CEF line, escaped as the CEF standard requires. */
import type { ReportRecord } from "./record.ts";
import { recordTimeMs } from "./_time.ts";
import { CEF_HEADER } from "./_siem_identity.ts";
import { escapeCefValue } from "../io/value_escapes.ts";

/** Header fields: backslash and pipe are escaped; a header cannot hold a line break. */
export function escapeCefHeader(s: string): string {
  return s.replace(/[\\|]/g, "\\$&").replace(/\r\n|[\r\n]/g, " ");
}

/**
 * One CEF:0 line. The matched indicator, context, source and actionable fields travel in
 * labelled custom strings (cs5 MatchedIndicator, cs6 Context, cs4 Source, …) as in the ArcSight kit.
 *
 * @example Usage
 * ```ts
 * import { formatCef } from "./format_cef.ts";
 * formatCef(record); // "CEF:0|Kaspersky Lab|Kaspersky CyberTrace for ArcSight|2.0|2|CyberTrace Detection Event|8|reason=KL_Malicious_URL …"
 * ```
 */
export function formatCef(r: ReportRecord): string {
  const h = CEF_HEADER;
  const ext: [string, string][] = [];
  const ms = recordTimeMs(r.time);
  if (ms !== undefined) ext.push(["rt", String(ms)]);
  ext.push(["reason", r.category]);
  if (r.source.url !== undefined) ext.push(["request", r.source.url]);
  const hash = r.source.md5 ?? r.source.sha1 ?? r.source.sha256;
  if (hash !== undefined) ext.push(["fileHash", hash]);
  if (r.file !== undefined) ext.push(["fname", r.file]);
  ext.push(["msg", `CyberTrace detected ${r.category}`]);
  ext.push(["cs1Label", "IndicatorType"], ["cs1", r.indicatorType]);
  if (r.feed !== undefined) ext.push(["cs2Label", "Feed"], ["cs2", r.feed]);
  if (Object.keys(r.actionable).length > 0) ext.push(["cs3Label", "Actionable"], ["cs3", kv(r.actionable)]);
  if (Object.keys(r.source).length > 0) ext.push(["cs4Label", "Source"], ["cs4", kv(r.source)]);
  ext.push(["cs5Label", "MatchedIndicator"], ["cs5", r.indicator]);
  if (Object.keys(r.context).length > 0) ext.push(["cs6Label", "Context"], ["cs6", kv(r.context)]);
  if (r.confidence !== undefined) ext.push(["cn1Label", "Confidence"], ["cn1", String(r.confidence)]);
  if (r.line !== undefined) ext.push(["cn2Label", "Line"], ["cn2", String(r.line)]);
  let out = `CEF:0|${escapeCefHeader(h.vendor)}|${escapeCefHeader(h.product)}|${h.version}|${h.signatureId}|${escapeCefHeader(h.name)}|${h.severity}|`;
  for (let i = 0; i < ext.length; i++) out += `${i === 0 ? "" : " "}${ext[i]![0]}=${escapeCefValue(ext[i]![1])}`;
  return out;
}

/** `%RecordContext%`-style text: ` name=value` pieces joined by spaces. */
function kv(o: Record<string, string>): string {
  let s = "";
  for (const k in o) s += `${s === "" ? "" : " "}${k}=${o[k]}`;
  return s;
}
