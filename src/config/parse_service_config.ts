/**
 * Reads the service's `kl_feed_service.conf` dialect (spec cybertrace-service.md §3) into a
 * validated {@link ServiceConfig}.
 */
import { resolve } from "node:path";
import { availableParallelism } from "node:os";
import { parseByteSize } from "../io/byte_size.ts";
import { compilePattern } from "./compile_pattern.ts";
import { ConfigError } from "./config_error.ts";
import { endpointProblem, type EndpointForm } from "../io/endpoint.ts";
import { isLoopbackHost } from "./is_loopback_host.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_BASES } from "./embedded_defaults.ts";
import { Reader, readXml, type XmlElement } from "./_reader.ts";
import { FEED_FORMATS, type FeedFormat } from "../feeds/feed_formats.ts";
import { expandCatalogueSource } from "./feed_catalogue.ts";
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_FEED_LIMITS, DEFAULT_REMOTE_FEED, FEED_LIMIT_ATTRIBUTES } from "./types.ts";
import { VALUE_ESCAPES, type ValueEscape } from "../io/value_escapes.ts";
import { shownUrl } from "../io/redact_secrets.ts";
import type {
  ActionableField,
  FeedConfig,
  FeedField,
  FeedLimits,
  FeedFieldType,
  FeedsSettings,
  RemoteFeedConfig,
  InputSettings,
  OutputFormatName,
  OutputSettings,
  RegexRule,
  RegexType,
  ReplaceRule,
  SendEventFilter,
  ServiceConfig,
  RetroScanSettings,
  ServiceSettings,
  SourceProfile,
  StatusSettings,
} from "./types.ts";

/** Options for {@link parseServiceConfig}. */
export interface ParseServiceConfigOptions {
  /** Folder relative `Bases`/`BasesBackup`/`BasesDownload`/`TemporaryDir`/`registry` paths are resolved against (the config file's folder); default: the working directory. */
  readonly baseDir?: string;
  /** Unknown elements and attributes are errors instead of warnings (`--strict`). */
  readonly strict?: boolean;
}

const REGEX_TYPES: readonly RegexType[] = ["URL", "MD5", "SHA1", "SHA256", "HASH", "IP", "DOMAIN", "CONTEXT"];
const FORMAT_NAMES = Object.keys(FEED_FORMATS) as FeedFormat[];
const FIELD_TYPES: readonly FeedFieldType[] = ["URL", "DOMAIN", "IP", "MD5", "SHA1", "SHA256", "HASH", "AUTO"];
const UPDATE_FREQUENCIES = [0, 30, 60, 120, 240, 480, 960, 1440];
const ESCAPES = Object.keys(VALUE_ESCAPES) as ValueEscape[];
/** Names a regex may not take, because templates use them (spec §3.2). */
const RESERVED_NAMES = [
  "SourceId",
  "MatchedIndicator",
  "RecordContext",
  "Category",
  "ActionableFields",
  "Confidence",
  "IndicatorInfo",
  "EventReceivedDate",
  "Retroscan",
];
/**
 * Types for regexes whose `type` is absent. Kaspersky's samples (e.g. the Log Scanner
 * recommendations) omit it for these names, which 3.1 configs linked to feeds by name; reading
 * them as CONTEXT would make such configs detect nothing.
 */
const WELL_KNOWN_TYPES: Readonly<Record<string, RegexType>> = {
  RE_URL: "URL",
  RE_DOMAIN: "DOMAIN",
  RE_IP: "IP",
  RE_MD5: "MD5",
  RE_SHA1: "SHA1",
  RE_SHA256: "SHA256",
  RE_HASH: "HASH",
};
/** The regex names the default templates use (`%RE_DOMAIN%`): those of the embedded default Source. */
const DEFAULT_REGEX_NAMES = Object.keys(WELL_KNOWN_TYPES);
/** Kaspersky's own examples spell it with a Cyrillic `е` (U+0435), spec §3.5. */
const CYRILLIC_TIMEOUT = "EventSendingRetriesTim\u0435out";

const DEFAULT_EVENT_FORMAT =
  "%Date% eventName=%Category% matchedIndicator=%MatchedIndicator% category=%Category% url=%RE_URL% domain=%RE_DOMAIN% ip=%RE_IP% md5=%RE_MD5% sha1=%RE_SHA1% sha256=%RE_SHA256%%RecordContext%";

/**
 * Parses a service config. Missing elements get documented defaults (the excerpt in Kaspersky's
 * Log Scanner recommendations must load); unknown elements and attributes produce warnings
 * (errors when `strict`).
 *
 * @param source the file name used in messages and in `config.source`.
 * @throws {ConfigError} on malformed XML or a value of the wrong type or range.
 * @example
 * ```ts
 * const { config, warnings } = parseServiceConfig(
 *   "<Configuration><ServiceSettings><ScannersCount>4</ScannersCount></ServiceSettings></Configuration>",
 *   "kl_feed_service.conf",
 *   { baseDir: "/etc/ioclens" },
 * );
 * config.service.scannersCount; // 4
 * config.input.connectionString; // "127.0.0.1:9999"
 * warnings; // []
 * ```
 */
export function parseServiceConfig(
  text: string,
  source: string,
  opts: ParseServiceConfigOptions = {},
): { config: ServiceConfig; warnings: string[] } {
  const reader: Reader = new Reader(source, opts.strict);
  const root = readXml(text, source);
  const baseDir = opts.baseDir ?? ".";
  let input: InputSettings | undefined;
  let output: OutputSettings | undefined;
  let feeds: FeedsSettings | undefined;
  let serviceAndStatus: { service: ServiceSettings; status: StatusSettings } | undefined;
  let rootRetroScan: { settings: RetroScanSettings; line: number } | undefined;

  reader.children(
    root,
    root.name,
    {
      InputSettings: (el, path) => (input = readInput(reader, el, path)),
      OutputSettings: (el, path) => (output = readOutput(reader, el, path)),
      Feeds: (el, path) => (feeds = readFeeds(reader, el, path, baseDir)),
      ServiceSettings: (el, path) => (serviceAndStatus = readServiceSettings(reader, el, path, baseDir)),
      // CyberTrace 4.x keeps RetroScan at the top level; ioclens reads it there too.
      RetroScan: (el, path) => (rootRetroScan = { settings: readRetroScan(reader, el, path, baseDir), line: el.line }),
    },
    {
      silent: ["EULA"],
      unsupported: [
        "Domains",
        "LookupSettings",
        "Detections",
        "GUISettings",
        "HTTPServer",
        "NotificationSettings",
        "Plugins",
      ],
    },
  );

  let settings = serviceAndStatus ?? readServiceSettings(reader, undefined, "", baseDir);
  if (rootRetroScan !== undefined) {
    if (settings.service.retroScan === undefined) settings = { ...settings, service: { ...settings.service, retroScan: rootRetroScan.settings } };
    else reader.warn(rootRetroScan.line, `${root.name} > RetroScan ignored: ${root.name} > ServiceSettings > RetroScan is used`);
  }
  const config: ServiceConfig = {
    source,
    input: input ?? { connectionString: "127.0.0.1:9999", sources: builtInSources() },
    output: output ?? readOutput(reader, undefined, ""),
    feeds: feeds ?? { updateFrequencyMinutes: 30, feeds: [] },
    service: settings.service,
    status: settings.status,
  };
  const downloaded = config.feeds.feeds.find((feed) => feed.remote !== undefined);
  if (downloaded !== undefined && config.service.basesDir === EMBEDDED_BASES) {
    reader.fail(downloaded.line, "Configuration > Feeds > Feed", `with url needs ServiceSettings > Bases to be a folder to download into: found ${EMBEDDED_BASES}`);
  }
  return { config, warnings: reader.warnings };
}

let cachedSources: readonly SourceProfile[] | undefined;

/** The `default` Source of the embedded config, used when a config has no RegExps. */
function builtInSources(): readonly SourceProfile[] {
  cachedSources ??= parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, EMBEDDED_BASES).config.input.sources;
  return cachedSources;
}

function readInput(reader: Reader, element: XmlElement, path: string): InputSettings {
  let connectionString = "127.0.0.1:9999";
  let eventDelimiter: string | undefined;
  let sources: SourceProfile[] | undefined;
  reader.children(element, path, {
    ConnectionString: (el, p) => (connectionString = readAddress(reader, el, p, "listen")),
    EventDelimiter: (el, p) => {
      const value = reader.text(el, p);
      if (value !== "") checkRegex(reader, value, el.line, p);
      eventDelimiter = value === "" ? undefined : value;
    },
    RegExps: (el, p) => (sources = readRegExps(reader, el, p)),
  });
  return { connectionString, eventDelimiter, sources: sources ?? builtInSources() };
}

function readRegExps(reader: Reader, element: XmlElement, path: string): SourceProfile[] {
  const sources: SourceProfile[] = [];
  reader.children(element, path, { Source: (el, p) => sources.push(readSource(reader, el, p, sources)) }, { repeatable: ["Source"] });
  if (!sources.some((source) => source.id === "default")) {
    reader.fail(element.line, path, `needs a Source with id="default": found ${sources.length === 0 ? "no Source" : `ids ${sources.map((s) => `"${s.id}"`).join(", ")}`}`);
  }
  return sources;
}

function readSource(reader: Reader, element: XmlElement, path: string, earlier: readonly SourceProfile[]): SourceProfile {
  reader.attributes(element, path, ["id", "ip", "hostname"]);
  const id = reader.requiredAttr(element, path, "id").trim();
  if (earlier.some((source) => source.id === id)) reader.fail(element.line, path, `id must be unique: found a second Source with id="${id}"`);
  let ips = splitList(reader.attr(element, "ip"));
  if (id === "default" && ips.length > 0) {
    reader.warn(element.line, `attribute ip of ${path} ignored: the default Source applies to every peer`);
    ips = [];
  }
  const replace: ReplaceRule[] = [];
  const ignore: { input: string; line: number }[] = [];
  const regexes: RegexRule[] = [];
  reader.children(
    element,
    path,
    {
      NormalizingRules: (el, p) =>
        reader.children(
          el,
          p,
          {
            Replace: (rule, rp) => {
              reader.attributes(rule, rp, ["input", "output"]);
              const input = reader.requiredAttr(rule, rp, "input");
              checkRegex(reader, input, rule.line, `${rp} attribute input`);
              replace.push({ input, output: reader.attr(rule, "output") ?? "", line: rule.line });
            },
            Ignore: (rule, rp) => {
              reader.attributes(rule, rp, ["input"]);
              const input = reader.requiredAttr(rule, rp, "input");
              checkRegex(reader, input, rule.line, `${rp} attribute input`);
              ignore.push({ input, line: rule.line });
            },
          },
          { repeatable: ["Replace", "Ignore"] },
        ),
    },
    { other: (el, p) => regexes.push(readRegex(reader, el, p, regexes)) },
  );
  return { id, ips, hostnames: splitList(reader.attr(element, "hostname")), replace, ignore, regexes };
}

function readRegex(reader: Reader, element: XmlElement, path: string, earlier: readonly RegexRule[]): RegexRule {
  const name = element.name;
  if (RESERVED_NAMES.includes(name)) {
    reader.fail(element.line, path, `cannot be a regex: "${name}" is a reserved pattern name (${RESERVED_NAMES.join(", ")})`);
  }
  if (earlier.some((rule) => rule.name === name)) reader.fail(element.line, path, `is defined twice in this Source: regex names must be unique`);
  reader.attributes(element, path, ["type", "extract", "concatenate", "use_for_retroscan"]);
  const pattern = reader.text(element, path);
  if (pattern === "") reader.fail(element.line, path, "must hold a regular expression: found an empty element");
  checkRegex(reader, pattern, element.line, path);
  const concatenate = reader.attr(element, "concatenate");
  return {
    name,
    pattern,
    type: reader.enumAttr(element, path, "type", REGEX_TYPES) ?? WELL_KNOWN_TYPES[name] ?? "CONTEXT",
    extract: reader.enumAttr(element, path, "extract", ["first", "all"] as const) ?? "first",
    concatenate: concatenate === undefined || concatenate === "" ? undefined : concatenate,
    useForRetroscan: reader.boolAttr(element, path, "use_for_retroscan") ?? false,
    line: element.line,
  };
}

function readOutput(reader: Reader, element: XmlElement | undefined, path: string): OutputSettings {
  let eventFormat = DEFAULT_EVENT_FORMAT;
  let recordFieldContextFormat = " %ParamName%=%ParamValue%";
  let actionableFieldContextFormat = " %ParamName%:%ParamValue%";
  let alertFormat: string | undefined;
  let connectionString = "127.0.0.1:9998";
  let alertConnectionString: { enabled: boolean; value: string } | undefined;
  let finishedEventFormat = { enabled: false, value: "LookupFinished" };
  const sendEventFilters: SendEventFilter[] = [];
  let queueSize = 10000;
  const escapes: Partial<Record<OutputFormatName, ValueEscape>> = {};
  /** A format's text; its `escape=` attribute (ours) goes to `escapes`. */
  const format = (el: XmlElement, p: string, name: OutputFormatName, more: readonly string[] = []): string => {
    reader.attributes(el, p, ["escape", ...more]);
    const escape = reader.enumAttr(el, p, "escape", ESCAPES);
    if (escape !== undefined && escape !== "none") escapes[name] = escape;
    return reader.text(el, p);
  };
  let eventFormatGiven = false;
  let finishedGiven = false;
  /** The default templates' regex placeholders, which the user's Source may not define. */
  const quietPlaceholders = (): { quietPlaceholders?: Record<string, readonly string[]> } => {
    const quiet: Record<string, readonly string[]> = {};
    for (const [element, given, text] of [
      ["EventFormat", eventFormatGiven, eventFormat],
      ["FinishedEventFormat", finishedGiven, finishedEventFormat.value],
    ] as const) {
      const names = given ? [] : DEFAULT_REGEX_NAMES.filter((name) => text.includes(`%${name}%`));
      if (names.length > 0) quiet[element] = names;
    }
    return Object.keys(quiet).length === 0 ? {} : { quietPlaceholders: quiet };
  };
  if (element === undefined) {
    return { eventFormat, recordFieldContextFormat, actionableFieldContextFormat, connectionString, finishedEventFormat, sendEventFilters, queueSize, ...quietPlaceholders() };
  }
  reader.children(element, path, {
    EventFormat: (el, p) => {
      eventFormat = format(el, p, "event");
      eventFormatGiven = true;
    },
    RecordFieldContextFormat: (el, p) => (recordFieldContextFormat = format(el, p, "recordField")),
    ActionableFieldContextFormat: (el, p) => (actionableFieldContextFormat = format(el, p, "actionableField")),
    AlertFormat: (el, p) => (alertFormat = format(el, p, "alert")),
    ConnectionString: (el, p) => (connectionString = readAddress(reader, el, p, "target")),
    AlertConnectionString: (el, p) => {
      reader.attributes(el, p, ["enabled"]);
      const enabled = reader.boolAttr(el, p, "enabled") ?? true;
      alertConnectionString = { enabled, value: enabled ? readAddress(reader, el, p, "target") : reader.value(el, p) };
    },
    FinishedEventFormat: (el, p) => {
      const value = format(el, p, "finished", ["enabled", "enable"]);
      // The reference says `enabled`, the ReplyBack page `enable` (spec §2.5): accept both.
      const enabled = reader.boolAttr(el, p, "enabled") ?? reader.boolAttr(el, p, "enable") ?? true;
      finishedEventFormat = { enabled, value };
      finishedGiven = true;
    },
    SendEventFilters: (el, p) =>
      reader.children(
        el,
        p,
        {
          Filter: (filter, fp) => {
            reader.attributes(filter, fp, ["attribute", "value"]);
            sendEventFilters.push({ attribute: reader.requiredAttr(filter, fp, "attribute"), value: reader.requiredAttr(filter, fp, "value") });
          },
        },
        { repeatable: ["Filter"] },
      ),
    QueueSize: (el, p) => (queueSize = reader.int(el, p, 0, 10_000_000)),
  });
  return {
    eventFormat,
    recordFieldContextFormat,
    actionableFieldContextFormat,
    alertFormat,
    connectionString,
    alertConnectionString,
    finishedEventFormat,
    sendEventFilters,
    queueSize,
    ...(Object.keys(escapes).length > 0 ? { escapes } : {}),
    ...quietPlaceholders(),
  };
}

function readFeeds(reader: Reader, element: XmlElement, path: string, baseDir: string): FeedsSettings {
  reader.attributes(element, path, ["per_scan_detect_limit", "update_frequency", "registry", "proxy", ...LIMIT_NAMES]);
  const limit = reader.intAttr(element, path, "per_scan_detect_limit", 0, Number.POSITIVE_INFINITY);
  const updateFrequencyMinutes = reader.intAttr(element, path, "update_frequency", 0, 525_600) ?? 30;
  if (!UPDATE_FREQUENCIES.includes(updateFrequencyMinutes)) {
    reader.warn(element.line, `attribute update_frequency of ${path} is ${updateFrequencyMinutes}: Kaspersky accepts only ${UPDATE_FREQUENCIES.join(", ")}, ioclens uses it as given`);
  }
  const registry = reader.attr(element, "registry")?.trim();
  const limits = readLimits(reader, element, path, DEFAULT_FEED_LIMITS);
  const proxy = readProxy(reader, element, path);
  const feeds: FeedConfig[] = [];
  reader.children(element, path, { Feed: (el, p) => feeds.push(readFeed(reader, catalogueSource(reader, el, p), p, limits, { baseDir, proxy })) }, { repeatable: ["Feed"] });
  checkDownloadTargets(reader, feeds, path);
  return {
    // 0 is read as "no limit", like an absent attribute.
    perScanDetectLimit: limit === 0 ? undefined : limit,
    updateFrequencyMinutes,
    registry: registry === undefined || registry === "" ? undefined : resolve(baseDir, registry),
    ...(proxy === undefined ? {} : { proxy }),
    feeds,
  };
}

function readFeed(reader: Reader, element: XmlElement, path: string, feedsLimits: FeedLimits | undefined, around: { baseDir: string; proxy: string | undefined }): FeedConfig {
  reader.attributes(element, path, [
    ...LIMIT_NAMES,
    ...REMOTE_ATTRIBUTES,
    "filename",
    "enabled",
    "confidence",
    "outdated_alert_period",
    "indicator_lifetime",
    "format",
    "category",
    "allowlist",
    "header",
    "delimiter",
    "columns",
    "source",
  ]);
  const remote = readRemote(reader, element, path, around);
  const filename = remote === undefined || element.attributes["filename"] !== undefined ? reader.requiredAttr(element, path, "filename").trim() : copyName(remote.url);
  const format = reader.enumAttr(element, path, "format", FORMAT_NAMES) ?? formatFromFilename(filename);
  checkPolledFormat(reader, element, path, format, remote);
  const category = reader.attr(element, "category")?.trim() || stem(filename);
  const fields: FeedField[] = [];
  const actionableFields: ActionableField[] = [];
  reader.children(
    element,
    path,
    {
      Field: (el, p) => fields.push(readField(reader, el, p, category)),
      // Read by readRemote; refused there when the feed has no url.
      Header: () => {},
      ActionableFields: (el, p) =>
        reader.children(
          el,
          p,
          {
            ActionableField: (field, fp) => {
              reader.attributes(field, fp, ["name", "output_name"]);
              actionableFields.push({ name: reader.requiredAttr(field, fp, "name"), outputName: reader.attr(field, "output_name") ?? "" });
            },
          },
          { repeatable: ["ActionableField"] },
        ),
    },
    { repeatable: ["Field", "Header"] },
  );
  return {
    filename,
    ...(remote === undefined ? {} : { remote }),
    enabled: reader.boolAttr(element, path, "enabled") ?? true,
    confidence: reader.intAttr(element, path, "confidence", 1, 100) ?? 100,
    format,
    category,
    fields,
    actionableFields,
    outdatedAlertPeriodHours: reader.intAttr(element, path, "outdated_alert_period", 0, Number.POSITIVE_INFINITY),
    indicatorLifetimeMinutes: reader.intAttr(element, path, "indicator_lifetime", 0, Number.POSITIVE_INFINITY) ?? 10080,
    allowList: reader.boolAttr(element, path, "allowlist") ?? false,
    header: reader.boolAttr(element, path, "header") ?? format === "csv",
    delimiter: readDelimiter(reader, element, path),
    ...limitsOf(readLimits(reader, element, path, feedsLimits ?? DEFAULT_FEED_LIMITS) ?? feedsLimits),
    ...readColumns(reader, element, path),
    ...optionalText(reader, element, "source"),
    line: element.line,
  };
}

/** A `<Feed source="…">` with the catalogue's attributes and fields filled in (src/config/feed_catalogue.ts). */
function catalogueSource(reader: Reader, element: XmlElement, path: string): XmlElement {
  try {
    return expandCatalogueSource(element);
  } catch (error) {
    return reader.fail(element.line, path, (error as Error).message);
  }
}

function optionalText<K extends string>(reader: Reader, element: XmlElement, name: K): { [key in K]?: string } {
  const value = reader.attr(element, name)?.trim();
  return value === undefined || value === "" ? {} : ({ [name]: value } as { [key in K]?: string });
}

const LIMIT_NAMES = Object.values(FEED_LIMIT_ATTRIBUTES);
/** The attributes of a Feed downloaded from a URL (docs/configuration.md, Feeds). */
const REMOTE_ATTRIBUTES = ["url", "refresh", "proxy", "ca_file", "timeout", "connect_timeout", "retries", "zip_member", "collection"] as const;
/** Formats whose feed is polled through its own protocol (src/feeds/feed_source_for.ts), so they need a url. */
const POLLED_FORMATS: readonly FeedFormat[] = ["taxii", "misp-api", "misp-feed"];

/** `url=` and its companions; undefined for a local feed (whose companions are then refused). */
function readRemote(reader: Reader, element: XmlElement, path: string, around: { baseDir: string; proxy: string | undefined }): RemoteFeedConfig | undefined {
  const headers = element.children.filter((child) => child.name === "Header");
  const url = reader.attr(element, "url")?.trim();
  if (url === undefined) {
    const stray = REMOTE_ATTRIBUTES.find((name) => element.attributes[name] !== undefined) ?? (headers.length > 0 ? "Header" : undefined);
    if (stray !== undefined) reader.fail(element.line, path, `${stray === "Header" ? "element Header" : `attribute ${stray}`} needs a url attribute: found none`);
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // A MISP feed may also be a folder on this machine.
  const folder = parsed?.protocol === "file:" && element.attributes["format"] === "misp-feed";
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:" && !folder)) {
    reader.fail(element.line, path, `attribute url must be an http:// or https:// URL${element.attributes["format"] === "misp-feed" ? " or, for a MISP feed, a file:// URL" : ""}, got "${shownUrl(url)}"`);
  }
  const collection = reader.attr(element, "collection")?.trim();
  const caFile = reader.attr(element, "ca_file")?.trim();
  const zipMember = reader.attr(element, "zip_member");
  const proxy = readProxy(reader, element, path) ?? around.proxy;
  const refreshMinutes = reader.intAttr(element, path, "refresh", 1, 525_600);
  return {
    url,
    ...(refreshMinutes === undefined ? {} : { refreshMinutes }),
    headers: headers.map((header) => readHeader(reader, header, `${path} > Header`)),
    ...(proxy === undefined ? {} : { proxy }),
    ...(caFile === undefined || caFile === "" ? {} : { caFile: resolve(around.baseDir, caFile) }),
    connectTimeoutSeconds: reader.intAttr(element, path, "connect_timeout", 1, 3600) ?? DEFAULT_REMOTE_FEED.connectTimeoutSeconds,
    timeoutSeconds: reader.intAttr(element, path, "timeout", 1, 86_400) ?? DEFAULT_REMOTE_FEED.timeoutSeconds,
    retries: reader.intAttr(element, path, "retries", 0, 10) ?? DEFAULT_REMOTE_FEED.retries,
    ...(zipMember === undefined || zipMember === "" ? {} : { zipMember }),
    ...(collection === undefined || collection === "" ? {} : { collection }),
  };
}

/** A TAXII or MISP format has the url, header and attributes its protocol needs; the others have none of them. */
function checkPolledFormat(reader: Reader, element: XmlElement, path: string, format: FeedFormat, remote: RemoteFeedConfig | undefined): void {
  const polled = POLLED_FORMATS.includes(format);
  if (polled && remote === undefined) reader.fail(element.line, path, `format ${format} is fetched from a server: found no url attribute, expected one`);
  if (remote?.collection !== undefined && format !== "taxii") reader.fail(element.line, path, `attribute collection names a TAXII collection: found format ${format}, expected taxii`);
  if (format === "misp-api" && !remote?.headers.some((header) => header.name.toLowerCase() === "authorization")) {
    reader.fail(element.line, path, `format misp-api needs the API key in <Header name="Authorization">: found none`);
  }
}

/** `<Header name="Authorization">Bearer …</Header>`: a request header of a downloaded feed. */
function readHeader(reader: Reader, element: XmlElement, path: string): { name: string; value: string } {
  reader.attributes(element, path, ["name"]);
  const name = reader.requiredAttr(element, path, "name").trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) reader.fail(element.line, path, `attribute name must be an HTTP header name, got "${name}"`);
  // The value is a secret: an error may say it is missing, never what it is.
  const value = reader.value(element, path);
  if (/[\r\n]/.test(value)) reader.fail(element.line, path, `${name} must be one line: found a line break in its value`);
  return { name, value };
}

/** `proxy="http://host:port"` or `proxy="none"`. */
function readProxy(reader: Reader, element: XmlElement, path: string): string | undefined {
  const raw = reader.attr(element, "proxy")?.trim();
  if (raw === undefined || raw === "") return undefined;
  if (raw === "none") return raw;
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(raw).protocol);
  } catch {
    ok = false;
  }
  if (!ok) reader.fail(element.line, path, `attribute proxy must be http://host:port or none, got "${shownUrl(raw)}"`);
  return raw;
}

/**
 * The copy of a downloaded feed without `filename`: `<host>_<last path segment>` with characters
 * other than letters, digits, `.`, `_` and `-` as `_`, a `.zip` ending dropped (the copy holds the
 * member), `index` for an empty segment: `https://feodotracker.abuse.ch/downloads/ipblocklist.csv`
 * → `feodotracker.abuse.ch_ipblocklist.csv`.
 */
function copyName(url: string): string {
  const parsed = new URL(url);
  const segment = decodeURIComponent(parsed.pathname.split("/").filter((s) => s !== "").at(-1) ?? "index").replace(/\.zip$/i, "");
  return `${parsed.hostname}_${segment || "index"}`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** Two downloaded feeds writing one copy would overwrite each other's file. */
function checkDownloadTargets(reader: Reader, feeds: readonly FeedConfig[], path: string): void {
  const seen = new Map<string, FeedConfig>();
  for (const feed of feeds) {
    const other = seen.get(feed.filename);
    if (other !== undefined && (feed.remote !== undefined || other.remote !== undefined)) {
      reader.fail(feed.line, `${path} > Feed`, `downloads to ${feed.filename}, which the Feed at line ${other.line} uses too: give one a filename of its own`);
    }
    seen.set(feed.filename, feed);
  }
}
/** Record lengths are JS string lengths: JSC strings end below 2^31 characters. */
const MAX_RECORD_LENGTH = 2 ** 30;

/** The limit attributes of a Feeds or Feed element over `base`; undefined when it has none. */
function readLimits(reader: Reader, element: XmlElement, path: string, base: FeedLimits): FeedLimits | undefined {
  const { maxFileBytes, maxDecompressedBytes, maxRecordLength } = FEED_LIMIT_ATTRIBUTES;
  const file = reader.sizeAttr(element, path, maxFileBytes, 2 ** 40, "bytes");
  const decompressed = reader.sizeAttr(element, path, maxDecompressedBytes, 2 ** 40, "bytes");
  const record = reader.sizeAttr(element, path, maxRecordLength, MAX_RECORD_LENGTH, "characters");
  if (file === undefined && decompressed === undefined && record === undefined) return undefined;
  return { maxFileBytes: file ?? base.maxFileBytes, maxDecompressedBytes: decompressed ?? base.maxDecompressedBytes, maxRecordLength: record ?? base.maxRecordLength };
}

function limitsOf(limits: FeedLimits | undefined): { limits?: FeedLimits } {
  return limits === undefined ? {} : { limits };
}

/** `columns="ip,score"`: names for the columns of a csv/tsv feed without a header row. */
function readColumns(reader: Reader, element: XmlElement, path: string): { columns?: readonly string[] } {
  const raw = reader.attr(element, "columns");
  if (raw === undefined || raw.trim() === "") return {};
  const columns = raw.split(",").map((name) => name.trim());
  if (columns.some((name) => name === "")) reader.fail(element.line, path, `attribute columns must be comma-separated names such as "ip,score", got "${raw}"`);
  return { columns };
}

function readField(reader: Reader, element: XmlElement, path: string, feedCategory: string): FeedField {
  reader.attributes(element, path, ["name", "type", "category", "matching_type", "input_regexp_to_match"]);
  const name = reader.requiredAttr(element, path, "name").trim();
  let type = reader.enumAttr(element, path, "type", FIELD_TYPES);
  if (type === undefined) {
    // 3.1-era rules say how to match, not what the field holds (spec §3.4).
    const matching = reader.enumAttr(element, path, "matching_type", ["Url", "Hash", "Exact"] as const);
    type = matching === "Url" ? "URL" : matching === "Hash" ? "HASH" : "AUTO";
  }
  return { name, type, category: reader.attr(element, "category")?.trim() || feedCategory };
}

function readDelimiter(reader: Reader, element: XmlElement, path: string): string | undefined {
  const raw = reader.attr(element, "delimiter");
  if (raw === undefined) return undefined;
  const value = raw === "\\t" || raw.toLowerCase() === "tab" ? "\t" : raw;
  if ([...value].length !== 1) reader.fail(element.line, path, `attribute delimiter must be one character, \\t or tab, got "${raw}"`);
  return value;
}

/** `ServiceSettings > Workers` at most: more threads than this only add contention. */
const MAX_WORKERS = 256;

function readServiceSettings(
  reader: Reader,
  element: XmlElement | undefined,
  path: string,
  baseDir: string,
): { service: ServiceSettings; status: StatusSettings } {
  let scannersCount = 9;
  let threadsPerScanner = 8;
  let eventSendingRetriesCount = 3;
  let eventSendingRetriesTimeoutSeconds = 10;
  let outdatedBasesAlertPeriodHours = 0;
  let feedsRollbackEnabled = true;
  let basesDir = resolve(baseDir, ".");
  let basesBackupDir: string | undefined;
  let basesDownloadDir: string | undefined;
  let temporaryDir: string | undefined;
  let status: StatusSettings = { enabled: false, listen: "127.0.0.1:9997" };
  let { max, idleTimeoutSeconds, drainTimeoutSeconds, proxyProtocol } = DEFAULT_CONNECTION_LIMITS;
  let retroScan: RetroScanSettings | undefined;
  let workers = availableParallelism();
  const dir = (el: XmlElement, p: string): string => {
    const value = reader.value(el, p);
    if (value === "") reader.fail(el.line, p, "must name a directory: found an empty element");
    return value === EMBEDDED_BASES ? value : resolve(baseDir, value);
  };
  if (element !== undefined) {
    reader.children(
      element,
      path,
      {
        Bases: (el, p) => (basesDir = dir(el, p)),
        BasesBackup: (el, p) => (basesBackupDir = dir(el, p)),
        BasesDownload: (el, p) => (basesDownloadDir = dir(el, p)),
        TemporaryDir: (el, p) => (temporaryDir = dir(el, p)),
        OutdatedBasesAlertPeriod: (el, p) => (outdatedBasesAlertPeriodHours = reader.int(el, p, 0, Number.POSITIVE_INFINITY)),
        ScannersCount: (el, p) => (scannersCount = reader.int(el, p, 1, 20)),
        ThreadsPerScanner: (el, p) => (threadsPerScanner = reader.int(el, p, 1, 64)),
        EventSendingRetriesCount: (el, p) => (eventSendingRetriesCount = reader.int(el, p, 0, 10)),
        EventSendingRetriesTimeout: (el, p) => (eventSendingRetriesTimeoutSeconds = reader.int(el, p, 0, 60)),
        FeedsRollbackEnabled: (el, p) => (feedsRollbackEnabled = reader.bool(el, p)),
        StatusEndpoint: (el, p) => (status = readStatus(reader, el, p, baseDir)),
        MaxConnections: (el, p) => (max = reader.int(el, p, 1, 1_000_000)),
        IdleTimeout: (el, p) => (idleTimeoutSeconds = reader.int(el, p, 0, 86_400)),
        StopDrainTimeout: (el, p) => (drainTimeoutSeconds = reader.int(el, p, 0, 3_600)),
        ProxyProtocol: (el, p) => (proxyProtocol = reader.bool(el, p)),
        RetroScan: (el, p) => (retroScan = readRetroScan(reader, el, p, baseDir)),
        Workers: (el, p) => (workers = reader.int(el, p, 1, MAX_WORKERS)),
      },
      {
        aliases: { [CYRILLIC_TIMEOUT]: "EventSendingRetriesTimeout", ScanningThreadsPerScanner: "ThreadsPerScanner" },
        unsupported: ["FeedUtil", "BasesSettings", "ScanSettings", "HTTPServer", "EPSLimit"],
      },
    );
  }
  return {
    service: {
      scannersCount,
      threadsPerScanner,
      eventSendingRetriesCount,
      eventSendingRetriesTimeoutSeconds,
      outdatedBasesAlertPeriodHours,
      feedsRollbackEnabled,
      basesDir,
      basesBackupDir,
      basesDownloadDir,
      temporaryDir,
      connections: { max, idleTimeoutSeconds, drainTimeoutSeconds, proxyProtocol },
      workers,
      ...(retroScan === undefined ? {} : { retroScan }),
    },
    status,
  };
}

/**
 * `ServiceSettings > RetroScan`: CyberTrace's `enabled`, `storage_max_size` (MB, or a size with
 * a unit) and `storage_event_ttl` (days), and ours: `database`, `excerpt_length`, `values`,
 * `batch_limit`, `key_memory`, and a `RetroScanEventFormat` child (docs/retroscan.md).
 */
function readRetroScan(reader: Reader, element: XmlElement, path: string, baseDir: string): RetroScanSettings {
  reader.attributes(element, path, ["enabled", "database", "storage_max_size", "storage_event_ttl", "excerpt_length", "values", "batch_limit", "key_memory", "restroscan_result_ttl", "retroscan_interval"]);
  let eventFormat: string | undefined;
  reader.children(element, path, { RetroScanEventFormat: (el, p) => (eventFormat = reader.text(el, p)) });
  const database = reader.attr(element, "database")?.trim() ?? "retroscan.db";
  if (database === "") reader.fail(element.line, `${path} attribute database`, "must name a file: found an empty value");
  const size = element.attributes["storage_max_size"]?.trim();
  let maxBytes = 10_000 * 2 ** 20;
  if (size !== undefined) {
    // CyberTrace writes megabytes as a bare number; a unit (K, M, G) says otherwise.
    const bytes = /^\d+$/.test(size) ? Number(size) * 2 ** 20 : parseByteSize(size);
    if (bytes === undefined || bytes < 64 * 2 ** 10 || bytes > 2 ** 50) {
      reader.fail(element.line, `${path} attribute storage_max_size`, `must be megabytes (a whole number) or a size with K, M or G from 64 KiB, got "${size}"`);
    }
    maxBytes = bytes;
  }
  const keyMemory = element.attributes["key_memory"]?.trim();
  const keyMemoryBytes = keyMemory === undefined ? 2 ** 30 : parseByteSize(keyMemory);
  if (keyMemoryBytes === undefined || keyMemoryBytes < 2 ** 20 || keyMemoryBytes > 2 ** 40) {
    reader.fail(element.line, `${path} attribute key_memory`, `must be a size with K, M or G from 1M to 1024G, got "${keyMemory}"`);
  }
  return {
    enabled: reader.boolAttr(element, path, "enabled") ?? false,
    database: resolve(baseDir, database),
    retentionDays: reader.intAttr(element, path, "storage_event_ttl", 1, 3650) ?? 30,
    maxBytes,
    excerptLength: reader.intAttr(element, path, "excerpt_length", 0, 65_536) ?? 256,
    values: reader.enumAttr(element, path, "values", ["all", "marked"] as const) ?? "all",
    batchLimit: reader.intAttr(element, path, "batch_limit", 1, 10_000_000) ?? 100_000,
    keyMemoryBytes,
    ...(eventFormat === undefined ? {} : { eventFormat }),
  };
}

function readStatus(reader: Reader, element: XmlElement, path: string, baseDir: string): StatusSettings {
  reader.attributes(element, path, ["enabled"]);
  const enabled = reader.boolAttr(element, path, "enabled") ?? true;
  let listen = "127.0.0.1:9997";
  const text: Partial<Record<"Token" | "User" | "Password" | "CertificateFile" | "PrivateKeyFile", string>> = {};
  const lines: Partial<Record<keyof typeof text, number>> = {};
  const optional = (name: keyof typeof text) => (el: XmlElement, p: string) => {
    const value = reader.value(el, p);
    if (value === "") return;
    text[name] = value;
    lines[name] = el.line;
  };
  const lookupLimits: { maxObjects?: number; maxBodyBytes?: number; maxConcurrent?: number } = {};
  reader.children(element, path, {
    Listen: (el, p) => (listen = readAddress(reader, el, p, "hostPort")),
    MaxLookupObjects: (el, p) => (lookupLimits.maxObjects = reader.int(el, p, 1, 100_000_000)),
    MaxLookupBodySize: (el, p) => (lookupLimits.maxBodyBytes = reader.int(el, p, 1024, 1024 * 1024 * 1024)),
    MaxConcurrentLookups: (el, p) => (lookupLimits.maxConcurrent = reader.int(el, p, 1, 64)),
    Token: optional("Token"),
    User: optional("User"),
    Password: optional("Password"),
    CertificateFile: optional("CertificateFile"),
    PrivateKeyFile: optional("PrivateKeyFile"),
  });
  const pair = (a: keyof typeof text, b: keyof typeof text, what: string): boolean => {
    if ((text[a] === undefined) !== (text[b] === undefined)) {
      const [given, missing] = text[a] === undefined ? [b, a] : [a, b];
      reader.fail(element.line, path, `needs ${missing} with ${given}: ${what}, found ${given} and no ${missing}`);
    }
    return text[a] !== undefined;
  };
  const basic = pair("User", "Password", "Basic authentication takes both");
  const tls = pair("CertificateFile", "PrivateKeyFile", "HTTPS takes both PEM files");
  const loopback = isLoopbackHost(listen.slice(0, listen.lastIndexOf(":")));
  if (enabled && text.Token === undefined && !basic && !loopback) {
    reader.fail(element.line, path, `needs a Token or User and Password when Listen is not a loopback address: found Listen "${listen}" and no credentials`);
  }
  if (enabled && !tls && (text.Token !== undefined || basic) && !loopback) {
    reader.warn(element.line, `${path}: credentials cross the network in clear text on ${listen}: set CertificateFile and PrivateKeyFile for HTTPS`);
  }
  return {
    enabled,
    listen,
    ...(Object.keys(lookupLimits).length > 0 ? { lookupLimits } : {}),
    ...(text.Token === undefined ? {} : { token: text.Token }),
    ...(basic ? { basicAuth: { user: text.User!, password: text.Password! } } : {}),
    ...(tls
      ? {
          tls: {
            certificateFile: resolve(baseDir, text.CertificateFile!),
            certificateLine: lines.CertificateFile!,
            privateKeyFile: resolve(baseDir, text.PrivateKeyFile!),
            privateKeyLine: lines.PrivateKeyFile!,
          },
        }
      : {}),
  };
}

function readAddress(reader: Reader, element: XmlElement, path: string, form: EndpointForm): string {
  const value = reader.value(element, path);
  const expected = endpointProblem(value, form);
  if (expected !== undefined) reader.fail(element.line, path, `must be ${expected}, got "${value}"`);
  return value;
}

function checkRegex(reader: Reader, pattern: string, line: number, path: string): void {
  try {
    compilePattern(pattern);
  } catch (e) {
    throw new ConfigError(reader.source, line, `${path} is not a valid regular expression: ${(e as Error).message}`, {
      elementPath: path,
      cause: e,
    });
  }
}

function splitList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/[\s,]+/).filter((item) => item !== "");
}

function stem(filename: string): string {
  const base = filename.slice(Math.max(filename.lastIndexOf("/"), filename.lastIndexOf("\\")) + 1);
  return base.replace(/\.gz$/i, "").replace(/\.[^.]*$/, "") || base;
}

function formatFromFilename(filename: string): FeedFormat {
  const extension = /\.([^./\\]+)$/.exec(filename.toLowerCase().replace(/\.gz$/, ""))?.[1];
  const byExtension = FORMAT_NAMES.find((format) => (FEED_FORMATS[format].extensions as readonly string[]).includes(extension ?? ""));
  return byExtension ?? "lines";
}
