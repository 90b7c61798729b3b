/**
 * Reads a MISP warning list (`lists/<name>/list.json`): values known to be benign, usually
 * configured as an allow-list that suppresses detections.
 */
import type { FeedConfig } from "./feed_config.ts";
import type { Fields, IndicatorKind } from "../matching/types.ts";
import { classifyValue, quote } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { readJson } from "./_input.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

/**
 * Hands over one entry per `list` value: type `string` detects each value's kind (hash, IP, URL,
 * domain), `cidr` gives IP (single addresses and networks), `hostname` gives DOMAIN. Types
 * `substring` and `regex` cannot be indexed and fail the whole feed. Every entry carries the
 * fields `name` and `version` of the list. Values that fit no kind are skipped as `item N`.
 *
 * @example
 * ```ts
 * const list = '{"name":"RFC 5737","type":"cidr","list":["192.0.2.0/24"]}';
 * await readMispFeed(list, config, { onSkip, onEntry }); // IP 192.0.2.0/24
 * ```
 */
export async function readMispFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const document = await readJson(input, config.limits, "Invalid MISP warning list");
  if (typeof document !== "object" || document === null || !Array.isArray((document as { list?: unknown }).list)) {
    throw new FeedError("Invalid MISP warning list: expected an object with a list array");
  }
  const { list, type, name, version, matching_attributes } = document as { list: unknown[]; type?: unknown; name?: unknown; version?: unknown; matching_attributes?: unknown };
  const listType = type ?? "string";
  const fieldType = listType === "string" ? "AUTO" : listType === "cidr" ? "IP" : listType === "hostname" ? "DOMAIN" : undefined;
  if (fieldType === undefined) {
    throw new FeedError(`Unsupported MISP warning list type: got ${quote(String(listType))}, expected string, cidr or hostname`);
  }
  const fields: Fields = [
    ["name", typeof name === "string" ? name : ""],
    ["version", version === undefined || version === null ? "" : String(version)],
  ];
  const category = config.fields[0]?.category || undefined;
  const allowed = listType === "string" ? kindsOf(matching_attributes) : undefined;
  for (let i = 0; i < list.length; i++) {
    const where = `item ${i + 1}`;
    const value = list[i];
    if (typeof value !== "string") {
      context.onSkip({ where, reason: `not a string: found ${value === null ? "null" : typeof value}` });
      continue;
    }
    const classified = classifyValue(fieldType, value);
    if (typeof classified === "string") {
      context.onSkip({ where, reason: classified });
      continue;
    }
    if (allowed !== undefined && !allowed.has(classified.kind)) {
      context.onSkip({ where, reason: `${quote(value)} reads as ${classified.kind}, which the list's matching_attributes do not name` });
      continue;
    }
    emitEntry(context, { kind: classified.kind, value: classified.value, fields, category }, "item", i + 1);
  }
}

/** MISP attribute types by the indicator kind their values are. */
const KIND_OF_ATTRIBUTE: Readonly<Record<string, IndicatorKind>> = {
  "ip-src": "IP",
  "ip-dst": "IP",
  "ip-src|port": "IP",
  "ip-dst|port": "IP",
  domain: "DOMAIN",
  hostname: "DOMAIN",
  url: "URL",
  uri: "URL",
  link: "URL",
  md5: "MD5",
  "filename|md5": "MD5",
  sha1: "SHA1",
  "filename|sha1": "SHA1",
  sha256: "SHA256",
  "filename|sha256": "SHA256",
};

/**
 * The kinds a `string` list's `matching_attributes` allow, or undefined when it names none: the
 * hash lists name only hash types, so the ssdeep hash `3::` of an empty file is not taken for
 * the IPv6 address it looks like.
 */
function kindsOf(matching: unknown): Set<IndicatorKind> | undefined {
  if (!Array.isArray(matching) || matching.length === 0) return undefined;
  const kinds = new Set<IndicatorKind>();
  for (const attribute of matching) {
    if (attribute === "domain|ip") kinds.add("DOMAIN").add("IP");
    const kind = KIND_OF_ATTRIBUTE[String(attribute)];
    if (kind !== undefined) kinds.add(kind);
  }
  return kinds;
}
