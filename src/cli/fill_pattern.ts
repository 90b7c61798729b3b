/**
 * Builds the line sent for one -s/-u/-i value from the scanner's Pattern
 * (`ip=%IP% md5=%MD5% sha1=%SHA1% sha256=%SHA256% url=%URL%`): the value goes into its own
 * placeholder and every other placeholder is left empty (spec log-scanner.md §7 q8).
 */
import { usageError } from "./cli_error.ts";

export type SingleValueKind = "hash" | "url" | "ip";

const HASH_BY_LENGTH: Readonly<Record<number, string>> = { 32: "MD5", 40: "SHA1", 64: "SHA256" };
const PLACEHOLDER = /%([A-Za-z0-9_]+)%/g;

/** Which placeholder a value fills; hashes by length. Throws a usage error for a bad hash. */
export function placeholderFor(kind: SingleValueKind, value: string): string {
  if (kind === "url") return "URL";
  if (kind === "ip") return "IP";
  const name = /^[0-9A-Fa-f]+$/.test(value) ? HASH_BY_LENGTH[value.length] : undefined;
  if (!name) {
    throw usageError(`-s/--hash needs an MD5, SHA1 or SHA256 in hex: got "${value}" (${value.length} characters), expected 32, 40 or 64 hex digits`);
  }
  return name;
}

/**
 * @example
 * ```ts
 * fillPattern("ip=%IP% url=%URL%", "url", "http://fakess123.nu"); // "ip= url=http://fakess123.nu"
 * ```
 */
export function fillPattern(pattern: string, kind: SingleValueKind, value: string): string {
  const target = placeholderFor(kind, value);
  return pattern.replace(PLACEHOLDER, (_, name: string) => (name.toUpperCase() === target ? value : ""));
}
