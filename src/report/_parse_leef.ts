/**
 * Reads a LEEF 1.0 or 2.0 detection (QRadar kit). LEEF 1.0 separates attributes with tabs;
 * the seed's report example has lost its tabs, so attributes without the delimiter fall back
 * to the key=value rule.
 */
import { buildRecord } from "./_build_record.ts";
import { splitKv } from "./_kv.ts";
import { readLeadingTime } from "./_time.ts";
import type { ReportRecord } from "./record.ts";

const DELIM = /^(?:[^|\\]|\\t|0?x[0-9a-fA-F]{1,4})?$/;

/** Parses the line with `LEEF:` at `at`; undefined when its header is incomplete. */
export function parseLeef(line: string, at: number, now: number, origin?: string): ReportRecord | undefined {
  const header = splitHeader(line.slice(at), 5);
  if (header === undefined) return undefined;
  const [version, , , , eventId] = header.fields;
  let attrs = header.rest;
  let delimiter = "\t";
  const v2 = version!.startsWith("LEEF:2");
  if (v2) {
    // LEEF 2.0 puts the attribute delimiter in a sixth header field: one character or xHH.
    const cut = nextPipe(attrs);
    const candidate = cut < 0 ? undefined : attrs.slice(0, cut);
    if (candidate !== undefined && DELIM.test(candidate)) {
      delimiter = decodeDelimiter(candidate);
      attrs = attrs.slice(cut + 1);
    }
  }
  const lead = readLeadingTime(line.slice(0, at), now);
  const tokens = lead.rest.trim().split(/\s+/);
  const logSource = tokens[tokens.length - 1];
  const pairs = attrs.includes(delimiter) ? splitDelimited(attrs, delimiter) : splitKv(attrs, "loose").pairs;
  return buildRecord(pairs, {
    dialect: v2 ? "leef2" : "leef1", raw: line, now, time: lead.time, category: unescape(eventId!), categoryFixed: true,
    logSource: logSource && logSource !== "-" ? logSource : undefined, origin,
  });
}

function decodeDelimiter(d: string): string {
  if (d === "") return "\t";
  if (d === "\\t") return "\t";
  if (d.length > 1) return String.fromCharCode(parseInt(d.replace(/^0?x/, ""), 16));
  return d;
}

function splitDelimited(attrs: string, delimiter: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const piece of attrs.split(delimiter)) {
    const eq = piece.indexOf("=");
    if (eq > 0 && /^[A-Za-z_][\w./ -]*$/.test(piece.slice(0, eq))) pairs.push([piece.slice(0, eq).trim(), piece.slice(eq + 1)]);
    else if (pairs.length > 0) pairs[pairs.length - 1]![1] += delimiter + piece;
  }
  return pairs;
}

/** Splits `n` pipe-separated header fields (honouring `\|`), returning them and the text after. */
export function splitHeader(s: string, n: number): { fields: string[]; rest: string } | undefined {
  const fields: string[] = [];
  let start = 0;
  while (fields.length < n) {
    const cut = nextPipe(s, start);
    if (cut < 0) return undefined;
    fields.push(s.slice(start, cut));
    start = cut + 1;
  }
  return { fields, rest: s.slice(start) };
}

function nextPipe(s: string, from = 0): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 124) return i;
  }
  return -1;
}

/** Undoes header escapes `\|` and `\\`. */
export function unescape(s: string): string {
  return s.includes("\\") ? s.replace(/\\([|\\])/g, "$1") : s;
}
