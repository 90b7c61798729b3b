/**
 * Indicator fields of the Kaspersky feeds the spec documents (cybertrace-service.md §4.6, §5.2),
 * used when neither the feed's config nor a registry names them, so a stock
 * `Demo_Botnet_CnC_URL_Data_Feed.json` loads with no extra setup.
 */
import type { FeedField } from "./feed_config.ts";

const url = (category: string): FeedField[] => [{ name: "mask", type: "URL", category }];
const ip = (category: string): FeedField[] => [{ name: "ip", type: "IP", category }];
const hashes = (prefix: string): FeedField[] => [
  { name: "MD5", type: "MD5", category: `${prefix}_MD5` },
  { name: "SHA1", type: "SHA1", category: `${prefix}_SHA1` },
  { name: "SHA256", type: "SHA256", category: `${prefix}_SHA256` },
];

const KNOWN: Readonly<Record<string, readonly FeedField[]>> = {
  Malicious_URL_Data_Feed: url("KL_Malicious_URL"),
  Phishing_URL_Data_Feed: url("KL_Phishing_URL"),
  Botnet_CnC_URL_Data_Feed: url("KL_BotnetCnC_URL"),
  Ransomware_URL_Data_Feed: url("KL_Ransomware_URL"),
  IoT_URL_Data_Feed: url("KL_IoT_URL"),
  APT_URL_Data_Feed: url("KL_APT_URL"),
  IP_Reputation_Data_Feed: ip("KL_IP_Reputation"),
  APT_IP_Data_Feed: ip("KL_APT_IP"),
  Malicious_Hash_Data_Feed: hashes("KL_Malicious_Hash"),
  Mobile_Malicious_Hash_Data_Feed: hashes("KL_Mobile_Malicious_Hash"),
  APT_Hash_Data_Feed: hashes("KL_APT_Hash"),
  ICS_Hash_Data_Feed: hashes("KL_ICS_Hash"),
};

/** Fields for a documented feed name; `Demo_` feeds share their full feed's fields. */
export function kasperskyFeedFields(name: string): readonly FeedField[] | undefined {
  return KNOWN[name.startsWith("Demo_") ? name.slice(5) : name];
}
