/** Renders a record as one LEEF 1.0 or 2.0 line. */
import type { ReportRecord } from "./record.ts";
import { LEEF_HEADER } from "./_siem_identity.ts";
import { escapeLeefValue } from "../io/value_escapes.ts";

/** LEEF version and, for 2.0, the attribute delimiter (one character; tab when absent). */
export interface LeefOptions {
  readonly version: "1.0" | "2.0";
  readonly delimiter?: string;
}

/** Header fields: backslash and pipe are escaped, line breaks become spaces. */
export function escapeLeefHeader(s: string): string {
  return s.replace(/[\\|]/g, "\\$&").replace(/\r\n|[\r\n]/g, " ");
}

/**
 * One LEEF line: `LEEF:1.0|vendor|product|version|category|` then tab-separated attributes,
 * or `LEEF:2.0|…|category|<delimiter>|` then attributes separated by that delimiter. LEEF has
 * no escape for the delimiter inside a value, so a delimiter or line break there becomes a space.
 *
 * @example Usage
 * ```ts
 * import { formatLeef } from "./format_leef.ts";
 * formatLeef(record, { version: "2.0", delimiter: "^" }); // "LEEF:2.0|Kaspersky Lab|Threat Feed Service|2.0|KL_Malicious_URL|^|cat=…"
 * ```
 */
export function formatLeef(r: ReportRecord, options: LeefOptions): string {
  const delimiter = options.version === "1.0" ? "\t" : options.delimiter ?? "\t";
  const attrs: [string, string][] = [["cat", r.category], ["matchedIndicator", r.indicator], ["indicatorType", r.indicatorType]];
  if (r.time !== undefined) {
    attrs.push(["devTime", r.time]);
    if (/^\d{4}-\d{2}-\d{2}T/.test(r.time)) attrs.push(["devTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX"]);
  }
  if (r.feed !== undefined) attrs.push(["feed", r.feed]);
  if (r.confidence !== undefined) attrs.push(["confidence", String(r.confidence)]);
  if (r.file !== undefined) attrs.push(["scanFile", r.file]);
  if (r.line !== undefined) attrs.push(["scanLine", String(r.line)]);
  for (const k in r.source) attrs.push([k, r.source[k]!]);
  for (const k in r.context) attrs.push([k, r.context[k]!]);
  for (const k in r.actionable) attrs.push([`actionable.${k}`, r.actionable[k]!]);
  const header = `LEEF:${options.version}|${escapeLeefHeader(LEEF_HEADER.vendor)}|${escapeLeefHeader(LEEF_HEADER.product)}|${LEEF_HEADER.version}|${escapeLeefHeader(r.category)}|`;
  const delimField = options.version === "2.0" ? `${delimiterField(delimiter)}|` : "";
  let body = "";
  for (let i = 0; i < attrs.length; i++) {
    const [k, v] = attrs[i]!;
    body += `${i === 0 ? "" : delimiter}${cleanKey(k)}=${escapeLeefValue(v, delimiter)}`;
  }
  return header + delimField + body;
}

/** Printable delimiters go in as themselves; others as `xHH` (LEEF 2.0 allows both). */
function delimiterField(d: string): string {
  const c = d.charCodeAt(0);
  return c > 32 && c < 127 && d !== "|" && d !== "\\" ? d : `x${c.toString(16).padStart(2, "0")}`;
}

function cleanKey(k: string): string {
  return k.replace(/[^\w.-]/g, "_");
}
