/**
 * Compiles every output template of a config once (spec cybertrace-service.md §3.3, §6).
 */
import type { ActionableField, FeedConfig, OutputSettings } from "../config/types.ts";
import { ALERT_NAMES, DETECTION_NAMES, FIELD_NAMES, FINISHED_NAMES } from "./_codes.ts";
import { compileTemplate, type Template } from "./compile_template.ts";
import { templateKeys } from "./_template_keys.ts";
import { VALUE_ESCAPES } from "../io/value_escapes.ts";

/** The compiled templates the renderers take. */
export interface OutputTemplates {
  readonly event: Template;
  readonly recordField: Template;
  readonly actionableField: Template;
  /** Always compiled: a session can ask for finished events the config leaves disabled. */
  readonly finished: Template;
  /** Undefined: no AlertFormat, so no service alerts. */
  readonly alert: Template | undefined;
  /** Actionable fields by feed name (the filename, and the filename without its extension). */
  readonly actionable: ReadonlyMap<string, readonly ActionableField[]>;
}

/**
 * Compiles `output`'s templates. `slotNames` are the regex names of the input settings
 * (`CompiledSources.slotNames`): `%NAME%` renders that regex's value. Each unknown placeholder
 * renders empty and is reported once through `warn`, except the default regex names of a template
 * the config left to its default (`output.quietPlaceholders`). An empty FinishedEventFormat falls back to
 * `%RecordContext%` so a finished event is never a blank line. Each template carries its
 * `escape=` and, for the three line templates, the keys it writes itself (record fields of those
 * names are renamed, docs/configuration.md).
 */
export function compileOutputTemplates(
  output: OutputSettings,
  feeds: readonly FeedConfig[],
  slotNames: readonly string[],
  warn: (message: string) => void = () => {},
): OutputTemplates {
  const withSlots = (builtins: ReadonlyMap<string, number>): Map<string, number> => {
    const m = new Map<string, number>();
    slotNames.forEach((n, i) => m.set(n, i));
    // A regex may not take a reserved name (spec §3.2), so built-ins win a clash.
    for (const [n, c] of builtins) m.set(n, c);
    return m;
  };
  const reported = new Set<string>();
  const escapes = output.escapes ?? {};
  const compile = (
    what: string,
    text: string,
    known: ReadonlyMap<string, number>,
    escape: ((s: string) => string) | undefined,
    withKeys: boolean,
  ): Template => {
    const t = compileTemplate(text, known, (name) => {
      if (reported.has(`${what}\0${name}`) || output.quietPlaceholders?.[what]?.includes(name)) return;
      reported.add(`${what}\0${name}`);
      warn(`${what} has an unknown placeholder: found %${name}%, expected a pattern or a regex name; it renders empty`);
    });
    const keys = withKeys ? templateKeys(t, output.recordFieldContextFormat) : undefined;
    return { ...t, ...(escape ? { escape } : {}), ...(keys ? { keys } : {}) };
  };
  const esc = (name: keyof typeof escapes) => VALUE_ESCAPES[escapes[name] ?? "none"];
  const actionable = new Map<string, readonly ActionableField[]>();
  for (const f of feeds) {
    if (f.actionableFields.length === 0) continue;
    actionable.set(f.filename, f.actionableFields);
    const dot = f.filename.lastIndexOf(".");
    if (dot > 0 && !actionable.has(f.filename.slice(0, dot))) actionable.set(f.filename.slice(0, dot), f.actionableFields);
  }
  return {
    event: compile("EventFormat", output.eventFormat, withSlots(DETECTION_NAMES), esc("event"), true),
    recordField: compile("RecordFieldContextFormat", output.recordFieldContextFormat, FIELD_NAMES, esc("recordField"), false),
    actionableField: compile("ActionableFieldContextFormat", output.actionableFieldContextFormat, FIELD_NAMES, esc("actionableField"), false),
    finished: compile("FinishedEventFormat", output.finishedEventFormat.value || "%RecordContext%", withSlots(FINISHED_NAMES), esc("finished"), true),
    alert: output.alertFormat === undefined ? undefined : compile("AlertFormat", output.alertFormat, ALERT_NAMES, esc("alert"), true),
    actionable,
  };
}
