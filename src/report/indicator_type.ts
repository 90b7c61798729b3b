/** Works out what kind of indicator a detection is about. */
import { isIP } from "node:net";
import type { IndicatorType } from "./record.ts";

const HEX = /^[0-9a-fA-F]+$/;
const DOMAIN = /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z][a-z0-9-]*\.?$/i;

/**
 * The indicator type from the category suffix (`KL_Malicious_Hash_SHA256` → sha256,
 * `KL_APT_URL` → url, `KL_IP_Reputation` → ip), else from the value's shape.
 *
 * @example Usage
 * ```ts
 * import { indicatorType } from "./indicator_type.ts";
 * indicatorType("KL_Malicious_URL", "bad.example/*"); // "url"
 * indicatorType("", "44D88612FEA8A8F36DE82E1278ABB02F"); // "md5"
 * ```
 */
export function indicatorType(category: string, value: string): IndicatorType {
  const c = category.toLowerCase();
  if (c.endsWith("sha256")) return "sha256";
  if (c.endsWith("sha1")) return "sha1";
  if (c.endsWith("md5")) return "md5";
  if (c.endsWith("_url")) return "url";
  if (c.endsWith("_ip") || c.includes("ip_reputation")) return "ip";
  if (c.endsWith("_domain")) return "domain";
  return typeFromValue(value);
}

function typeFromValue(raw: string): IndicatorType {
  const v = raw.trim();
  if (v === "") return "unknown";
  if (HEX.test(v)) {
    if (v.length === 32) return "md5";
    if (v.length === 40) return "sha1";
    if (v.length === 64) return "sha256";
  }
  const slash = v.indexOf("/");
  const bare = slash > 0 && /^\d+$/.test(v.slice(slash + 1)) ? v.slice(0, slash) : v;
  if (isIP(bare) !== 0 || isIP(bare.replace(/^\[|\]$/g, "")) !== 0) return "ip";
  if (v.includes("/") || v.includes("*") || v.includes("?") || v.includes(":")) return "url";
  if (DOMAIN.test(v)) return "domain";
  return "unknown";
}
