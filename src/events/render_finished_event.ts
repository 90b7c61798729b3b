/** Renders the per-input "LookupFinished" event (spec cybertrace-service.md §2.5). */
import * as C from "./_codes.ts";
import { fieldName, renderField } from "./_render_field.ts";
import type { OutputTemplates } from "./compile_output_templates.ts";
import type { EventRenderContext } from "./event_render_context.ts";
import { formatSyslogDate } from "./format_syslog_date.ts";

/** Whether a finished event with nothing sent renders from the date and Source id alone (no regex values, no received date). */
function dependsOnDateAndSourceOnly(codes: readonly number[]): boolean {
  return codes.every((c) => c < 0 && c !== C.EVENT_RECEIVED_DATE);
}

// Most lines detect nothing, and then the finished event is the same text for a whole second:
// one entry, keyed on the template object, the `%Date%` text and the Source id.
let cachedTemplate: OutputTemplates["finished"] | undefined;
let cachedPlain = false;
let cachedValid = false;
let cachedDate = "";
let cachedSource = "";
let cachedText = "";

/**
 * Renders FinishedEventFormat. `%RecordContext%` is the pseudo-fields `alert=LookupFinished`,
 * `sent_events=<sent>` and `total=<category>:<count>;…` (empty when nothing was sent), each
 * through RecordFieldContextFormat; regex placeholders render their first value.
 *
 * @example
 * ```ts
 * renderFinishedEvent(templates, ctx, 3, new Map([["KL_Malicious_URL", 2], ["KL_Malicious_Hash_MD5", 1]]));
 * // " alert=LookupFinished sent_events=3 total=KL_Malicious_URL:2;KL_Malicious_Hash_MD5:1;"
 * ```
 */
export function renderFinishedEvent(
  t: OutputTemplates,
  ctx: EventRenderContext,
  sent: number,
  byCategory: ReadonlyMap<string, number>,
): string {
  if (sent !== 0 || byCategory.size !== 0) return render(t, ctx, sent, byCategory);
  const finished = t.finished;
  if (finished !== cachedTemplate) {
    cachedTemplate = finished;
    cachedPlain = dependsOnDateAndSourceOnly(finished.codes);
    cachedValid = false;
  }
  if (!cachedPlain) return render(t, ctx, sent, byCategory);
  const date = ctx.date ??= formatSyslogDate(ctx.now);
  if (!cachedValid || date !== cachedDate || ctx.sourceId !== cachedSource) {
    cachedText = render(t, ctx, sent, byCategory);
    cachedValid = true;
    cachedDate = date;
    cachedSource = ctx.sourceId;
  }
  return cachedText;
}

function render(t: OutputTemplates, ctx: EventRenderContext, sent: number, byCategory: ReadonlyMap<string, number>): string {
  const { literals, codes, escape, keys } = t.finished;
  let s = literals[0]!;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    let v = "";
    if (c >= 0) v = ctx.regexValues[c] ?? "";
    else if (c === C.RECORD_CONTEXT) {
      let total = "";
      for (const [category, count] of byCategory) total += `${category}:${count};`;
      s = renderField(t.recordField, s, fieldName("alert", keys), "LookupFinished");
      s = renderField(t.recordField, s, fieldName("sent_events", keys), String(sent));
      s = renderField(t.recordField, s, fieldName("total", keys), total);
    } else if (c === C.DATE) v = ctx.date ??= formatSyslogDate(ctx.now);
    else if (c === C.EVENT_RECEIVED_DATE) v = ctx.receivedDate ??= formatSyslogDate(ctx.receivedAt);
    else if (c === C.SOURCE_ID) v = ctx.sourceId;
    if (v !== "") s += escape === undefined ? v : escape(v);
    s += literals[i + 1]!;
  }
  return s;
}
