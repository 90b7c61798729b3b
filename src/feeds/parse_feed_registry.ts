/**
 * Parses a feed registry in the style of CyberTrace 4.x `kl_feed_info.conf` (spec
 * cybertrace-service.md §3.4, §5.3): which fields of a Kaspersky JSON feed hold indicators.
 */
import type { FeedField, FeedFieldType } from "./feed_config.ts";
import { quote } from "./_classify.ts";
import { FeedError } from "./feed_error.ts";

/** Feed name (file name without `.json`) → its indicator fields. */
export type FeedRegistry = ReadonlyMap<string, readonly FeedField[]>;

const TYPES: readonly FeedFieldType[] = ["URL", "DOMAIN", "IP", "MD5", "SHA1", "SHA256", "HASH", "AUTO"];

/**
 * Reads `[{name, fields: [{name, type, category}], ...}]`. Other keys (`id`, `description`,
 * `verification`) are accepted and ignored. Throws FeedError naming `source` and the entry.
 *
 * @example
 * ```ts
 * const registry = parseFeedRegistry('[{"name":"Botnet_CnC_URL_Data_Feed","fields":' +
 *   '[{"name":"mask","type":"URL","category":"KL_BotnetCnC_URL"}]}]', "kl_feed_info.conf");
 * registry.get("Botnet_CnC_URL_Data_Feed"); // [{ name: "mask", type: "URL", category: "KL_BotnetCnC_URL" }]
 * ```
 */
export function parseFeedRegistry(text: string, source: string): FeedRegistry {
  let document: unknown;
  try {
    document = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new FeedError(`Invalid feed registry ${source}: ${(error as Error).message}`);
  }
  if (!Array.isArray(document)) throw new FeedError(`Invalid feed registry ${source}: expected a JSON array of feeds`);
  const registry = new Map<string, readonly FeedField[]>();
  document.forEach((feed: unknown, i) => {
    const at = `Invalid feed registry ${source}: feed ${i + 1}`;
    if (typeof feed !== "object" || feed === null) throw new FeedError(`${at}: expected an object`);
    const { name, fields } = feed as { name?: unknown; fields?: unknown };
    if (typeof name !== "string" || name === "") throw new FeedError(`${at}: name must be a non-empty string`);
    if (!Array.isArray(fields)) throw new FeedError(`${at} (${name}): fields must be an array`);
    registry.set(
      name,
      fields.map((field: unknown, f) => {
        const where = `${at} (${name}): fields[${f}]`;
        const { name: path, type, category } = (field ?? {}) as { name?: unknown; type?: unknown; category?: unknown };
        if (typeof path !== "string" || path === "") throw new FeedError(`${where}: name must be a non-empty string`);
        const upper = typeof type === "string" ? type.toUpperCase() : type;
        if (!TYPES.includes(upper as FeedFieldType)) {
          throw new FeedError(`${where}: type must be one of ${TYPES.join(", ")}, got ${quote(String(type))}`);
        }
        return { name: path, type: upper as FeedFieldType, category: typeof category === "string" ? category : "" };
      }),
    );
  });
  return registry;
}
