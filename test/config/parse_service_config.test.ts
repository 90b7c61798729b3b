import { describe, expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { ConfigError } from "../../src/config/config_error.ts";
import { parseServiceConfig } from "../../src/config/parse_service_config.ts";
import { DEFAULT_SERVICE_CONFIG_TEXT } from "../../src/config/embedded_defaults.ts";
import type { FeedFormat, RegexRule, RegexType } from "../../src/config/types.ts";
import { fixture, thrown } from "./_fixture_files.ts";

const SOURCE = "kl_feed_service.conf";
const parse = (xml: string) => parseServiceConfig(xml, SOURCE, { baseDir: "/etc/ioclens" });
/** Wraps `inner` so that its first line is line 2. */
const conf = (inner: string) => parse(`<Configuration>\n${inner}\n</Configuration>`);
const BUILT_IN_SOURCES = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>").config.input.sources;

describe("parseServiceConfig()", () => {
  test("loads the seed excerpt without warnings and fills the omitted elements with defaults", () => {
    const seedRegex = (name: string, type: RegexType, line: number): RegexRule => ({
      name,
      pattern: `${name.slice(3).toLowerCase()}=(.*?)(?:$|\\s)`,
      type,
      extract: "first",
      useForRetroscan: false,
      line,
    });
    expect(parseServiceConfig(fixture("seed_service.conf"), SOURCE, { baseDir: "/etc/ioclens" })).toEqual({
      config: {
        source: SOURCE,
        input: {
          connectionString: "127.0.0.1:9999",
          sources: [
            {
              id: "default",
              ips: [],
              hostnames: [],
              replace: [],
              ignore: [],
              regexes: [
                seedRegex("RE_MD5", "MD5", 12),
                seedRegex("RE_SHA1", "SHA1", 14),
                seedRegex("RE_SHA256", "SHA256", 16),
                seedRegex("RE_URL", "URL", 18),
                seedRegex("RE_IP", "IP", 20),
              ],
            },
          ],
        },
        output: {
          eventFormat:
            "%Date% eventName=%Category% matchedIndicator=%MatchedIndicator% category=%Category% url=%RE_URL% domain=%RE_DOMAIN% ip=%RE_IP% md5=%RE_MD5% sha1=%RE_SHA1% sha256=%RE_SHA256%%RecordContext%",
          recordFieldContextFormat: " %ParamName%=%ParamValue%",
          actionableFieldContextFormat: " %ParamName%:%ParamValue%",
          connectionString: "127.0.0.1:9998",
          finishedEventFormat: { enabled: true, value: "LookupFinished" },
          sendEventFilters: [],
          queueSize: 10000,
          // The default EventFormat's regex placeholders: empty without a warning when undefined.
          quietPlaceholders: { EventFormat: ["RE_URL", "RE_DOMAIN", "RE_IP", "RE_MD5", "RE_SHA1", "RE_SHA256"] },
        },
        feeds: { perScanDetectLimit: 10000, updateFrequencyMinutes: 30, feeds: [] },
        service: {
          scannersCount: 9,
          threadsPerScanner: 8,
          eventSendingRetriesCount: 3,
          eventSendingRetriesTimeoutSeconds: 10,
          outdatedBasesAlertPeriodHours: 0,
          feedsRollbackEnabled: true,
          basesDir: "/etc/ioclens",
          connections: { max: 1024, idleTimeoutSeconds: 30, drainTimeoutSeconds: 5, proxyProtocol: false },
          workers: availableParallelism(),
        },
        status: { enabled: false, listen: "127.0.0.1:9997" },
      },
      warnings: [],
    });
  });

  test("gives an empty root element the built-in regexes and defaults", () => {
    const { config, warnings } = parse("<AnyRootName/>");
    expect(warnings).toEqual([]);
    expect(config.input).toEqual({ connectionString: "127.0.0.1:9999", sources: BUILT_IN_SOURCES });
    expect(config.output.finishedEventFormat).toEqual({ enabled: false, value: "LookupFinished" });
    expect(config.output.alertFormat).toBeUndefined();
    expect(config.feeds).toEqual({ updateFrequencyMinutes: 30, feeds: [] });
    expect(config.status).toEqual({ enabled: false, listen: "127.0.0.1:9997" });
  });

  test("uses the built-in regexes when InputSettings has no RegExps", () => {
    const { config } = conf("<InputSettings><ConnectionString>0.0.0.0:9999</ConnectionString></InputSettings>");
    expect(config.input).toEqual({ connectionString: "0.0.0.0:9999", sources: BUILT_IN_SOURCES });
  });

  test("reads sources with normalizing rules and typed regexes", () => {
    const { config, warnings } = conf(`<InputSettings>
<EventDelimiter><![CDATA[;]]></EventDelimiter>
<RegExps>
<Source id="default">
<RE_USER>user=(\\S+)</RE_USER>
</Source>
<Source id="proxy" ip="10.0.0.1, 10.0.0.2 10.0.0.3" hostname="proxy01">
<NormalizingRules>
<Replace input="\\\\=" output="="/>
<Ignore input="^#"/>
</NormalizingRules>
<RE_URL type="url" extract="all" concatenate="#1#2" use_for_retroscan="true">
  url_1=(.*?)\\stest_event\\surl_2=(.*?)\\stest
</RE_URL>
<RE_WEBSENSE type="URL">request\\=(.*?)(?:\\s|$)</RE_WEBSENSE>
</Source>
</RegExps>
</InputSettings>`);
    expect(warnings).toEqual([]);
    expect(config.input).toEqual({
      connectionString: "127.0.0.1:9999",
      eventDelimiter: ";",
      sources: [
        {
          id: "default",
          ips: [],
          hostnames: [],
          replace: [],
          ignore: [],
          regexes: [{ name: "RE_USER", pattern: "user=(\\S+)", type: "CONTEXT", extract: "first", useForRetroscan: false, line: 6 }],
        },
        {
          id: "proxy",
          ips: ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
          hostnames: ["proxy01"],
          replace: [{ input: "\\\\=", output: "=", line: 10 }],
          ignore: [{ input: "^#", line: 11 }],
          regexes: [
            {
              name: "RE_URL",
              pattern: "url_1=(.*?)\\stest_event\\surl_2=(.*?)\\stest",
              type: "URL",
              extract: "all",
              concatenate: "#1#2",
              useForRetroscan: true,
              line: 13,
            },
            { name: "RE_WEBSENSE", pattern: "request\\=(.*?)(?:\\s|$)", type: "URL", extract: "first", useForRetroscan: false, line: 16 },
          ],
        },
      ],
    });
  });

  test("reads every OutputSettings element, including the `enable` spelling", () => {
    const { config, warnings } = conf(`<OutputSettings>
<EventFormat>Category=%Category%|MatchedIndicator=%MatchedIndicator%%RecordContext%</EventFormat>
<RecordFieldContextFormat><![CDATA[|%ParamName%=%ParamValue%]]></RecordFieldContextFormat>
<ActionableFieldContextFormat><![CDATA[ %ParamName%:%ParamValue%]]></ActionableFieldContextFormat>
<AlertFormat>%Date% alert=%Alert%%RecordContext%</AlertFormat>
<ConnectionString>udp://[2001:db8::5]:514</ConnectionString>
<AlertConnectionString enabled="true">192.0.2.10:9998</AlertConnectionString>
<FinishedEventFormat enable="false">LookupFinished</FinishedEventFormat>
<SendEventFilters>
<Filter attribute="ioc_supplier_context.popularity" value="5"/>
<Filter attribute="ioc_updated_timestamp" value="[%NOW%-3;%NOW%]"/>
</SendEventFilters>
<QueueSize>0</QueueSize>
</OutputSettings>`);
    expect(warnings).toEqual([]);
    expect(config.output).toEqual({
      eventFormat: "Category=%Category%|MatchedIndicator=%MatchedIndicator%%RecordContext%",
      recordFieldContextFormat: "|%ParamName%=%ParamValue%",
      actionableFieldContextFormat: " %ParamName%:%ParamValue%",
      alertFormat: "%Date% alert=%Alert%%RecordContext%",
      connectionString: "udp://[2001:db8::5]:514",
      alertConnectionString: { enabled: true, value: "192.0.2.10:9998" },
      finishedEventFormat: { enabled: false, value: "LookupFinished" },
      sendEventFilters: [
        { attribute: "ioc_supplier_context.popularity", value: "5" },
        { attribute: "ioc_updated_timestamp", value: "[%NOW%-3;%NOW%]" },
      ],
      queueSize: 0,
    });
  });

  test("reads escape= on every format element (ours); none is the default and is not stored", () => {
    const { config, warnings } = conf(`<OutputSettings>
<EventFormat escape="json">{"c":"%Category%"%RecordContext%}</EventFormat>
<RecordFieldContextFormat escape="JSON"><![CDATA[,"%ParamName%":"%ParamValue%"]]></RecordFieldContextFormat>
<ActionableFieldContextFormat escape="none"> %ParamName%:%ParamValue%</ActionableFieldContextFormat>
<AlertFormat escape="cef">CEF:0|V|P|1|1|A|4| reason=%Alert%</AlertFormat>
<FinishedEventFormat enabled="false" escape="leef">LEEF:1.0|V|P|1|LookupFinished|</FinishedEventFormat>
</OutputSettings>`);
    expect(warnings).toEqual([]);
    expect([config.output.escapes, config.output.finishedEventFormat]).toEqual([
      { event: "json", recordField: "json", alert: "cef", finished: "leef" },
      { enabled: false, value: "LEEF:1.0|V|P|1|LookupFinished|" },
    ]);
  });

  test("reads feeds with their fields, actionable fields and our additions", () => {
    const { config, warnings } = conf(`<Feeds per_scan_detect_limit="500" update_frequency="60" registry="../etc/kl_feed_info.conf">
<Feed filename="Botnet_CnC_URL_Data_Feed.json" confidence="80" outdated_alert_period="120" indicator_lifetime="0">
<ActionableFields>
<ActionableField name="threat" output_name="cs3"/>
<ActionableField name="popularity"/>
</ActionableFields>
<Field name="mask" type="URL" category="KL_BotnetCnC_URL"/>
<Field name="files/MD5" matching_type="Hash" input_regexp_to_match="RE_MD5"/>
</Feed>
<Feed filename="allow.tsv" enabled="false" allowlist="true" header="true" delimiter="|" category="Allowed"/>
</Feeds>`);
    expect(warnings).toEqual([]);
    expect(config.feeds).toEqual({
      perScanDetectLimit: 500,
      updateFrequencyMinutes: 60,
      registry: "/etc/etc/kl_feed_info.conf",
      feeds: [
        {
          filename: "Botnet_CnC_URL_Data_Feed.json",
          enabled: true,
          confidence: 80,
          format: "kaspersky",
          category: "Botnet_CnC_URL_Data_Feed",
          fields: [
            { name: "mask", type: "URL", category: "KL_BotnetCnC_URL" },
            { name: "files/MD5", type: "HASH", category: "Botnet_CnC_URL_Data_Feed" },
          ],
          actionableFields: [
            { name: "threat", outputName: "cs3" },
            { name: "popularity", outputName: "" },
          ],
          outdatedAlertPeriodHours: 120,
          indicatorLifetimeMinutes: 0,
          allowList: false,
          header: false,
          line: 3,
        },
        {
          filename: "allow.tsv",
          enabled: false,
          confidence: 100,
          format: "tsv",
          category: "Allowed",
          fields: [],
          actionableFields: [],
          indicatorLifetimeMinutes: 10080,
          allowList: true,
          header: true,
          delimiter: "|",
          line: 11,
        },
      ],
    });
  });

  test.each<[string, FeedFormat, boolean]>([
    ["feed.json", "kaspersky", false],
    ["feed.csv", "csv", true],
    ["feed.tsv", "tsv", false],
    ["trails.tsv.gz", "tsv", false],
    ["intel.intel", "zeek", false],
    ["ipsum.txt", "lines", false],
    ["no_extension", "lines", false],
  ])("picks the format of %s by its extension", (filename, format, header) => {
    const feed = conf(`<Feeds><Feed filename="${filename}"/></Feeds>`).config.feeds.feeds[0];
    expect([feed?.format, feed?.header]).toEqual([format, header]);
  });

  test("lets format= override the extension, and reads a TAB delimiter", () => {
    const feed = conf(`<Feeds><Feed filename="trails.txt" format="Maltrail" delimiter="\\t"/></Feeds>`).config.feeds.feeds[0];
    expect([feed?.format, feed?.delimiter]).toEqual(["maltrail", "\t"]);
  });

  test("reads ServiceSettings and resolves relative directories against the config's folder", () => {
    const { config, warnings } = conf(`<ServiceSettings>
<Bases>../bases</Bases>
<BasesBackup>/var/lib/ioclens/backup</BasesBackup>
<BasesDownload>download</BasesDownload>
<TemporaryDir>/tmp</TemporaryDir>
<OutdatedBasesAlertPeriod>120</OutdatedBasesAlertPeriod>
<ScannersCount>20</ScannersCount>
<ThreadsPerScanner>4</ThreadsPerScanner>
<EventSendingRetriesCount>0</EventSendingRetriesCount>
<EventSendingRetriesTimeout>60</EventSendingRetriesTimeout>
<FeedsRollbackEnabled>false</FeedsRollbackEnabled>
<StatusEndpoint><Listen>0.0.0.0:9997</Listen><Token>s3cret</Token></StatusEndpoint>
<MaxConnections>200</MaxConnections>
<IdleTimeout>0</IdleTimeout>
<StopDrainTimeout>20</StopDrainTimeout>
<ProxyProtocol>true</ProxyProtocol>
<Workers>3</Workers>
</ServiceSettings>`);
    expect(warnings).toEqual([
      `${SOURCE}:13: Configuration > ServiceSettings > StatusEndpoint: credentials cross the network in clear text on 0.0.0.0:9997: set CertificateFile and PrivateKeyFile for HTTPS`,
    ]);
    expect([config.service, config.status]).toEqual([
      {
        scannersCount: 20,
        threadsPerScanner: 4,
        eventSendingRetriesCount: 0,
        eventSendingRetriesTimeoutSeconds: 60,
        outdatedBasesAlertPeriodHours: 120,
        feedsRollbackEnabled: false,
        basesDir: "/etc/bases",
        basesBackupDir: "/var/lib/ioclens/backup",
        basesDownloadDir: "/etc/ioclens/download",
        temporaryDir: "/tmp",
        connections: { max: 200, idleTimeoutSeconds: 0, drainTimeoutSeconds: 20, proxyProtocol: true },
        workers: 3,
      },
      { enabled: true, listen: "0.0.0.0:9997", token: "s3cret" },
    ]);
  });

  test("reads the status endpoint's Basic credentials, HTTPS files (resolved against the config's folder) and lookup limits", () => {
    const { config, warnings } = conf(`<ServiceSettings><StatusEndpoint>
<Listen>0.0.0.0:9997</Listen>
<User>siem</User>
<Password>p:ss word</Password>
<CertificateFile>tls/cert.pem</CertificateFile>
<PrivateKeyFile>/etc/ssl/private/ioclens.key</PrivateKeyFile>
<MaxLookupObjects>50000</MaxLookupObjects>
<MaxLookupBodySize>2097152</MaxLookupBodySize>
<MaxConcurrentLookups>1</MaxConcurrentLookups>
</StatusEndpoint></ServiceSettings>`);
    expect({ status: config.status, warnings }).toEqual({
      status: {
        enabled: true,
        listen: "0.0.0.0:9997",
        lookupLimits: { maxObjects: 50_000, maxBodyBytes: 2_097_152, maxConcurrent: 1 },
        basicAuth: { user: "siem", password: "p:ss word" },
        tls: { certificateFile: "/etc/ioclens/tls/cert.pem", certificateLine: 6, privateKeyFile: "/etc/ssl/private/ioclens.key", privateKeyLine: 7 },
      },
      warnings: [],
    });
  });

  test("accepts EventSendingRetriesTimeout spelled with a Cyrillic е, as in Kaspersky's examples", () => {
    const { config, warnings } = parseServiceConfig(fixture("cyrillic_timeout.conf"), SOURCE);
    expect(warnings).toEqual([]);
    expect([config.service.eventSendingRetriesCount, config.service.eventSendingRetriesTimeoutSeconds]).toEqual([5, 25]);
  });

  test("warns once per unknown, unsupported or duplicate element and still loads", () => {
    const { config, warnings } = conf(`<Foo/>
<Detections enabled="false"/>
<EULA>accepted</EULA>
<ServiceSettings>
<ScannersCount>5</ScannersCount>
<ScannersCount>6</ScannersCount>
<Bar>1</Bar>
</ServiceSettings>
<Feeds><Feed filename="a.json" colour="red"/></Feeds>`);
    expect(config.service.scannersCount).toBe(5);
    expect(warnings).toEqual([
      `${SOURCE}:2: unknown element Configuration > Foo ignored`,
      `${SOURCE}:3: unsupported element Configuration > Detections ignored`,
      `${SOURCE}:7: duplicate element Configuration > ServiceSettings > ScannersCount ignored: the one at line 6 is used`,
      `${SOURCE}:8: unknown element Configuration > ServiceSettings > Bar ignored`,
      `${SOURCE}:10: unknown attribute colour of Configuration > Feeds > Feed ignored`,
    ]);
  });

  test("names the nearest known element or attribute in the warning about a typo", () => {
    const { config, warnings } = conf(`<InputSettings><ConectionString>127.0.0.1:1</ConectionString></InputSettings>
<Feeds><Feed filname="a.json" filename="b.json"/></Feeds>
<ServiceSettings><scannerscount>4</scannerscount><Colour>red</Colour></ServiceSettings>`);
    expect(config.input.connectionString).toBe("127.0.0.1:9999");
    expect(warnings).toEqual([
      `${SOURCE}:2: unknown element Configuration > InputSettings > ConectionString ignored: did you mean ConnectionString?`,
      `${SOURCE}:3: unknown attribute filname of Configuration > Feeds > Feed ignored: did you mean filename?`,
      `${SOURCE}:4: unknown element Configuration > ServiceSettings > scannerscount ignored: did you mean ScannersCount?`,
      `${SOURCE}:4: unknown element Configuration > ServiceSettings > Colour ignored`,
    ]);
  });

  test.each([
    ["<InputSettings><ConectionString>127.0.0.1:1</ConectionString></InputSettings>", "2: unknown element Configuration > InputSettings > ConectionString (--strict): did you mean ConnectionString?"],
    ['<Feeds><Feed filname="a.json"/></Feeds>', "2: unknown attribute filname of Configuration > Feeds > Feed (--strict): did you mean filename?"],
    ["<Frobnicate/>", "2: unknown element Configuration > Frobnicate (--strict): expected one of InputSettings, OutputSettings, Feeds, ServiceSettings, RetroScan, Domains, LookupSettings, Detections, GUISettings, HTTPServer, NotificationSettings, Plugins, EULA"],
    ["<OutputSettings><QueueSize>5<Extra/></QueueSize></OutputSettings>", "2: unknown element Configuration > OutputSettings > QueueSize > Extra (--strict): expected none here"],
  ])("strict: %s is a ConfigError", (inner, detail) => {
    const error = thrown(() => parseServiceConfig(`<Configuration>\n${inner}\n</Configuration>`, SOURCE, { strict: true }));
    expect([error instanceof ConfigError, error.message]).toEqual([true, `${SOURCE}:${detail}`]);
  });

  test("strict leaves unsupported and duplicate elements as warnings: they are known names", () => {
    const { warnings } = parseServiceConfig(`<Configuration><Detections/><ServiceSettings><ScannersCount>5</ScannersCount><ScannersCount>6</ScannersCount></ServiceSettings></Configuration>`, SOURCE, { strict: true });
    expect(warnings).toEqual([
      `${SOURCE}:1: unsupported element Configuration > Detections ignored`,
      `${SOURCE}:1: duplicate element Configuration > ServiceSettings > ScannersCount ignored: the one at line 1 is used`,
    ]);
  });

  test("warns about an update_frequency Kaspersky would not accept, and uses it", () => {
    const { config, warnings } = conf(`<Feeds update_frequency="45"/>`);
    expect(config.feeds.updateFrequencyMinutes).toBe(45);
    expect(warnings).toEqual([
      `${SOURCE}:2: attribute update_frequency of Configuration > Feeds is 45: Kaspersky accepts only 0, 30, 60, 120, 240, 480, 960, 1440, ioclens uses it as given`,
    ]);
  });

  test.each([
    ['Configuration > ServiceSettings > ScannersCount must be an integer from 1 to 20, got "21"', 3, "<ServiceSettings>\n<ScannersCount>21</ScannersCount></ServiceSettings>"],
    ['Configuration > ServiceSettings > Workers must be an integer from 1 to 256, got "0"', 3, "<ServiceSettings>\n<Workers>0</Workers></ServiceSettings>"],
    ['Configuration > ServiceSettings > Workers must be an integer from 1 to 256, got "two"', 3, "<ServiceSettings>\n<Workers>two</Workers></ServiceSettings>"],
    ['Configuration > ServiceSettings > Workers must be an integer from 1 to 256, got "257"', 3, "<ServiceSettings>\n<Workers>257</Workers></ServiceSettings>"],
    ['Configuration > ServiceSettings > EventSendingRetriesCount must be an integer from 0 to 10, got "11"', 3, "<ServiceSettings>\n<EventSendingRetriesCount>11</EventSendingRetriesCount></ServiceSettings>"],
    ['Configuration > ServiceSettings > EventSendingRetriesTimeout must be an integer from 0 to 60, got "61"', 3, "<ServiceSettings>\n<EventSendingRetriesTimeout>61</EventSendingRetriesTimeout></ServiceSettings>"],
    ['Configuration > ServiceSettings > FeedsRollbackEnabled must be true or false, got "yes"', 3, "<ServiceSettings>\n<FeedsRollbackEnabled>yes</FeedsRollbackEnabled></ServiceSettings>"],
    ['Configuration > ServiceSettings > StatusEndpoint needs a Token or User and Password when Listen is not a loopback address: found Listen "0.0.0.0:9997" and no credentials', 3, "<ServiceSettings>\n<StatusEndpoint><Listen>0.0.0.0:9997</Listen></StatusEndpoint></ServiceSettings>"],
    ['Configuration > ServiceSettings > StatusEndpoint > MaxConcurrentLookups must be an integer from 1 to 64, got "0"', 3, "<ServiceSettings>\n<StatusEndpoint><MaxConcurrentLookups>0</MaxConcurrentLookups></StatusEndpoint></ServiceSettings>"],
    ['Configuration > ServiceSettings > StatusEndpoint > MaxLookupBodySize must be an integer from 1024 to 1073741824, got "64M"', 3, "<ServiceSettings>\n<StatusEndpoint><MaxLookupBodySize>64M</MaxLookupBodySize></StatusEndpoint></ServiceSettings>"],
    ["Configuration > ServiceSettings > StatusEndpoint needs Password with User: Basic authentication takes both, found User and no Password", 3, "<ServiceSettings>\n<StatusEndpoint><User>siem</User></StatusEndpoint></ServiceSettings>"],
    ["Configuration > ServiceSettings > StatusEndpoint needs CertificateFile with PrivateKeyFile: HTTPS takes both PEM files, found PrivateKeyFile and no CertificateFile", 3, "<ServiceSettings>\n<StatusEndpoint><PrivateKeyFile>key.pem</PrivateKeyFile></StatusEndpoint></ServiceSettings>"],
    ['Configuration > OutputSettings > EventFormat attribute escape must be one of none, json, cef, leef, got "xml"', 3, "<OutputSettings>\n<EventFormat escape='xml'>x</EventFormat></OutputSettings>"],
    ['Configuration > Feeds > Feed attribute confidence must be an integer from 1 to 100, got "0"', 3, "<Feeds>\n<Feed filename='a.json' confidence='0'/></Feeds>"],
    ["Configuration > Feeds > Feed needs a non-empty filename attribute: found none", 3, "<Feeds>\n<Feed confidence='50'/></Feeds>"],
    ['Configuration > Feeds > Feed attribute format must be one of kaspersky, lines, csv, tsv, maltrail, zeek, misp, stix, taxii, misp-api, misp-feed, got "xml"', 3, "<Feeds>\n<Feed filename='a' format='xml'/></Feeds>"],
    ['Configuration > Feeds > Feed attribute delimiter must be one character, \\t or tab, got ";;"', 3, "<Feeds>\n<Feed filename='a' delimiter=';;'/></Feeds>"],
    ['Configuration > Feeds attribute per_scan_detect_limit must be an integer of at least 0, got "many"', 2, "<Feeds per_scan_detect_limit='many'/>"],
    ['Configuration > InputSettings > ConnectionString must be host:port, [IPv6]:port, a Unix socket path or \\\\.\\pipe\\name, got "9999"', 3, "<InputSettings>\n<ConnectionString>9999</ConnectionString></InputSettings>"],
    ['Configuration > OutputSettings > ConnectionString must be tcp://host:port, got "tcp://siem"', 3, "<OutputSettings>\n<ConnectionString>tcp://siem</ConnectionString></OutputSettings>"],
    ['Configuration > OutputSettings > ConnectionString must be host:port, [IPv6]:port, tcp://host:port, udp://host:port, file:PATH, a Unix socket path or \\\\.\\pipe\\name, got "file://"', 3, "<OutputSettings>\n<ConnectionString>file://</ConnectionString></OutputSettings>"],
    ['Configuration > InputSettings > RegExps needs a Source with id="default": found ids "proxy"', 2, "<InputSettings><RegExps>\n<Source id='proxy'><RE_URL>u=(.*)</RE_URL></Source></RegExps></InputSettings>"],
    ['Configuration > InputSettings > RegExps > Source id must be unique: found a second Source with id="default"', 4, "<InputSettings><RegExps>\n<Source id='default'/>\n<Source id='default'/></RegExps></InputSettings>"],
    ['Configuration > InputSettings > RegExps > Source > Category cannot be a regex: "Category" is a reserved pattern name (SourceId, MatchedIndicator, RecordContext, Category, ActionableFields, Confidence, IndicatorInfo, EventReceivedDate, Retroscan)', 3, "<InputSettings><RegExps><Source id='default'>\n<Category>c=(.*)</Category></Source></RegExps></InputSettings>"],
    ['Configuration > InputSettings > RegExps > Source > RE_X attribute type must be one of URL, MD5, SHA1, SHA256, HASH, IP, DOMAIN, CONTEXT, got "TEXT"', 3, "<InputSettings><RegExps><Source id='default'>\n<RE_X type='TEXT'>x</RE_X></Source></RegExps></InputSettings>"],
    ["Configuration > InputSettings > RegExps > Source > RE_X must hold a regular expression: found an empty element", 3, "<InputSettings><RegExps><Source id='default'>\n<RE_X/></Source></RegExps></InputSettings>"],
    ["Configuration > InputSettings > RegExps > Source > RE_X is defined twice in this Source: regex names must be unique", 3, "<InputSettings><RegExps><Source id='default'>\n<RE_X>a</RE_X><RE_X>b</RE_X></Source></RegExps></InputSettings>"],
  ])("reports: %s", (detail, line, inner) => {
    const error = thrown(() => conf(inner));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${SOURCE}:${line}: ${detail}`);
  });

  test.each([
    ["a regex element", "<InputSettings><RegExps><Source id='default'>\n<RE_BAD>(unclosed</RE_BAD></Source></RegExps></InputSettings>", "Configuration > InputSettings > RegExps > Source > RE_BAD"],
    ["a Replace rule", "<InputSettings><RegExps><Source id='default'><NormalizingRules>\n<Replace input='[a-' output=''/></NormalizingRules></Source></RegExps></InputSettings>", "Configuration > InputSettings > RegExps > Source > NormalizingRules > Replace attribute input"],
    ["EventDelimiter", "<InputSettings>\n<EventDelimiter>*x</EventDelimiter></InputSettings>", "Configuration > InputSettings > EventDelimiter"],
  ])("names %s whose regex does not compile", (_name, inner, path) => {
    const error = thrown(() => conf(inner)) as ConfigError;
    expect([error.line, error.elementPath]).toEqual([3, path]);
    expect(error.message).toStartWith(`${SOURCE}:3: ${path} is not a valid regular expression: `);
  });

  test("ignores ip= on the default Source with a warning", () => {
    const { config, warnings } = conf("<InputSettings><RegExps>\n<Source id='default' ip='10.0.0.1'/></RegExps></InputSettings>");
    expect(config.input.sources[0]?.ips).toEqual([]);
    expect(warnings).toEqual([`${SOURCE}:3: attribute ip of Configuration > InputSettings > RegExps > Source ignored: the default Source applies to every peer`]);
  });

  test("reports malformed XML as FILE:LINE", () => {
    expect(thrown(() => conf("<OutputSettings>\n<EventFormat>x</OutputSettings>")).message).toBe(
      `${SOURCE}:3: XML syntax error: Expected closing tag 'EventFormat' (opened in line 3, col 1) instead of closing tag 'OutputSettings'`,
    );
  });
});

describe("parseServiceConfig(): feeds from a URL", () => {
  const feeds = (inner: string, attributes = "") => conf(`<Feeds${attributes}>\n${inner}\n</Feeds>`).config.feeds;

  test("reads url and its companions, with defaults, resolving ca_file against the config's folder", () => {
    const settings = feeds(
      `<Feed url="https://feeds.example/ips.csv.zip?apikey=k" filename="ips.csv" refresh="60" proxy="http://proxy:3128" ca_file="ca.pem" timeout="120" connect_timeout="10" retries="4" zip_member="ips.csv">
  <Header name="Authorization">Bearer abc</Header>
  <Header name="X-Extra">1</Header>
</Feed>
<Feed url="https://feodotracker.abuse.ch/downloads/ipblocklist.csv"/>`,
      ' proxy="http://default-proxy:8080"',
    );
    expect(settings.feeds.map((f) => [f.filename, f.format, f.remote])).toEqual([
      [
        "ips.csv",
        "csv",
        {
          url: "https://feeds.example/ips.csv.zip?apikey=k",
          refreshMinutes: 60,
          headers: [{ name: "Authorization", value: "Bearer abc" }, { name: "X-Extra", value: "1" }],
          proxy: "http://proxy:3128",
          caFile: "/etc/ioclens/ca.pem",
          connectTimeoutSeconds: 10,
          timeoutSeconds: 120,
          retries: 4,
          zipMember: "ips.csv",
        },
      ],
      [
        "feodotracker.abuse.ch_ipblocklist.csv",
        "csv",
        { url: "https://feodotracker.abuse.ch/downloads/ipblocklist.csv", headers: [], proxy: "http://default-proxy:8080", connectTimeoutSeconds: 30, timeoutSeconds: 600, retries: 2 },
      ],
    ]);
    expect(settings.proxy).toBe("http://default-proxy:8080");
  });

  test.each([
    ["a URL that is not http(s)", `<Feed url="ftp://bob:pw@feeds.example/x"/>`, `Configuration > Feeds > Feed attribute url must be an http:// or https:// URL, got "ftp://feeds.example/x"`],
    ["a companion without url", `<Feed filename="x.txt" refresh="5"/>`, "Configuration > Feeds > Feed attribute refresh needs a url attribute: found none"],
    ["a Header without url", `<Feed filename="x.txt"><Header name="A">b</Header></Feed>`, "Configuration > Feeds > Feed element Header needs a url attribute: found none"],
    ["a bad header name", `<Feed url="https://a.example/x"><Header name="Bad Name">b</Header></Feed>`, `Configuration > Feeds > Feed > Header attribute name must be an HTTP header name, got "Bad Name"`],
    ["a bad proxy", `<Feed url="https://a.example/x" proxy="proxy:3128"/>`, `Configuration > Feeds > Feed attribute proxy must be http://host:port or none, got "proxy:3128"`],
    ["refresh 0", `<Feed url="https://a.example/x" refresh="0"/>`, `Configuration > Feeds > Feed attribute refresh must be an integer from 1 to 525600, got "0"`],
    ["two feeds on one copy", `<Feed url="https://a.example/x"/>\n<Feed url="https://a.example/y/x"/>`, "Configuration > Feeds > Feed downloads to a.example_x, which the Feed at line 3 uses too: give one a filename of its own"],
  ])("refuses %s, naming the element", (_name, inner, message) => {
    expect(thrown(() => feeds(inner)).message).toEndWith(message);
  });

  test("refuses a downloaded feed when the bases are the embedded demo set", () => {
    const error = thrown(() => conf(`<Feeds>\n<Feed url="https://a.example/x"/>\n</Feeds>\n<ServiceSettings><Bases>&lt;embedded&gt;</Bases></ServiceSettings>`)) as ConfigError;
    expect(error.message).toBe(`${SOURCE}:3: Configuration > Feeds > Feed with url needs ServiceSettings > Bases to be a folder to download into: found <embedded>`);
  });

  test("a header's value is never part of an error", () => {
    const error = thrown(() => feeds(`<Feed url="https://a.example/x"><Header name="Authorization">Bearer\nsecret</Header></Feed>`));
    expect(error.message).toEndWith("Configuration > Feeds > Feed > Header Authorization must be one line: found a line break in its value");
    expect(error.message).not.toContain("secret");
  });
});
