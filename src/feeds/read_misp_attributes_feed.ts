/**
 * Reads MISP attributes: a restSearch answer (`{"response": {"Attribute": […]}}`), a MISP feed's
 * event file (`{"Event": {"Attribute": […], "Object": [{"Attribute": […]}]}}`), or the merged
 * document the MISP clients (poll_misp_api.ts, poll_misp_feed.ts) keep as a feed's copy
 * (`{"Attribute": […]}`). Only attributes marked `to_ids` become entries.
 */
import type { FeedConfig, FeedFieldType } from "./feed_config.ts";
import type { Fields } from "../matching/types.ts";
import { classifyValue, quote } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { readJson } from "./_input.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

/** A MISP attribute as far as indexing needs it. */
export interface MispAttribute {
  readonly uuid?: string;
  readonly type?: string;
  readonly category?: string;
  readonly value?: string;
  readonly to_ids?: boolean | string | number;
  readonly deleted?: boolean | string | number;
  readonly timestamp?: string | number;
  readonly comment?: string;
  readonly event_id?: string;
  readonly event_uuid?: string;
  readonly Event?: { readonly info?: string; readonly uuid?: string };
  readonly [key: string]: unknown;
}

/**
 * Which parts of a MISP value hold what: `ip-dst|port` is an address and a port, `filename|md5`
 * a file name and a hash. `field` parts become context fields; the others are indexed.
 */
const TYPES: Readonly<Record<string, readonly (FeedFieldType | { field: string })[]>> = {
  "ip-src": ["IP"],
  "ip-dst": ["IP"],
  "ip-src|port": ["IP", { field: "port" }],
  "ip-dst|port": ["IP", { field: "port" }],
  domain: ["DOMAIN"],
  hostname: ["DOMAIN"],
  "hostname|port": ["DOMAIN", { field: "port" }],
  "domain|ip": ["DOMAIN", "IP"],
  url: ["URL"],
  md5: ["MD5"],
  sha1: ["SHA1"],
  sha256: ["SHA256"],
  "filename|md5": [{ field: "filename" }, "MD5"],
  "filename|sha1": [{ field: "filename" }, "SHA1"],
  "filename|sha256": [{ field: "filename" }, "SHA256"],
};

/**
 * Why an attribute yields no entry (`deleted`, `not to_ids`, `type not indexed`), or undefined
 * when it yields one. The MISP clients keep only attributes with no reason in a copy, and count
 * the others by reason, so a MISP full of e-mail or registry attributes does not read as a feed
 * of mostly skipped records.
 */
export function mispLeftOut(attribute: MispAttribute): string | undefined {
  if (mispFlag(attribute.deleted)) return "deleted";
  if (!mispFlag(attribute.to_ids)) return "not to_ids";
  return Object.hasOwn(TYPES, String(attribute.type)) ? undefined : "type not indexed";
}

/** MISP's JSON writes booleans as true, "1" or 1 depending on version and endpoint. */
export function mispFlag(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "true";
}

/**
 * The attributes of a parsed MISP document of any of the three shapes, each with its event's
 * `info` and `uuid` when the document has them; undefined when the shape is none of them.
 */
export function mispAttributes(document: unknown): MispAttribute[] | undefined {
  const doc = document as { Attribute?: unknown; response?: { Attribute?: unknown }; Event?: unknown } | null;
  if (typeof doc !== "object" || doc === null) return undefined;
  if (Array.isArray(doc.Attribute)) return doc.Attribute as MispAttribute[];
  if (typeof doc.response === "object" && doc.response !== null && Array.isArray(doc.response.Attribute)) return doc.response.Attribute as MispAttribute[];
  if (typeof doc.Event === "object" && doc.Event !== null) return eventAttributes(doc.Event as MispEvent);
  return undefined;
}

interface MispEvent {
  readonly uuid?: string;
  readonly info?: string;
  readonly Attribute?: readonly MispAttribute[];
  readonly Object?: readonly { readonly Attribute?: readonly MispAttribute[] }[];
}

/** An event's own attributes and those of its objects, each tagged with the event's uuid and info. */
export function eventAttributes(event: MispEvent): MispAttribute[] {
  const all = [...(event.Attribute ?? []), ...(event.Object ?? []).flatMap((object) => object.Attribute ?? [])];
  return all.map((attribute) => ({ ...attribute, ...(event.uuid === undefined ? {} : { event_uuid: event.uuid }), ...(event.info === undefined ? {} : { Event: { info: event.info } }) }));
}

/**
 * Hands over one entry per indexable part of each `to_ids` attribute that is not deleted:
 * `ip-src`/`ip-dst` (with `|port`), `domain`, `hostname`, `domain|ip`, `url`, `md5`, `sha1`,
 * `sha256` and `filename|…` hashes. Others are skipped as `attribute N` with the reason.
 * Fields: `type`, `category`, `event_info`, `event_uuid`, `comment`, `uuid`, and the `port` or
 * `filename` of a composite value.
 *
 * @example
 * ```ts
 * const answer = '{"response":{"Attribute":[{"type":"ip-dst","value":"192.0.2.1","to_ids":true}]}}';
 * await readMispAttributesFeed(answer, config, { onSkip, onEntry }); // IP 192.0.2.1
 * ```
 */
export async function readMispAttributesFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const document = await readJson(input, config.limits, "Invalid MISP document");
  const attributes = mispAttributes(document);
  if (attributes === undefined) throw new FeedError("Invalid MISP document: expected {\"response\": {\"Attribute\": [...]}}, {\"Event\": {...}} or {\"Attribute\": [...]}");
  const category = config.fields[0]?.category || undefined;
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i]!;
    const where = `attribute ${i + 1}`;
    if (typeof attribute !== "object" || attribute === null) {
      context.onSkip({ where, reason: "not an object" });
      continue;
    }
    if (!mispFlag(attribute.to_ids) || mispFlag(attribute.deleted)) {
      context.onSkip({ where, reason: mispFlag(attribute.deleted) ? "deleted attribute" : "not marked to_ids" });
      continue;
    }
    const parts = TYPES[String(attribute.type)];
    if (parts === undefined || typeof attribute.value !== "string") {
      context.onSkip({ where, reason: parts === undefined ? `unsupported attribute type: ${quote(String(attribute.type))}` : "attribute without a value" });
      continue;
    }
    const values = parts.length === 1 ? [attribute.value] : attribute.value.split("|");
    if (values.length !== parts.length) {
      context.onSkip({ where, reason: `${quote(attribute.value)} is not ${parts.length} values joined by "|" as type ${attribute.type} needs` });
      continue;
    }
    const fields = contextOf(attribute, parts, values);
    parts.forEach((part, n) => {
      if (typeof part !== "string") return;
      const classified = classifyValue(part, values[n]!);
      if (typeof classified === "string") context.onSkip({ where, reason: classified });
      else emitEntry(context, { kind: classified.kind, value: classified.value, fields, category }, "attribute", i + 1);
    });
  }
}

function contextOf(attribute: MispAttribute, parts: readonly (FeedFieldType | { field: string })[], values: readonly string[]): Fields {
  const fields: [string, string][] = [];
  const add = (name: string, value: unknown) => {
    if (typeof value === "string" && value !== "") fields.push([name, value]);
  };
  add("type", attribute.type);
  add("category", attribute.category);
  add("event_info", attribute.Event?.info);
  add("event_uuid", attribute.event_uuid ?? attribute.Event?.uuid);
  add("comment", attribute.comment);
  add("uuid", attribute.uuid);
  parts.forEach((part, n) => {
    if (typeof part !== "string") add(part.field, values[n]);
  });
  return fields;
}
