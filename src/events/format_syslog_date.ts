/** The `%Date%` text of every template (spec cybertrace-service.md §6.2). */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * Formats epoch ms as `Mmm dd HH:MM:SS` in local time. The day is zero-padded (`Feb 02`, as in
 * the spec's examples) rather than space-padded like RFC 3164 (`Feb  2`); the docs never say.
 *
 * @example
 * ```ts
 * formatSyslogDate(new Date(2024, 1, 2, 11, 57, 59).getTime()); // "Feb 02 11:57:59"
 * ```
 */
export function formatSyslogDate(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getMonth()]} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
