/** Picks the lookup type of a bare value (REST lookups, spec §7.4 `http_single_lookup`). */
import type { LookupType } from "../matching/types.ts";

const HEX = /^[0-9A-Fa-f]+$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function detectLookupType(value: string): LookupType {
  if ((value.length === 32 || value.length === 40 || value.length === 64) && HEX.test(value)) return "HASH";
  if (IPV4.test(value) || (value.includes(":") && !value.includes("/") && !value.includes(".") && /^[0-9A-Fa-f:]+$/.test(value))) return "IP";
  if (value.includes("/") || value.includes("?") || value.includes(":")) return "URL";
  return "DOMAIN";
}
