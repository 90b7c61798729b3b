/**
 * The output formats each SIEM's CyberTrace integration reads, as complete service configs for
 * `ioclens serve --print-config --siem NAME` (docs/siem.md shows the lines they produce).
 */
import type { ValueEscape } from "../io/value_escapes.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "./embedded_defaults.ts";

/** One format element's text and its `escape=` (absent: none). */
export interface SiemFormat {
  readonly text: string;
  readonly escape?: ValueEscape;
}

/** The OutputSettings formats of a profile. */
export interface SiemFormats {
  /** Comment written above EventFormat: what reads these lines and why they look so. */
  readonly note: string;
  readonly event: SiemFormat;
  readonly recordField: SiemFormat;
  readonly actionableField: SiemFormat;
  readonly alert: SiemFormat;
  readonly finished: SiemFormat & { readonly enabled: boolean };
}

/** A SIEM integration. */
export interface SiemProfile {
  /** The product, for titles: "IBM QRadar". */
  readonly title: string;
  /** Where OutputSettings > ConnectionString should point, for the config's header comment. */
  readonly target: string;
  /** Undefined: the built-in config's formats are this SIEM's (Splunk). */
  readonly formats?: SiemFormats;
}

const TAB = "\t";
/** QRadar maps a LEEF line to its log source by the identifier in the syslog host position (seed report). */
const LEEF_HEADER = "KL_Data_Feed_Service_v1 LEEF:1.0|Kaspersky Lab|SIEM Service|1.0|";
/** LEEF's own time attributes; devTimeFormat is the Java pattern of %Date% (`Feb 02 11:57:59`). */
const LEEF_TIME = `devTime=%Date%${TAB}devTimeFormat=MMM dd HH:mm:ss`;
const CEF_PREFIX = "CEF:0|Kaspersky Lab|Kaspersky CyberTrace for ArcSight|2.0|";
const ECS_VERSION = "8.12.0";
/** RFC 3164 header for MaxPatrol's syslog collector: facility user, then the tag `cybertrace`. */
const syslog = (severity: number) => `<${8 + severity}>%Date% ioclens cybertrace:`;

/**
 * Every SIEM profile by the name `--siem` takes; `splunk` is the built-in config.
 *
 * @example
 * ```ts
 * SIEM_PROFILES.kuma.formats?.event.text; // "Category=%Category%|MatchedIndicator=%MatchedIndicator%%RecordContext%"
 * ```
 */
export const SIEM_PROFILES = {
  splunk: {
    title: "Splunk (Kaspersky CyberTrace App)",
    target: "the TCP input of the Kaspersky CyberTrace App (127.0.0.1:9998 in its single-instance setup)",
  },
  kuma: {
    title: "Kaspersky KUMA (cybertrace enrichment)",
    target: "any collector that should keep detections of forwarded events (KUMA's enrichment itself reads its answers over ReplyBack)",
    formats: {
      note: "KUMA's cybertrace enrichment splits each answer at | into Category=, MatchedIndicator= and the record's fields, and reads until LookupFinished (spec section 2.6).",
      event: { text: "Category=%Category%|MatchedIndicator=%MatchedIndicator%%RecordContext%" },
      recordField: { text: "|%ParamName%=%ParamValue%" },
      actionableField: { text: "|%ParamName%=%ParamValue%" },
      alert: { text: "alert=%Alert%%RecordContext%" },
      finished: { text: "LookupFinished", enabled: true },
    },
  },
  qradar: {
    title: "IBM QRadar (LEEF)",
    target: "a QRadar event collector's TCP syslog port (514), where the Universal LEEF log source KL_Data_Feed_Service_v1 is defined",
    formats: {
      note: `LEEF 1.0 with the identifier QRadar keys the log source by (KL_Data_Feed_Service_v1, as in CyberTrace's report example), the category as the LEEF event ID and cat, and TAB-separated attributes: the gaps below are TAB characters. Values are written with escape="leef": a TAB or line break inside one becomes a space.`,
      event: {
        text: `%Date% ${LEEF_HEADER}%Category%|cat=%Category%${TAB}${LEEF_TIME}${TAB}matchedIndicator=%MatchedIndicator%${TAB}url=%RE_URL%${TAB}domain=%RE_DOMAIN%${TAB}ip=%RE_IP%${TAB}md5=%RE_MD5%${TAB}sha1=%RE_SHA1%${TAB}sha256=%RE_SHA256%%RecordContext%`,
        escape: "leef",
      },
      recordField: { text: `${TAB}%ParamName%=%ParamValue%`, escape: "leef" },
      actionableField: { text: `${TAB}%ParamName%=%ParamValue%`, escape: "leef" },
      alert: { text: `%Date% ${LEEF_HEADER}%Alert%|cat=%Alert%${TAB}${LEEF_TIME}%RecordContext%`, escape: "leef" },
      finished: { text: `%Date% ${LEEF_HEADER}LookupFinished|cat=LookupFinished${TAB}${LEEF_TIME}%RecordContext%`, escape: "leef", enabled: false },
    },
  },
  arcsight: {
    title: "Micro Focus ArcSight (CEF)",
    target: "the ArcSight connector's raw TCP (CEF) listener",
    formats: {
      note: `CEF in the pattern of Kaspersky's ArcSight package: signature 2 "CyberTrace Detection Event", severity 8, the category in reason, the matched indicator in cs5, the confidence in cn3 and the record's fields in cs6 (their = written as \\=, so cs6 reads back as name=value pairs). Values are written with escape="cef".`,
      event: {
        text: `${CEF_PREFIX}2|CyberTrace Detection Event|8| reason=%Category% request=%RE_URL% src=%RE_IP% fileHash=%RE_MD5% msg=CyberTrace detected %Category%%ActionableFields% cs5Label=MatchedIndicator cs5=%MatchedIndicator% cn3Label=Confidence cn3=%Confidence% cs6Label=Context cs6=%RecordContext%`,
        escape: "cef",
      },
      recordField: { text: "%ParamName%\\=%ParamValue% ", escape: "cef" },
      actionableField: { text: " %ParamName%=%ParamValue%", escape: "cef" },
      alert: { text: `${CEF_PREFIX}1|CyberTrace Service Event|4| reason=%Alert% msg=%RecordContext%`, escape: "cef" },
      finished: { text: `${CEF_PREFIX}3|CyberTrace Lookup Finished|1| reason=LookupFinished msg=%RecordContext%`, escape: "cef", enabled: false },
    },
  },
  maxpatrol: {
    title: "Positive Technologies MaxPatrol SIEM",
    target: "the MaxPatrol SIEM collector's TCP syslog port, whose normalization reads the key=value body",
    formats: {
      note: "RFC 3164 syslog lines (priority, time, host, tag cybertrace:) with a key=value body, for MaxPatrol SIEM's syslog collector. Its forwarder sends X-KF-SendFinishedEvent and never reads, so its finished events come here too, as alert=LookupFinished lines a normalization rule can drop.",
      event: {
        text: `${syslog(4)} eventName=%Category% matchedIndicator=%MatchedIndicator% url=%RE_URL% domain=%RE_DOMAIN% ip=%RE_IP% md5=%RE_MD5% sha1=%RE_SHA1% sha256=%RE_SHA256%%RecordContext%`,
      },
      recordField: { text: " %ParamName%=%ParamValue%" },
      actionableField: { text: " %ParamName%=%ParamValue%" },
      alert: { text: `${syslog(6)} alert=%Alert%%RecordContext%` },
      finished: { text: `${syslog(7)}%RecordContext%`, enabled: false },
    },
  },
  elastic: {
    title: "Elastic Security (ECS)",
    target: "a Filebeat or Elastic Agent TCP input that decodes each line as JSON",
    formats: {
      note: `One JSON object per line in ECS ${ECS_VERSION} field names: event.kind alert, category threat, the matched indicator in threat.enrichments (indicator.name, matched.atomic), the event's URL and hashes in url.original and file.hash.*, and the record's fields as labels. Values are written with escape="json". @timestamp is left to the shipper, which stamps the time it read the line.`,
      event: {
        text: `{"ecs":{"version":"${ECS_VERSION}"},"event":{"kind":"alert","category":["threat"],"type":["indicator"],"module":"ioclens","dataset":"ioclens.detection","code":"%Category%"},"message":"%Category% matched %MatchedIndicator%","threat":{"enrichments":[{"indicator":{"name":"%MatchedIndicator%"},"matched":{"atomic":"%MatchedIndicator%"}}]},"url":{"original":"%RE_URL%"},"file":{"hash":{"md5":"%RE_MD5%","sha1":"%RE_SHA1%","sha256":"%RE_SHA256%"}},"labels":{"category":"%Category%","confidence":"%Confidence%","ip":"%RE_IP%","domain":"%RE_DOMAIN%","source_id":"%SourceId%"%RecordContext%}}`,
        escape: "json",
      },
      recordField: { text: ',"%ParamName%":"%ParamValue%"', escape: "json" },
      actionableField: { text: ',"%ParamName%":"%ParamValue%"', escape: "json" },
      alert: {
        text: `{"ecs":{"version":"${ECS_VERSION}"},"event":{"kind":"event","type":["info"],"module":"ioclens","dataset":"ioclens.alert","action":"%Alert%"},"message":"%Alert%","labels":{"alert":"%Alert%"%RecordContext%}}`,
        escape: "json",
      },
      finished: {
        text: `{"ecs":{"version":"${ECS_VERSION}"},"event":{"kind":"event","type":["end"],"module":"ioclens","dataset":"ioclens.lookup","action":"LookupFinished"},"labels":{"source_id":"%SourceId%"%RecordContext%}}`,
        escape: "json",
        enabled: false,
      },
    },
  },
} as const satisfies Record<string, SiemProfile>;

/** The names `--siem` accepts. */
export type SiemName = keyof typeof SIEM_PROFILES;

/** Every profile name, in the table's order. */
export const SIEM_NAMES = Object.keys(SIEM_PROFILES) as SiemName[];

/** Whether `name` is a profile name. */
export function isSiemName(name: string): name is SiemName {
  return Object.hasOwn(SIEM_PROFILES, name);
}

/** The config elements each format is written to, in SiemFormats' terms. */
const ELEMENTS = {
  event: "EventFormat",
  recordField: "RecordFieldContextFormat",
  actionableField: "ActionableFieldContextFormat",
  alert: "AlertFormat",
  finished: "FinishedEventFormat",
} as const satisfies Record<Exclude<keyof SiemFormats, "note">, string>;

/**
 * The complete config of profile `name`: the built-in config with its header comment and the
 * five OutputSettings formats (with the comments above them) replaced by the profile's.
 *
 * @throws {Error} when the built-in config no longer has exactly one of those elements.
 * @example
 * ```ts
 * siemConfigText("kuma").includes("<FinishedEventFormat enabled=\"true\"><![CDATA[LookupFinished]]>"); // true
 * ```
 */
export function siemConfigText(name: SiemName): string {
  const profile: SiemProfile = SIEM_PROFILES[name];
  if (profile.formats === undefined) return DEFAULT_SERVICE_CONFIG_TEXT;
  const formats = profile.formats;
  // The built-in header comment comes first, before the root element.
  const headerEnd = DEFAULT_SERVICE_CONFIG_TEXT.indexOf("-->") + 3;
  const headerStart = DEFAULT_SERVICE_CONFIG_TEXT.indexOf("<!--");
  if (headerStart < 0 || headerStart > DEFAULT_SERVICE_CONFIG_TEXT.indexOf("<Configuration")) {
    throw new Error("siem profiles: the built-in config has no header comment before <Configuration>");
  }
  let text = DEFAULT_SERVICE_CONFIG_TEXT.slice(0, headerStart) + header(name, profile) + DEFAULT_SERVICE_CONFIG_TEXT.slice(headerEnd);
  for (const [key, element] of Object.entries(ELEMENTS) as [keyof typeof ELEMENTS, string][]) {
    const f: SiemFormat & { enabled?: boolean } = formats[key];
    const attrs = `${f.enabled === undefined ? "" : ` enabled="${f.enabled}"`}${f.escape ? ` escape="${f.escape}"` : ""}`;
    if (f.text.includes("]]>")) throw new Error(`siem profile ${name}: ${element} cannot hold "]]>" inside CDATA`);
    const comment = key === "event" ? `${xmlComment(formats.note, "    ")}\n    ` : "";
    // The element, with the comment right above it if there is one (it describes the old text).
    const pattern = new RegExp(`(?:<!--(?:(?!-->)[\\s\\S])*-->\\s*)?<${element}\\b[^>]*>[\\s\\S]*?</${element}>`);
    text = replaceOnce(text, pattern, element, () => `${comment}<${element}${attrs}><![CDATA[${f.text}]]></${element}>`);
  }
  return text;
}

function header(name: SiemName, profile: SiemProfile): string {
  return xmlComment(
    `ioclens service configuration for ${profile.title}: the SIEM profile "${name}" that ioclens serve prints with its print-config option. It is the built-in configuration (loopback listener on 127.0.0.1:9999, the demo feeds with CyberTrace's verification records, docs/configuration.md) with the OutputSettings formats ${profile.title} reads; docs/siem.md shows the lines they produce. Point OutputSettings > ConnectionString at ${profile.target}.`,
    "",
  );
}

/** `text` as an XML comment, wrapped, indented by `indent`; XML forbids "--" inside one. */
function xmlComment(text: string, indent: string): string {
  if (text.includes("--")) throw new Error(`siem profiles: a comment cannot hold "--": ${text}`);
  return `<!--\n${wrap(text, `${indent}  `)}\n${indent}-->`;
}

function replaceOnce(text: string, pattern: RegExp, what: string, by: () => string): string {
  const all = text.match(new RegExp(pattern.source, "g")) ?? [];
  if (all.length !== 1) throw new Error(`siem profiles: the built-in config has ${all.length} ${what} where one was expected`);
  return text.replace(pattern, by);
}

/** Words of `text` in lines of at most 96 characters, each starting with `indent`. */
function wrap(text: string, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > 96) {
      lines.push(indent + line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines.join("\n");
}
