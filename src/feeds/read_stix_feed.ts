/**
 * Reads a STIX 2.1 bundle (2.0 works too): `indicator` objects whose pattern is one simple
 * equality, or several joined by OR, on a URL, domain, IP address or file hash.
 */
import type { FeedConfig } from "./feed_config.ts";
import type { Fields, IndicatorKind } from "../matching/types.ts";
import { classifyValue, quote } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { readJson } from "./_input.ts";
import { FeedError } from "./feed_error.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

/** Object paths a pattern may compare, hash names upper-cased and unquoted. */
const PATHS: Readonly<Record<string, IndicatorKind>> = {
  "url:value": "URL",
  "domain-name:value": "DOMAIN",
  "ipv4-addr:value": "IP",
  "ipv6-addr:value": "IP",
  "file:hashes.MD5": "MD5",
  "file:hashes.SHA-1": "SHA1",
  "file:hashes.SHA1": "SHA1",
  "file:hashes.SHA-256": "SHA256",
  "file:hashes.SHA256": "SHA256",
};

/** Indicator properties copied into the context, in this order, when present. */
const CONTEXT = ["id", "name", "description", "indicator_types", "labels", "valid_from", "valid_until", "confidence", "created", "modified"];

/**
 * Hands over one entry per comparison of each indicator's pattern: `[url:value = '...']`,
 * `[ipv4-addr:value = '...']`, `[ipv6-addr:value = '...']`, `[domain-name:value = '...']`,
 * `[file:hashes.'SHA-256' = '...']` (and MD5, SHA-1), joined by OR inside or between
 * brackets. Patterns with AND, other operators, qualifiers or object paths, non-STIX pattern
 * types and revoked indicators are skipped as `object N` (the position in `objects`);
 * objects that are not indicators are ignored. Fields: id, name, description, indicator_types,
 * labels, valid_from, valid_until, confidence, created, modified.
 *
 * @example
 * ```ts
 * const bundle = '{"type":"bundle","objects":[{"type":"indicator","pattern_type":"stix",' +
 *   `"pattern":"[domain-name:value = 'bad.example']"}]}`;
 * await readStixFeed(bundle, config, { onSkip, onEntry }); // DOMAIN bad.example
 * ```
 */
export async function readStixFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const document = await readJson(input, config.limits, "Invalid STIX bundle");
  const objects = Array.isArray(document) ? document : (document as { objects?: unknown } | null)?.objects;
  if (!Array.isArray(objects)) throw new FeedError("Invalid STIX bundle: expected an object with an objects array");
  const category = config.fields[0]?.category || undefined;
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i] as Record<string, unknown> | null;
    if (typeof object !== "object" || object === null || object.type !== "indicator") continue;
    const where = `object ${i + 1}`;
    const patternType = object.pattern_type ?? "stix";
    if (patternType !== "stix") {
      context.onSkip({ where, reason: `unsupported pattern type: ${quote(String(patternType))}` });
      continue;
    }
    if (object.revoked === true) {
      context.onSkip({ where, reason: "revoked indicator" });
      continue;
    }
    if (typeof object.pattern !== "string") {
      context.onSkip({ where, reason: "indicator without a pattern" });
      continue;
    }
    const comparisons = parsePattern(object.pattern);
    if (typeof comparisons === "string") {
      context.onSkip({ where, reason: comparisons });
      continue;
    }
    const fields = contextOf(object);
    for (const { path, value } of comparisons) {
      const kind = PATHS[path];
      if (kind === undefined) {
        context.onSkip({ where, reason: `unsupported object path: ${quote(path)}` });
        continue;
      }
      const classified = classifyValue(kind, value);
      if (typeof classified === "string") {
        context.onSkip({ where, reason: classified });
        continue;
      }
      emitEntry(context, { kind: classified.kind, value: classified.value, fields, category }, "object", i + 1);
    }
  }
}

/**
 * Whether `object` is an indicator this reader turns into at least one entry: not revoked, a
 * STIX pattern whose comparisons it parses, at least one on a path it indexes. The TAXII client
 * keeps only these, so a collection of mostly e-mail or AND patterns does not read as a feed of
 * mostly skipped records.
 */
export function isIndexedStixIndicator(object: Readonly<Record<string, unknown>>): boolean {
  if (object.type !== "indicator" || object.revoked === true || (object.pattern_type ?? "stix") !== "stix" || typeof object.pattern !== "string") return false;
  const comparisons = parsePattern(object.pattern);
  return typeof comparisons !== "string" && comparisons.some(({ path }) => PATHS[path] !== undefined);
}

function contextOf(object: Record<string, unknown>): Fields {
  const fields: [string, string][] = [];
  for (const name of CONTEXT) {
    const value = object[name];
    if (value === undefined || value === null) continue;
    fields.push([name, Array.isArray(value) ? value.join(", ") : String(value)]);
  }
  return fields;
}

/**
 * The comparisons of an OR-only equality pattern, object paths normalised
 * (`file:hashes.'SHA-256'` → `file:hashes.SHA-256`), or why the pattern is not one.
 */
function parsePattern(pattern: string): { path: string; value: string }[] | string {
  const out: { path: string; value: string }[] = [];
  let i = 0;
  const n = pattern.length;
  const space = () => {
    while (i < n && /\s/.test(pattern[i] as string)) i++;
  };
  const word = () => {
    const start = i;
    while (i < n && /[A-Za-z]/.test(pattern[i] as string)) i++;
    return pattern.slice(start, i);
  };
  const literal = (): string | undefined => {
    // STIX strings are single-quoted; `\'` and `\\` are the only escapes
    let value = "";
    for (i++; i < n; i++) {
      const c = pattern[i] as string;
      if (c === "'") {
        i++;
        return value;
      }
      if (c === "\\" && i + 1 < n) value += pattern[++i];
      else value += c;
    }
    return undefined;
  };
  for (;;) {
    space();
    if (pattern[i] !== "[") return `unsupported pattern: expected "[" at character ${i + 1}, found ${quote(pattern.slice(i, i + 20))}`;
    i++;
    for (;;) {
      space();
      let path = "";
      while (i < n && !/[\s=!<>\]]/.test(pattern[i] as string)) {
        if (pattern[i] === "'") {
          const part = literal();
          if (part === undefined) return "unsupported pattern: unterminated quoted path";
          path += part;
        } else path += pattern[i++];
      }
      space();
      if (pattern[i] !== "=" || pattern[i + 1] === "=") {
        const found = pattern.slice(i, i + 10).split(/\s/)[0] || "end of pattern";
        return `unsupported comparison: only "=" is supported, found ${quote(found)}`;
      }
      i++;
      space();
      let value: string | undefined;
      if (pattern[i] === "'") {
        value = literal();
        if (value === undefined) return "unsupported pattern: unterminated string";
      } else {
        // a number, boolean or b'...'/t'...' constant: kept as text, its object path decides
        const start = i;
        while (i < n && !/[\s\]]/.test(pattern[i] as string)) i++;
        value = pattern.slice(start, i);
        if (value === "") return `unsupported pattern: expected a value after "=" at character ${i + 1}`;
      }
      const colon = path.indexOf(":");
      const normalised = colon < 0 ? path : path.slice(0, colon + 1) + path.slice(colon + 1).replace(/^hashes\.(.*)$/i, (_, name: string) => `hashes.${name.toUpperCase()}`);
      out.push({ path: normalised, value });
      space();
      if (pattern[i] === "]") {
        i++;
        break;
      }
      const joiner = word();
      if (joiner !== "OR") return `unsupported pattern: only OR-joined comparisons are supported, found ${quote(joiner || pattern.slice(i, i + 10))}`;
    }
    space();
    if (i >= n) return out;
    const joiner = word();
    if (joiner !== "OR") return `unsupported pattern: only OR-joined observations are supported, found ${quote(joiner || pattern.slice(i, i + 10))}`;
  }
}
