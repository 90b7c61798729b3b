/**
 * Reads a CEF detection (ArcSight kit): seven pipe-separated header fields, then `key=value`
 * extensions where `\=`, `\\`, `\n`, `\r` are escapes and values may hold spaces.
 */
import { buildRecord } from "./_build_record.ts";
import { splitKv } from "./_kv.ts";
import { splitHeader, unescape } from "./_parse_leef.ts";
import { readLeadingTime } from "./_time.ts";
import type { ReportRecord } from "./record.ts";

const EXT_KEY = /(?<=^|\s)([A-Za-z_][\w.[\]-]*)=/g;
const LABELLED = /^(cs|cn|cfp|flexString|flexNumber|flexDate|deviceCustomDate|c6a)(\d)$/;
const HASH_KEY: Record<number, string> = { 32: "md5", 40: "sha1", 64: "sha256" };

/** Parses the line with `CEF:` at `at`; undefined when its header is incomplete or it is no detection. */
export function parseCef(line: string, at: number, now: number, origin?: string): ReportRecord | undefined {
  const header = splitHeader(line.slice(at), 7);
  if (header === undefined) return undefined;
  const ext = parseExtension(header.rest);
  // Custom fields carry their meaning in a sibling label (cs5Label=MatchedIndicator cs5=…).
  const named: [string, string][] = [];
  for (const [k, v] of ext) {
    if (k.endsWith("Label") && LABELLED.test(k.slice(0, -5))) continue;
    const m = LABELLED.exec(k);
    const label = m ? ext.get(`${k}Label`) : undefined;
    named.push([label ?? k, v]);
  }
  const pairs: [string, string][] = [];
  const context: [string, string][] = [];
  const source: [string, string][] = [];
  const actionable: [string, string][] = [];
  for (const [k, v] of named) {
    switch (k) {
      case "reason": pairs.push(["category", v]); break;
      case "MatchedIndicator": pairs.push(["matchedIndicator", v]); break;
      case "Feed": pairs.push(["feed", v]); break;
      case "Confidence": pairs.push(["confidence", v]); break;
      case "IndicatorType": pairs.push(["indicatorType", v]); break;
      case "Line": pairs.push(["scanLine", v]); break;
      case "fname": pairs.push(["scanFile", v]); break;
      case "Context": context.push(...splitKv(v, "space").pairs); break;
      case "Source": source.push(...splitKv(v, "space").pairs); break;
      case "Actionable": actionable.push(...splitKv(v, "space").pairs); break;
      case "request": pairs.push(["url", v]); break;
      case "fileHash": pairs.push([HASH_KEY[v.length] ?? "hash", v]); break;
      case "msg":
        // The kit's detection msg is prose ("CyberTrace detected …"); its alert msg is %RecordContext%.
        if (!v.startsWith("CyberTrace detected")) {
          const kv = splitKv(v, "space");
          if (kv.prefix === "" && kv.pairs.length > 0) context.push(...kv.pairs);
          else context.push(["msg", v]);
        }
        break;
      default: pairs.push([k, v]);
    }
  }
  // Source fields given once as labelled text win over the standard keys that repeat them.
  const sourceKeys = new Set(source.map(([k]) => k));
  const kept = pairs.filter(([k]) => !sourceKeys.has(k));
  const lead = readLeadingTime(line.slice(0, at), now);
  const tokens = lead.rest.trim().split(/\s+/);
  const logSource = tokens[tokens.length - 1];
  return buildRecord(kept, {
    dialect: "cef", raw: line, now, time: lead.time, category: unescape(header.fields[4]!),
    logSource: logSource && logSource !== "-" ? logSource : undefined, origin, context, source, actionable,
  });
}

function parseExtension(s: string): Map<string, string> {
  const out = new Map<string, string>();
  EXT_KEY.lastIndex = 0;
  let key: string | undefined;
  let start = 0;
  for (let m = EXT_KEY.exec(s); m !== null; m = EXT_KEY.exec(s)) {
    if (key !== undefined) out.set(key, unescapeValue(s.slice(start, m.index).trimEnd()));
    key = m[1]!;
    start = m.index + m[0].length;
  }
  if (key !== undefined) out.set(key, unescapeValue(s.slice(start).trimEnd()));
  return out;
}

function unescapeValue(v: string): string {
  if (!v.includes("\\")) return v;
  return v.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : c));
}
