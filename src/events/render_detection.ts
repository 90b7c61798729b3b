/** Renders one detection event through EventFormat (spec cybertrace-service.md §6.2). */
import type { Fields, MatchedRecord } from "../matching/types.ts";
import * as C from "./_codes.ts";
import { fieldName, renderField } from "./_render_field.ts";
import type { OutputTemplates } from "./compile_output_templates.ts";
import type { EventRenderContext } from "./event_render_context.ts";
import { formatSyslogDate } from "./format_syslog_date.ts";

/** `%RecordContext%` as last rendered for a record's field list, with the template and keys it was rendered with. */
interface ContextText {
  readonly template: OutputTemplates["recordField"];
  readonly keys: ReadonlySet<string> | undefined;
  readonly text: string;
}

/**
 * Rendered `%RecordContext%` texts by field list. A feed entry's fields are its context's, one
 * list shared by every entry of that context and by every record made for them, so the text is
 * rendered once per context (and templates) instead of once per detection.
 */
const contextTexts = new WeakMap<Fields, ContextText>();

/** The fields rendered through RecordFieldContextFormat, each renamed as {@link fieldName} says. */
function recordContext(t: OutputTemplates, keys: ReadonlySet<string> | undefined, fields: Fields): string {
  const cached = contextTexts.get(fields);
  if (cached !== undefined && cached.template === t.recordField && cached.keys === keys) return cached.text;
  let text = "";
  for (let f = 0; f < fields.length; f++) {
    const field = fields[f]!;
    text = renderField(t.recordField, text, fieldName(field[0], keys, fields), field[1]);
  }
  contextTexts.set(fields, { template: t.recordField, keys, text });
  return text;
}

function fieldValue(record: MatchedRecord, name: string): string {
  const fields = record.fields;
  for (let i = 0; i < fields.length; i++) if (fields[i]![0] === name) return fields[i]![1];
  return "";
}

/**
 * Renders the detection of `record`, found by the value `value` that regex slot `slot` extracted.
 * `%<slot's name>%` renders `value`; other regex placeholders render their regex's first value.
 * `%IndicatorInfo%` renders empty and `%Retroscan%` renders `true` for a RetroScan detection, else `false`. Values
 * are escaped as EventFormat's `escape=` asks; a record field whose name EventFormat writes as a
 * key itself is renamed `record_<name>`.
 *
 * @example
 * ```ts
 * const line = renderDetection(templates, ctx, record, 0, "http://fakess123.nu");
 * ```
 */
export function renderDetection(
  t: OutputTemplates,
  ctx: EventRenderContext,
  record: MatchedRecord,
  slot: number,
  value: string,
): string {
  const { literals, codes, escape, keys } = t.event;
  let s = literals[0]!;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    let v: string;
    if (c >= 0) {
      v = c === slot ? value : (ctx.regexValues[c] ?? "");
    } else {
      switch (c) {
        case C.DATE:
          v = ctx.date ??= formatSyslogDate(ctx.now);
          break;
        case C.CATEGORY:
          v = record.category;
          break;
        case C.MATCHED_INDICATOR:
          v = record.indicator;
          break;
        case C.SOURCE_ID:
          v = ctx.sourceId;
          break;
        case C.RECORD_CONTEXT:
          // Already rendered (and escaped) by RecordFieldContextFormat.
          s += recordContext(t, keys, record.fields);
          v = "";
          break;
        case C.ACTIONABLE_FIELDS: {
          const list = t.actionable.get(record.feed.name);
          if (list !== undefined) {
            for (let f = 0; f < list.length; f++) {
              const a = list[f]!;
              s = renderField(t.actionableField, s, a.outputName || a.name, fieldValue(record, a.name));
            }
          }
          v = "";
          break;
        }
        case C.CONFIDENCE:
          v = String(record.feed.confidence);
          break;
        case C.EVENT_RECEIVED_DATE:
          v = ctx.receivedDate ??= formatSyslogDate(ctx.receivedAt);
          break;
        case C.RETROSCAN:
          v = ctx.retroscan === true ? "true" : "false";
          break;
        default:
          // INDICATOR_INFO and unknown placeholders render empty.
          v = "";
          break;
      }
    }
    if (v !== "") s += escape === undefined ? v : escape(v);
    s += literals[i + 1]!;
  }
  return s;
}
