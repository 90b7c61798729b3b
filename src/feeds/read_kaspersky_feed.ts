/**
 * Reads a Kaspersky Threat Data Feed: a JSON array of records (spec cybertrace-service.md §5.1).
 * The configured fields say which record paths hold indicators; every other field becomes the
 * entry's context.
 */
import { DEFAULT_FEED_LIMITS, type FeedConfig, type FeedField } from "./feed_config.ts";
import type { Fields } from "../matching/types.ts";
import { classifyValue } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { type JsonItem, jsonArrayItems } from "./_json_array_items.ts";
import { textChunks } from "./_input.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

/** Joins the values of an array field and of one path across an array of objects (`geo=ru, ua`). */
export const ARRAY_JOINER = ", ";

/**
 * Hands over one entry per indicator value found at each `config.fields` path. Paths use `/` and
 * pass through arrays, so `files/MD5` on two file objects yields two entries. A record's context
 * is every other path in source order, nested names joined with `/`, array values with `, `.
 * A record that is not an object, is not valid JSON, or has no indicator is skipped as
 * `record N`, and so is each indicator value that fits no kind (a HASH of another length).
 * Empty values count as absent.
 *
 * @example Two hashes of one record
 * ```ts
 * const config = { ...feed, fields: [{ name: "files/MD5", type: "MD5", category: "KL_Hash" }] };
 * const json = '[{"id":1,"files":[{"MD5":"0CC1..."},{"MD5":"5D41..."}]}]';
 * await readKasperskyFeed(json, config, { onSkip, onEntry: (entry) => void console.log(entry.value) });
 * ```
 */
export async function readKasperskyFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const mapping = config.fields;
  if (mapping.length === 0) {
    throw new FeedError(`No indicator fields for feed ${config.filename}: configure Field elements or a feed registry entry`);
  }
  const categories = mapping.map((field) => (field.category === "" ? undefined : field.category));
  let record = 0;
  const read = (item: JsonItem): void => {
    record++;
    const where = `record ${record}`;
    let value: unknown;
    try {
      value = JSON.parse(item.text);
    } catch (error) {
      context.onSkip({ where, reason: `invalid JSON at line ${item.line}: ${(error as Error).message}` });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      context.onSkip({ where, reason: `not an object: found ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}` });
      return;
    }
    const flat = new Map<string, string[]>();
    flatten(value, "", flat);
    let found = 0;
    let all: [string, string][] | undefined;
    for (let f = 0; f < mapping.length; f++) {
      const field = mapping[f] as FeedField;
      const values = flat.get(field.name);
      if (values === undefined) continue;
      let others: Fields | undefined;
      for (const raw of values) {
        if (raw.trim() === "") continue; // an empty value is an absent one
        found++;
        const classified = classifyValue(field.type, raw);
        if (typeof classified === "string") {
          context.onSkip({ where, reason: `${field.name}: ${classified}` });
          continue;
        }
        all ??= [...flat].map(([name, parts]) => [name, parts.join(ARRAY_JOINER)]);
        others ??= all.filter(([name]) => name !== field.name);
        const fields: Fields = classified.port === undefined ? others : [...others, ["port", classified.port]];
        emitEntry(context, { kind: classified.kind, value: classified.value, fields, category: categories[f] }, "record", record);
      }
    }
    if (found === 0) {
      const names = mapping.map((field) => field.name).join(", ");
      context.onSkip({ where, reason: `no indicator field: expected one of ${names}` });
    }
  };
  const limits = config.limits ?? DEFAULT_FEED_LIMITS;
  for await (const items of jsonArrayItems(textChunks(input, limits), limits.maxRecordLength)) {
    for (let i = 0; i < items.length; i++) read(items[i]!);
  }
}

/** Records path -> scalar values in source order; arrays add no path segment. */
function flatten(value: unknown, path: string, out: Map<string, string[]>): void {
  if (Array.isArray(value)) {
    for (const item of value) flatten(item, path, out);
    return;
  }
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) {
      flatten((value as Record<string, unknown>)[key], path === "" ? key : `${path}/${key}`, out);
    }
    return;
  }
  const text = value === null ? "" : String(value);
  const list = out.get(path);
  if (list === undefined) out.set(path, [text]);
  else list.push(text);
}
