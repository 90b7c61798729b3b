/**
 * The sidecar's `fields` of a plain key=value detection line (the service's default EventFormat
 * and any kit like it), computed in one pass without building a ReportRecord: the scanner's fast
 * path. Anything else - LEEF, CEF, KUMA, JSON, RFC 5424 headers, finished events, alerts, summary
 * lines, and the rare key=value lines whose record would need the general rules (no category or
 * no indicator, `actionable.` keys, a `__proto__` key) - is left to `parseReportLine`, which this
 * must equal wherever it answers (test/report/kv_detection_fields.test.ts compares the two on
 * thousands of rendered and mutated lines).
 *
 * Why it exists: `parseReportLine` and flattening its record cost ≈ 25 µs per detection inside a
 * scan (tuples per pair, a record, its three maps, the indicator type's regexes, Object.entries),
 * most of `scan -r`'s extra CPU over a forward scan (docs/performance.md, "report mode, round 2").
 */
import { ACTIONABLE_PREFIX, type Slot, SLOTS } from "./_build_record.ts";
import { cutActionable, isKeyChar, isKeyStart, isSpace } from "./_kv.ts";
import { parseTimeValue, readLeadingTime } from "./_time.ts";
import { putField } from "./record_fields.ts";
import { SUMMARY_WORDING } from "./summary_lines.ts";

/**
 * Text that sends a line to the general parser: the marks of a finished event, an alert, LEEF,
 * CEF and KUMA (each a necessary part of the regex parseReportLine tests them with), and
 * `__proto__`, a key name a plain object cannot hold.
 */
const NOT_PLAIN = /LookupFinished|KL_ALERT_|LEEF:|CEF:|\|MatchedIndicator=|__proto__/;

/** The start parseReportLine's RFC 5424 pattern needs (its header then goes to the general parser). */
const RFC5424_START = /^<\d{1,3}>1 /;

/** SLOTS as a prototype-less object: a property read costs ≈ 25% less per line than Map.get here. */
const SLOT_OF: Readonly<Record<string, Slot | undefined>> = Object.assign(Object.create(null) as Record<string, Slot>, Object.fromEntries(SLOTS));

// Scratch lists, reused: the function is synchronous and never re-entered, and a detection
// line allocates only its strings and the result.
const spans: number[] = [];
const sourceNames: string[] = [];
const sourceValues: string[] = [];
const contextNames: string[] = [];
const contextValues: string[] = [];
const actionableNames: string[] = [];
const actionableValues: string[] = [];

/**
 * The fields of `line` in the sidecar's order - `time`, `category`, `matchedIndicator`, `feed`,
 * `confidence`, the source values, the record's context, `actionable.<name>` - with a clashing
 * name renamed `record_<name>`; undefined when the line is not a plain key=value detection
 * (the caller then uses `parseReportLine`).
 *
 * @example
 * ```ts
 * kvDetectionFields("Feb 02 11:57:59 eventName=KL_IP_Reputation matchedIndicator=192.0.2.0 category=KL_IP_Reputation ip=192.0.2.0 category=test", Date.now());
 * // { time: "…-02-02T11:57:59.000Z", category: "KL_IP_Reputation", matchedIndicator: "192.0.2.0", ip: "192.0.2.0", record_category: "test" }
 * kvDetectionFields("CEF:0|Kaspersky Lab|…", Date.now()); // undefined
 * ```
 */
export function kvDetectionFields(line: string, now: number): Record<string, string> | undefined {
  // parseReportLine's other branches look at the trimmed line: empty, `[`/`]`, `{` (JSON), `<PRI>1 ` (RFC 5424).
  // An RFC 3164 header (`<12>Jan 20 03:30:00 host tag: …`, the maxpatrol profile) is a key=value line's prefix.
  const first = line.charCodeAt(0);
  if (!(first > 32 && first < 127) || first === 123 || first === 91 || first === 93) return undefined;
  if (first === 60 && RFC5424_START.test(line)) return undefined;
  if (NOT_PLAIN.test(line)) return undefined;
  if (line.startsWith(SUMMARY_WORDING.objectsSent) || line.startsWith(SUMMARY_WORDING.detectsReceived) || line.startsWith(SUMMARY_WORDING.scanTime)) return undefined;
  if (!findKeys(line)) return undefined;

  sourceNames.length = sourceValues.length = contextNames.length = contextValues.length = 0;
  actionableNames.length = actionableValues.length = 0;
  let category: string | undefined;
  let indicator: string | undefined;
  let feed: string | undefined;
  let confidence: number | undefined;
  let timeValue: string | undefined;
  const n = line.length;
  for (let s = 0; s < spans.length; s += 2) {
    const keyEnd = spans[s + 1]!;
    const key = line.slice(spans[s]!, keyEnd);
    if (key.startsWith(ACTIONABLE_PREFIX)) return undefined;
    const last = s + 2 >= spans.length;
    let value = valueAt(line, keyEnd + 1, last ? n : spans[s + 2]!, last);
    if (value.indexOf(":") >= 0) {
      const [head, found] = cutActionable(value);
      value = head;
      for (const [name, v] of found) set(actionableNames, actionableValues, name, v);
    }
    // The rules of buildRecord (report/_build_record.ts) for the members `fields` holds.
    switch (SLOT_OF[key]) {
      case "category":
        if (category === undefined) category = value;
        else if (value !== category) set(contextNames, contextValues, key, value);
        break;
      case "indicator":
        if (indicator === undefined) indicator = value;
        else set(contextNames, contextValues, key, value);
        break;
      case "feed":
        if (feed === undefined) feed = value;
        else set(contextNames, contextValues, key, value);
        break;
      case "confidence": {
        const c = Number(value);
        if (value !== "" && Number.isFinite(c) && confidence === undefined) confidence = c;
        else set(contextNames, contextValues, key, value);
        break;
      }
      case "time":
        timeValue ??= value;
        break;
      case "source":
        if (value !== "") set(sourceNames, sourceValues, key, value);
        break;
      case "type":
      case "file":
      case "line":
      case "ignore":
      case "retroscan":
        break;
      default:
        set(contextNames, contextValues, key, value);
    }
  }
  // No category or no indicator: the record takes the general rules' fallbacks.
  if (category === undefined || indicator === undefined) return undefined;

  let time = readLeadingTime(line.slice(0, spans[0]).trim(), now).time;
  if (time === undefined && timeValue !== undefined) time = parseTimeValue(timeValue, now) ?? timeValue;
  const out: Record<string, string> = {};
  if (time) out.time = time;
  out.category = category;
  out.matchedIndicator = indicator;
  if (feed) out.feed = feed;
  if (confidence !== undefined) out.confidence = String(confidence);
  for (let i = 0; i < sourceNames.length; i++) putField(out, sourceNames[i]!, sourceValues[i]!);
  for (let i = 0; i < contextNames.length; i++) putField(out, contextNames[i]!, contextValues[i]!);
  for (let i = 0; i < actionableNames.length; i++) putField(out, ACTIONABLE_PREFIX + actionableNames[i]!, actionableValues[i]!);
  return out;
}

/**
 * Fills `spans` with each key's start and the index of its `=`: a key is `[A-Za-z_][\w./-]*=`
 * at the start or after ASCII whitespace (splitKv's "space" mode). False when there is none.
 * Found from each `=` backwards, over the key's characters only: a key=value line has a dozen
 * `=` in 200-300 characters, and this visits a tenth of them.
 */
function findKeys(line: string): boolean {
  spans.length = 0;
  for (let eq = line.indexOf("="); eq >= 0; eq = line.indexOf("=", eq + 1)) {
    // The run of key characters before `=`; a key is all of it (splitKv's scan starts after whitespace, never inside a run).
    let start = eq;
    while (start > 0 && isKeyChar(line.charCodeAt(start - 1))) start--;
    if (start === eq || !isKeyStart(line.charCodeAt(start))) continue;
    if (start > 0 && !isSpace(line.charCodeAt(start - 1))) continue;
    spans.push(start, eq);
  }
  return spans.length > 0;
}

/**
 * The value from `start` to `end` as splitKv trims it: a value followed by a key always ends in
 * whitespace and loses all of it (`trimEnd`), the last one only when it ends in ASCII whitespace.
 */
function valueAt(line: string, start: number, end: number, last: boolean): string {
  if (last && !isSpace(line.charCodeAt(end - 1))) return line.slice(start, end);
  let e = end;
  while (e > start && isSpace(line.charCodeAt(e - 1))) e--;
  // Non-ASCII whitespace (U+00A0, U+3000, …) before the ASCII run: trimEnd knows the whole set.
  if (e > start && line.charCodeAt(e - 1) >= 128) return line.slice(start, end).trimEnd();
  return line.slice(start, e);
}

/** Sets `name` in a pair of lists as an object would: a repeated name keeps its place and takes the new value. */
function set(names: string[], values: string[], name: string, value: string): void {
  const at = names.indexOf(name);
  if (at >= 0) values[at] = value;
  else {
    names.push(name);
    values.push(value);
  }
}
