/**
 * The test records every Kaspersky feed carries (spec cybertrace-service.md §2.7), as the Splunk
 * app's verification sends them, in its order, with what the embedded config's demo feeds answer:
 * the category and the indicator as written in the feed (a URL feed's mask).
 */
export interface TestRecord {
  /** The feed name the Splunk app shows. */
  readonly feed: string;
  /** The value sent. */
  readonly value: string;
  readonly category: string;
  readonly matchedIndicator: string;
}

export const TEST_RECORDS: readonly TestRecord[] = [
  { feed: "Malicious_URL_Data_Feed", value: "http://fakess123.nu", category: "KL_Malicious_URL", matchedIndicator: "fakess123.nu" },
  { feed: "Phishing_URL_Data_Feed", value: "http://fakess123ap.nu", category: "KL_Phishing_URL", matchedIndicator: "fakess123ap.nu" },
  { feed: "Botnet_C&C_URL_Data_Feed", value: "http://a7396d61caffe18a4cffbb3b428c9b60.com", category: "KL_BotnetCnC_URL", matchedIndicator: "a7396d61caffe18a4cffbb3b428c9b60.com" },
  { feed: "IP_Reputation_Data_Feed", value: "192.0.2.0", category: "KL_IP_Reputation", matchedIndicator: "192.0.2.0" },
  { feed: "Malicious_Hash_Data_Feed", value: "C912705B4BBB14EC7E78FA8B370532C9", category: "KL_Malicious_Hash_MD5", matchedIndicator: "C912705B4BBB14EC7E78FA8B370532C9" },
  { feed: "Ransomware_URL_Data_Feed", value: "http://fakess123r.nu", category: "KL_Ransomware_URL", matchedIndicator: "fakess123r.nu" },
  { feed: "Mobile_Malicious_Hash_Data_Feed", value: "60300A92E1D0A55C7FDD360EE40A9DC1", category: "KL_Mobile_Malicious_Hash_MD5", matchedIndicator: "60300A92E1D0A55C7FDD360EE40A9DC1" },
  { feed: "Mobile_Botnet_Data_Feed", value: "001F6251169E6916C455495050A3FB8D", category: "KL_Mobile_BotnetCnC_Hash_MD5", matchedIndicator: "001F6251169E6916C455495050A3FB8D" },
  { feed: "DEMO Botnet_C&C_URL_Data_Feed", value: "http://5a015004f9fc05290d87e86d69c4b237.com", category: "KL_BotnetCnC_URL", matchedIndicator: "5a015004f9fc05290d87e86d69c4b237.com" },
  { feed: "DEMO IP_Reputation_Data_Feed", value: "192.0.2.1", category: "KL_IP_Reputation", matchedIndicator: "192.0.2.1" },
  { feed: "DEMO Malicious_Hash_Data_Feed", value: "776735A8CA96DB15B422879DA599F474", category: "KL_Malicious_Hash_MD5", matchedIndicator: "776735A8CA96DB15B422879DA599F474" },
  { feed: "APT_URL_Data_Feed", value: "http://b046f5b25458638f6705d53539c79f62.com", category: "KL_APT_URL", matchedIndicator: "b046f5b25458638f6705d53539c79f62.com" },
  { feed: "APT_Hash_Data_Feed", value: "7A2E65A0F70EE0615EC0CA34240CF082", category: "KL_APT_Hash_MD5", matchedIndicator: "7A2E65A0F70EE0615EC0CA34240CF082" },
  { feed: "APT_IP_Data_Feed", value: "192.0.2.4", category: "KL_APT_IP", matchedIndicator: "192.0.2.4" },
  { feed: "IoT_URL_Data_Feed", value: "http://e593461621ee0f9134c632d00bf108fd.com/.i", category: "KL_IoT_URL", matchedIndicator: "e593461621ee0f9134c632d00bf108fd.com/.i" },
  { feed: "Vulnerability_Data_Feed", value: "D8C1F5B4AD32296649FF46027177C594", category: "KL_Vulnerability_Hash_MD5", matchedIndicator: "D8C1F5B4AD32296649FF46027177C594" },
  { feed: "ICS_Hash_Data_Feed", value: "7A8F30B40C6564EFF95E678F7C43346C", category: "KL_ICS_Hash_MD5", matchedIndicator: "7A8F30B40C6564EFF95E678F7C43346C" },
];
