/**
 * Reads Maltrail trails: the `trail<TAB>type<TAB>family<TAB>group` table this project's data
 * snapshot uses, and Maltrail's own static trail files (one trail per line, `#` comments).
 */
import type { FeedConfig } from "./feed_config.ts";
import type { FeedEntry, Fields, IndicatorKind } from "../matching/types.ts";
import { quote, splitPort } from "./_classify.ts";
import { emitEntry } from "./_emit_entry.ts";
import { lineBatches } from "./_input.ts";
import { PortGroups } from "./_port_groups.ts";
import type { FeedInput, FeedReadContext } from "./feed_reader.ts";

const SCHEME = /^(?:https?|ftp):\/\//i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV4_CIDR = /^\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}$/;
// Maltrail's own test for a pattern trail (see /work/shared/data/README.md, "Type rules")
const REGEX_HINT = /\.\*|\.\+|\]\*|\]\+|\[[^\]]-[^\]]\]/;
const GROUPS = new Set(["malware", "malicious", "suspicious"]);
const TAB = 9;

const DOMAIN = /^\.?[^\s/\\:@?#*"'<>,;|()[\]{}]+$/;

/**
 * Hands over one entry per trail: domain → DOMAIN, ip and cidr → IP, url → URL, path → URL mask
 * `*` + path (any host). ip_port trails are gathered per (address, family, group) into one IP
 * entry whose field `ports` lists the ports, ascending and comma-joined (`22,80,443`); these
 * entries come after all others, at the line of the address's first trail. Regex trails are
 * skipped (counted). Fields: `family`, `group` (and `ports`). A line with a TAB is a table
 * row; one without is a static trail, typed by Maltrail's rules, with the family taken from
 * the file name (`malware/emotet.txt` → family `emotet`, group `malware`).
 *
 * @example
 * ```ts
 * const rows = "/admin/boot/dll/list.php\tpath\t1ms0rry\tmalware\n";
 * await readMaltrailFeed(rows, config, { onSkip, onEntry }); // URL "*\/admin/boot/dll/list.php"
 * ```
 */
export async function readMaltrailFeed(input: FeedInput, config: FeedConfig, context: FeedReadContext): Promise<void> {
  const reader = new TrailReader(config, context);
  try {
    for await (const lines of lineBatches(input, config.limits)) reader.lines(lines);
  } finally {
    // A feed cut short (corrupt gzip) still loads what parsed, gathered ports included.
    reader.flushPorts();
  }
}

/** The per-line work, in a class so the loop is plain synchronous code. */
class TrailReader {
  private readonly category: string | undefined;
  private readonly fromName: { family: string; group?: string };
  // rows of one family share one context array: 1.6 M rows, about 3,100 families
  private readonly shared = new Map<string, Fields>();
  private lastFamily = "";
  private lastGroup: string | undefined = "";
  private lastFields: Fields | undefined;
  /** 280 k ip_port rows of the data snapshot become 181 k entries. */
  private readonly portGroups = new PortGroups();
  private line = 0;

  constructor(config: FeedConfig, private readonly context: FeedReadContext) {
    this.category = config.fields[0]?.category || undefined;
    this.fromName = familyOf(config.filename);
  }

  lines(lines: readonly string[]): void {
    for (let i = 0; i < lines.length; i++) this.read(lines[i]!);
  }

  private read(raw: string): void {
    const line = ++this.line;
    const text = raw.trim();
    if (text === "" || text.charCodeAt(0) === 35) return;
    let trail: string;
    let type: string;
    let fields: Fields;
    const t1 = text.indexOf("\t");
    if (t1 >= 0) {
      const t2 = text.indexOf("\t", t1 + 1);
      const t3 = t2 < 0 ? -1 : text.indexOf("\t", t2 + 1);
      if (t3 < 0 || text.indexOf("\t", t3 + 1) >= 0) {
        const count = text.split("\t").length;
        this.context.onSkip({ where: `line ${line}`, reason: `wrong column count: got ${count}, expected 4 (trail, type, family, group)` });
        return;
      }
      trail = text.slice(0, t1);
      type = text.slice(t1 + 1, t2);
      fields = this.tableContext(text, t2, t3);
    } else {
      trail = stripComment(text);
      type = trailType(trail);
      if (type === "url") trail = lowerHost(trail.replace(SCHEME, ""));
      else if (type === "domain") trail = trail.toLowerCase();
      fields = this.contextOf(this.fromName.family, this.fromName.group);
    }
    let kind: IndicatorKind;
    let value = trail;
    switch (type) {
      case "domain":
        if (!DOMAIN.test(trail)) return this.skip(line, `not a valid domain trail: ${quote(trail)}`);
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
        if (split === undefined) return this.skip(line, `not an address and port: ${quote(trail)}`);
        if (typeof split === "string") return this.skip(line, split);
        this.portGroups.add(split.value, Number(split.port), fields, line);
        return;
      }
      case "regex":
        return this.skip(line, "regex trails are not supported");
      default:
        return this.skip(line, `unknown trail type: got ${quote(type)}, expected domain, ip, cidr, url, path, ip_port or regex`);
    }
    if (value === "") return this.skip(line, "empty trail");
    const entry: FeedEntry = { kind, value, fields, category: this.category };
    emitEntry(this.context, entry, "line", line);
  }

  /** The context of a table row's family (`text[t2+1, t3)`) and group (after t3). */
  private tableContext(text: string, t2: number, t3: number): Fields {
    // Rows come in runs of one family: compare in place before cutting two strings.
    const family = this.lastFamily;
    const group = this.lastGroup;
    if (this.lastFields !== undefined && group !== undefined && t3 - t2 - 1 === family.length &&
      text.length - t3 - 1 === group.length && text.startsWith(family, t2 + 1) && text.endsWith(group)) {
      return this.lastFields;
    }
    return this.contextOf(text.slice(t2 + 1, t3), text.slice(t3 + 1));
  }

  private contextOf(family: string, group: string | undefined): Fields {
    const key = `${family}\t${group ?? ""}`;
    let fields = this.shared.get(key);
    if (fields === undefined) {
      // Copies: a cell is a slice of a 256 KiB decoded chunk, which it would keep alive.
      const f = detach(family);
      fields = group === undefined ? [["family", f]] : [["family", f], ["group", detach(group)]];
      this.shared.set(detach(key), fields);
    }
    this.lastFamily = family;
    this.lastGroup = group;
    this.lastFields = fields;
    return fields;
  }

  /** Hands over the gathered ip_port entries, in the order their addresses first appeared. */
  flushPorts(): void {
    this.portGroups.flush((value, fields, line) => {
      emitEntry(this.context, { kind: "IP", value, fields, category: this.category }, "line", line);
    });
  }

  private skip(line: number, reason: string): void {
    this.context.onSkip({ where: `line ${line}`, reason });
  }
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A copy of `s` that shares no characters with the chunk it was cut from. */
function detach(s: string): string {
  return decoder.decode(encoder.encode(s));
}
