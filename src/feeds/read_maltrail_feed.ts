/**
 * Reads Maltrail trails: the `trail<TAB>type<TAB>family<TAB>group` table this project's data
 * snapshot uses, and Maltrail's own static trail files (one trail per line, `#` comments).
 */
import type { FeedConfig } from "../config/types.ts";
import type { FeedEntry, Fields, IndicatorKind } from "../matching/types.ts";
import { quote, splitPort } from "./_classify.ts";
import { readLines } from "./_input.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

const SCHEME = /^(?:https?|ftp):\/\//i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV4_CIDR = /^\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}$/;
// Maltrail's own test for a pattern trail (see /work/shared/data/README.md, "Type rules")
const REGEX_HINT = /\.\*|\.\+|\]\*|\]\+|\[[^\]]-[^\]]\]/;
const GROUPS = new Set(["malware", "malicious", "suspicious"]);
const DOMAIN = /^\.?[^\s/\\:@?#*"'<>,;|()[\]{}]+$/;

/**
 * Yields one entry per trail: domain → DOMAIN, ip and cidr → IP, url → URL, path → URL mask
 * `*` + path (any host), ip_port → IP with the port in field `port`. Regex trails are skipped
 * (counted). Fields: `family`, `group` (and `port`). A line with a TAB is a table row; one
 * without is a static trail, typed by Maltrail's rules, with the family taken from the file name
 * (`malware/emotet.txt` → family `emotet`, group `malware`).
 *
 * @example
 * ```ts
 * const rows = "/admin/boot/dll/list.php\tpath\t1ms0rry\tmalware\n";
 * for await (const e of readMaltrailFeed(rows, config, context)) {} // URL "*\/admin/boot/dll/list.php"
 * ```
 */
export async function* readMaltrailFeed(
  input: FeedInput,
  config: FeedConfig,
  context: FeedReadContext,
): AsyncGenerator<FeedEntry> {
  const category = config.fields[0]?.category || undefined;
  const fromName = familyOf(config.filename);
  // rows of one family share one context array: 1.6 M rows, about 3,100 families
  const shared = new Map<string, Fields>();
  const contextOf = (family: string, group: string | undefined): Fields => {
    const key = `${family}\t${group ?? ""}`;
    let fields = shared.get(key);
    if (fields === undefined) {
      fields = group === undefined ? [["family", family]] : [["family", family], ["group", group]];
      shared.set(key, fields);
    }
    return fields;
  };
  let line = 0;
  for await (const raw of readLines(input)) {
    line++;
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) continue;
    let trail: string;
    let type: string;
    let fields: Fields;
    if (text.includes("\t")) {
      const cells = text.split("\t");
      if (cells.length !== 4) {
        context.onSkip({ where: `line ${line}`, reason: `wrong column count: got ${cells.length}, expected 4 (trail, type, family, group)` });
        continue;
      }
      trail = cells[0] as string;
      type = cells[1] as string;
      fields = contextOf(cells[2] as string, cells[3] as string);
    } else {
      trail = stripComment(text);
      type = trailType(trail);
      if (type === "url") trail = lowerHost(trail.replace(SCHEME, ""));
      else if (type === "domain") trail = trail.toLowerCase();
      fields = contextOf(fromName.family, fromName.group);
    }
    const entry = toEntry(trail, type, fields, category);
    if (typeof entry === "string") {
      context.onSkip({ where: `line ${line}`, reason: entry });
      continue;
    }
    context.where = `line ${line}`;
    yield entry;
  }
}

function toEntry(trail: string, type: string, fields: Fields, category: string | undefined): FeedEntry | string {
  let kind: IndicatorKind;
  let value = trail;
  switch (type) {
    case "domain":
      if (!DOMAIN.test(trail)) return `not a valid domain trail: ${quote(trail)}`;
      kind = "DOMAIN";
      break;
    case "ip":
    case "cidr":
      kind = "IP";
      break;
    case "url":
      kind = "URL";
      break;
    case "path":
      kind = "URL";
      value = `*${trail}`;
      break;
    case "ip_port": {
      const split = splitPort(trail);
      if (split === undefined) return `not an address and port: ${quote(trail)}`;
      if (typeof split === "string") return split;
      return { kind: "IP", value: split.value, fields: [...fields, ["port", split.port as string]], category };
    }
    case "regex":
      return "regex trails are not supported";
    default:
      return `unknown trail type: got ${quote(type)}, expected domain, ip, cidr, url, path, ip_port or regex`;
  }
  if (value === "") return "empty trail";
  return { kind, value, fields, category };
}

/** Maltrail's rules for a static trail line, in the order the data README gives them. */
function trailType(trail: string): string {
  if (REGEX_HINT.test(trail) && !trail.startsWith("/") && compiles(trail)) return "regex";
  if (SCHEME.test(trail)) return "url";
  if (trail.startsWith("/")) return "path";
  if (IPV4.test(trail)) return "ip";
  if (IPV4_CIDR.test(trail)) return "cidr";
  if (trail.indexOf("/") > 0) return "url";
  if (splitPort(trail) !== undefined) return "ip_port";
  return "domain";
}

/** Lower-cases the host and, as Maltrail does, ends a bare host (left by a scheme) with `/`. */
function lowerHost(trail: string): string {
  const slash = trail.indexOf("/");
  return slash < 0 ? `${trail.toLowerCase()}/` : trail.slice(0, slash).toLowerCase() + trail.slice(slash);
}

/** A trailing comment starts at a `#` that follows white space; a glued `#` is part of the trail. */
function stripComment(text: string): string {
  const match = /\s#/.exec(text);
  return match === null ? text : text.slice(0, match.index).trim();
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** `trails/static/malware/emotet.txt` → family `emotet`, group `malware` (Maltrail's folders). */
function familyOf(filename: string): { family: string; group?: string } {
  const parts = filename.split(/[\\/]/);
  const family = (parts.at(-1) ?? filename).replace(/\.gz$/i, "").replace(/\.(txt|tsv|csv)$/i, "");
  const group = parts.at(-2);
  return group !== undefined && GROUPS.has(group) ? { family, group } : { family };
}
