/**
 * Finds the host name in a syslog header, for choosing a Source by `hostname=` (spec §3.2).
 */

// RFC 3164 `Feb  2 11:57:59 host`, optionally with `<PRI>`; an RFC 3339 stamp instead of the
// BSD one (rsyslog's high-precision format); RFC 5424 `<PRI>1 STAMP host`.
const BSD = /^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[^ ]+) +([^ ]+)/;
const RFC5424 = /^<\d{1,3}>\d{1,2} [^ ]+ ([^ ]+)/;

/** Lower-cased host name from the event's syslog header, or undefined (none, or RFC 5424 `-`). */
export function syslogHost(event: string): string | undefined {
  const m = RFC5424.exec(event) ?? BSD.exec(event);
  const host = m?.[1];
  return host === undefined || host === "-" ? undefined : host.toLowerCase();
}
