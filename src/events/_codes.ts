/** Placeholder codes of compiled templates: a regex's slot is >= 0, built-ins are negative. */

export const DATE = -1;
export const CATEGORY = -2;
export const MATCHED_INDICATOR = -3;
export const SOURCE_ID = -4;
export const RECORD_CONTEXT = -5;
export const ACTIONABLE_FIELDS = -6;
export const CONFIDENCE = -7;
export const EVENT_RECEIVED_DATE = -8;
export const INDICATOR_INFO = -9;
export const RETROSCAN = -10;
export const ALERT = -11;
export const PARAM_NAME = -12;
export const PARAM_VALUE = -13;
/** An unknown placeholder: renders as "". */
export const EMPTY = -99;

/** Built-ins valid in EventFormat (spec §6.2). */
export const DETECTION_NAMES: ReadonlyMap<string, number> = new Map([
  ["Date", DATE],
  ["Category", CATEGORY],
  ["MatchedIndicator", MATCHED_INDICATOR],
  ["SourceId", SOURCE_ID],
  ["RecordContext", RECORD_CONTEXT],
  ["ActionableFields", ACTIONABLE_FIELDS],
  ["Confidence", CONFIDENCE],
  ["EventReceivedDate", EVENT_RECEIVED_DATE],
  ["IndicatorInfo", INDICATOR_INFO],
  ["Retroscan", RETROSCAN],
]);

/** Built-ins valid in FinishedEventFormat (spec §2.5; date and source are ours, harmless). */
export const FINISHED_NAMES: ReadonlyMap<string, number> = new Map([
  ["Date", DATE],
  ["SourceId", SOURCE_ID],
  ["RecordContext", RECORD_CONTEXT],
  ["EventReceivedDate", EVENT_RECEIVED_DATE],
]);

/** Built-ins valid in AlertFormat (spec §6.2). */
export const ALERT_NAMES: ReadonlyMap<string, number> = new Map([
  ["Date", DATE],
  ["Alert", ALERT],
  ["RecordContext", RECORD_CONTEXT],
]);

/** Built-ins valid in RecordFieldContextFormat and ActionableFieldContextFormat. */
export const FIELD_NAMES: ReadonlyMap<string, number> = new Map([
  ["ParamName", PARAM_NAME],
  ["ParamValue", PARAM_VALUE],
]);
