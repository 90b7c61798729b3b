/** Renders a service alert (`KL_ALERT_*`) through AlertFormat (spec cybertrace-service.md §7.1). */
import type { Fields } from "../matching/types.ts";
import * as C from "./_codes.ts";
import { fieldName, renderField } from "./_render_field.ts";
import type { OutputTemplates } from "./compile_output_templates.ts";
import { formatSyslogDate } from "./format_syslog_date.ts";

/**
 * Renders alert `alert` with its context `fields` at `now` (epoch ms), or returns undefined when
 * the config has no AlertFormat (then no service alerts are sent).
 *
 * @example
 * ```ts
 * renderAlert(templates, "KL_ALERT_UpdatedFeed", [["feed", "a.json"], ["records", "200"]], now);
 * // "Apr 16 09:05:41 alert=KL_ALERT_UpdatedFeed feed=a.json records=200"
 * ```
 */
export function renderAlert(t: OutputTemplates, alert: string, fields: Fields, now: number): string | undefined {
  if (t.alert === undefined) return undefined;
  const { literals, codes, escape, keys } = t.alert;
  const esc = (v: string) => (escape === undefined ? v : escape(v));
  let s = literals[0]!;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === C.DATE) s += esc(formatSyslogDate(now));
    else if (c === C.ALERT) s += esc(alert);
    else if (c === C.RECORD_CONTEXT) {
      for (const [name, value] of fields) s = renderField(t.recordField, s, fieldName(name, keys, fields), value);
    }
    s += literals[i + 1]!;
  }
  return s;
}
