/**
 * The built-in service configuration and the demo feeds it names, compiled into the program.
 *
 * Text imports (`with { type: "text" }`) work unchanged under Bun and under Deno 2.9 (no
 * `--unstable-raw-imports` needed there any more). The feeds are imported as JSON, because
 * `tsc` types a `.json` module by its content even under a text import, and re-serialised.
 */
import defaultServiceConf from "./defaults/default_service.conf" with { type: "text" };
import aptHash from "./defaults/Demo_APT_Hash_Data_Feed.json" with { type: "json" };
import aptIp from "./defaults/Demo_APT_IP_Data_Feed.json" with { type: "json" };
import aptUrl from "./defaults/Demo_APT_URL_Data_Feed.json" with { type: "json" };
import botnetCnc from "./defaults/Demo_Botnet_CnC_URL_Data_Feed.json" with { type: "json" };
import icsHash from "./defaults/Demo_ICS_Hash_Data_Feed.json" with { type: "json" };
import ipReputation from "./defaults/Demo_IP_Reputation_Data_Feed.json" with { type: "json" };
import iotUrl from "./defaults/Demo_IoT_URL_Data_Feed.json" with { type: "json" };
import maliciousHash from "./defaults/Demo_Malicious_Hash_Data_Feed.json" with { type: "json" };
import maliciousUrl from "./defaults/Demo_Malicious_URL_Data_Feed.json" with { type: "json" };
import mobileBotnet from "./defaults/Demo_Mobile_Botnet_Data_Feed.json" with { type: "json" };
import mobileHash from "./defaults/Demo_Mobile_Malicious_Hash_Data_Feed.json" with { type: "json" };
import phishingUrl from "./defaults/Demo_Phishing_URL_Data_Feed.json" with { type: "json" };
import ransomwareUrl from "./defaults/Demo_Ransomware_URL_Data_Feed.json" with { type: "json" };
import vulnerability from "./defaults/Demo_Vulnerability_Data_Feed.json" with { type: "json" };

/** The `Bases` value (and `basesDir`) that names the feeds compiled into the program. */
export const EMBEDDED_BASES = "<embedded>";

/**
 * The complete default `kl_feed_service.conf` (XML), used when the service gets no config.
 * Its `Bases` is `<embedded>`: feed filenames are looked up in {@link EMBEDDED_FEEDS}.
 *
 * @example
 * ```ts
 * import { parseServiceConfig } from "./parse_service_config.ts";
 * const { config } = parseServiceConfig(DEFAULT_SERVICE_CONFIG_TEXT, "<embedded>");
 * config.input.connectionString; // "127.0.0.1:9999"
 * ```
 */
export const DEFAULT_SERVICE_CONFIG_TEXT: string = defaultServiceConf;

/**
 * Demo feeds in Kaspersky JSON format (an array of records), by filename. They hold the test
 * records of every Kaspersky feed (spec cybertrace-service.md §2.7), one feed per category.
 *
 * @example
 * ```ts
 * const records = JSON.parse(EMBEDDED_FEEDS.get("Demo_Malicious_URL_Data_Feed.json") ?? "[]");
 * records[0].mask; // "fakess123.nu"
 * ```
 */
export const EMBEDDED_FEEDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    "Demo_Malicious_URL_Data_Feed.json": maliciousUrl,
    "Demo_Phishing_URL_Data_Feed.json": phishingUrl,
    "Demo_Botnet_CnC_URL_Data_Feed.json": botnetCnc,
    "Demo_Ransomware_URL_Data_Feed.json": ransomwareUrl,
    "Demo_IoT_URL_Data_Feed.json": iotUrl,
    "Demo_APT_URL_Data_Feed.json": aptUrl,
    "Demo_IP_Reputation_Data_Feed.json": ipReputation,
    "Demo_APT_IP_Data_Feed.json": aptIp,
    "Demo_Malicious_Hash_Data_Feed.json": maliciousHash,
    "Demo_Mobile_Malicious_Hash_Data_Feed.json": mobileHash,
    "Demo_Mobile_Botnet_Data_Feed.json": mobileBotnet,
    "Demo_APT_Hash_Data_Feed.json": aptHash,
    "Demo_ICS_Hash_Data_Feed.json": icsHash,
    "Demo_Vulnerability_Data_Feed.json": vulnerability,
  }).map(([name, records]) => [name, `[\n${records.map((record) => `  ${JSON.stringify(record)}`).join(",\n")}\n]\n`]),
);
