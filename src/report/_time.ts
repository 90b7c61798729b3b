/**
 * Reads the time stamps the service and SIEM formats use. Times without a zone are taken as
 * UTC, both in records and in `--since`/`--until`, so that the two always compare alike.
 */

const MONTH: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};
const M = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const PRI = /^<\d{1,3}>(?:1 )?/;
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?(?=\s|$)/;
const CTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${M} +(\\d{1,2}) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})(?=\\s|$)`);
// %Date% is `Mon DD HH:MM:SS` with no year (spec cybertrace-service.md §6.2).
const SYSLOG = new RegExp(`^${M} +(\\d{1,2})(?: (\\d{4}))? (\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,3}))?(?: (\\d{4}))?(?=\\s|$)`);
const DOTTED = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?(?=\s|$)/;
const EPOCH_MS = /^\d{12,14}$/;
const DAY_MS = 86_400_000;

/** A time found at the start of `text` and the text after it. */
export interface LeadingTime {
  time?: string;
  rest: string;
}

/** Reads a time stamp at the start of `text` (after an optional syslog `<PRI>`); `now` supplies the year when the stamp has none. */
export function readLeadingTime(text: string, now: number): LeadingTime {
  // Consecutive lines of a report mostly share their stamp: remember the last answer.
  if (text === last.text && now === last.now) return last.result;
  const result = readUncached(text, now);
  last = { text, now, result };
  return result;
}

let last: { text: string; now: number; result: LeadingTime } = { text: "\u0000", now: 0, result: { rest: "" } };

function readUncached(text: string, now: number): LeadingTime {
  const s = text.charCodeAt(0) === 60 ? text.replace(PRI, "").trimStart() : text.trimStart();
  let m = ISO.exec(s);
  if (m) {
    const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? "Z"}`);
    if (!Number.isNaN(ms)) return { time: new Date(ms).toISOString(), rest: s.slice(m[0].length).trimStart() };
  }
  m = CTIME.exec(s);
  if (m) {
    const t = utc(+m[6]!, MONTH[m[1]!.toLowerCase()]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, 0);
    if (t !== undefined) return { time: t, rest: s.slice(m[0].length).trimStart() };
  }
  m = SYSLOG.exec(s);
  if (m) {
    const month = MONTH[m[1]!.toLowerCase()]!;
    const explicitYear = m[3] ?? m[8];
    let year = explicitYear ? +explicitYear : new Date(now).getUTCFullYear();
    let t = utc(year, month, +m[2]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7].padEnd(3, "0") : 0);
    // A year-less stamp more than a day ahead of now belongs to last year (as syslog daemons assume).
    if (t !== undefined && !explicitYear && Date.parse(t) > now + DAY_MS) {
      year -= 1;
      t = utc(year, month, +m[2]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7].padEnd(3, "0") : 0);
    }
    if (t !== undefined) return { time: t, rest: s.slice(m[0].length).trimStart() };
  }
  m = DOTTED.exec(s);
  if (m) {
    const t = utc(+m[3]!, +m[2]! - 1, +m[1]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, 0);
    if (t !== undefined) return { time: t, rest: s.slice(m[0].length).trimStart() };
  }
  return { rest: text };
}

/** Reads a whole value as a time (`rt`, `devTime`): epoch milliseconds or any stamp `readLeadingTime` knows. */
export function parseTimeValue(text: string, now: number): string | undefined {
  const s = text.trim();
  if (EPOCH_MS.test(s)) return new Date(+s).toISOString();
  const lead = readLeadingTime(s, now);
  if (lead.time !== undefined) return lead.time;
  // `MMM dd yyyy HH:mm:ss` (CEF rt, LEEF devTime examples), optionally with a zone word.
  const m = new RegExp(`^${M} (\\d{1,2}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,3}))?`).exec(s);
  if (m) return utc(+m[3]!, MONTH[m[1]!.toLowerCase()]!, +m[2]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7].padEnd(3, "0") : 0);
  return undefined;
}

/** Epoch ms of a record's `time` when it is ISO 8601, else undefined. */
export function recordTimeMs(time: string | undefined): number | undefined {
  if (time === undefined || !/^\d{4}-\d{2}-\d{2}T/.test(time)) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Parses a `--since`/`--until` value: `YYYY-MM-DD` or ISO 8601 date-time; no zone means UTC. */
export function parseTimeOption(text: string): { ms: number; dateOnly: boolean } | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const ms = Date.parse(`${text}T00:00:00Z`);
    return Number.isNaN(ms) ? undefined : { ms, dateOnly: true };
  }
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? "Z"}`);
  return Number.isNaN(ms) ? undefined : { ms, dateOnly: false };
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): string | undefined {
  const t = new Date(Date.UTC(y, mo, d, h, mi, s, ms));
  // Date.UTC rolls Feb 30 into March; a stamp that does not survive the round trip is not a date.
  if (t.getUTCDate() !== d || t.getUTCMonth() !== mo || h > 23 || mi > 59 || s > 60) return undefined;
  return t.toISOString();
}
