/**
 * Value extraction for one event (spec cybertrace-service.md §3.2, §4.1, §4.2): choose the Source
 * profile, apply its normalizing rules, run its regexes and collect the typed values to look up
 * and the first value of every regex for `%NAME%` placeholders.
 */
import type { InputSettings, RegexType, SourceProfile } from "../config/types.ts";
import { compilePattern } from "../config/compile_pattern.ts";
import { ConfigError } from "../config/config_error.ts";
import { bmpTwin, HAS_SURROGATE } from "./_bmp_twin.ts";
import { groupCount } from "./_compile_regex.ts";
import { type DirectMatcher, directMatcher, NO_MATCH } from "./_direct_match.ts";
import { regexPrefilter } from "./_regex_prefilter.ts";
import { knownPrefilter, type StartFinder, startFinder } from "./_start_finder.ts";
import { syslogHost } from "./_syslog_host.ts";

/** Caps the values one event can yield (a 64 KiB event of `a` with `extract=all` on `a`). */
export const MAX_VALUES_PER_EVENT = 4096;

/** One `<NAME>` regex, ready to run. */
export interface CompiledRegexRule {
  readonly name: string;
  /** Index of `name` in {@link CompiledSources.slotNames}. */
  readonly slot: number;
  readonly type: RegexType;
  readonly all: boolean;
  /** Has the `g` flag exactly when `all`. */
  readonly re: RegExp;
  /** `re` without the `u` flag when that is exact on text without astral characters, else `re` (see `_bmp_twin.ts`). */
  readonly fast: RegExp;
  /** Matches every event on which `re` can match; when it fails the rule is skipped (see `_regex_prefilter.ts`). Rules may share one. */
  readonly pre: RegExp | undefined;
  /** Where matches can start, for the embedded default patterns (see `_start_finder.ts`); then `sticky`/`fastSticky` run there. */
  readonly starts: StartFinder | undefined;
  /** `re` and `fast` with the `y` flag; set exactly when `starts` is. */
  readonly sticky: RegExp | undefined;
  readonly fastSticky: RegExp | undefined;
  /** Decides most candidates without the regex (see `_direct_match.ts`); only with `starts`, and only for a one-group pattern whose group is the whole match. */
  readonly direct: DirectMatcher | undefined;
  /** Compiled `concatenate`: literal text, or a capture-group number. Undefined: no template. */
  readonly concat: readonly (string | number)[] | undefined;
  readonly groups: number;
  /** A `default` regex shadowed by a same-named regex of the chosen Source: runs only if that one matched nothing. */
  readonly fallback: boolean;
}

/** A Source profile with its regexes compiled and the `default` regexes appended. */
export interface CompiledSource {
  readonly id: string;
  readonly replace: readonly { readonly re: RegExp; readonly output: string }[];
  readonly ignore: readonly RegExp[];
  readonly rules: readonly CompiledRegexRule[];
}

/** Every Source of an InputSettings, compiled once per config. */
export interface CompiledSources {
  readonly byIp: ReadonlyMap<string, CompiledSource>;
  /** Keys lower-cased. */
  readonly byHost: ReadonlyMap<string, CompiledSource>;
  readonly fallback: CompiledSource;
  /** Every regex name of every Source; a name's index is its slot. */
  readonly slotNames: readonly string[];
}

/** A typed value to look up, and which regex produced it. */
export interface ExtractedValue {
  readonly slot: number;
  readonly type: Exclude<RegexType, "CONTEXT">;
  readonly value: string;
}

/** What extraction made of one event. */
export interface Extraction {
  readonly source: CompiledSource;
  /** The event after normalizing rules. */
  readonly event: string;
  /** An Ignore rule matched: nothing was extracted. */
  readonly ignored: boolean;
  /** First value of each regex by slot; undefined when it did not match. */
  readonly firstValues: readonly (string | undefined)[];
  /** Typed values in regex order, then match order; empty values are left out. */
  readonly values: readonly ExtractedValue[];
  /**
   * For value `i`, where its text sits in `event`: from `spans[2i]` to `spans[2i + 1]`, or -1 when
   * it is not a slice of the event (a regex run or a concatenate template made it). Shared
   * scratch, valid until the next `extract` call: lookups read values in place through it.
   */
  readonly spans: Int32Array;
}

/** Parses `concatenate`: `#N` is group N, `\#` a literal `#`, a reference to a missing group stays literal. */
function compileConcat(template: string, groups: number): (string | number)[] {
  const parts: (string | number)[] = [];
  let lit = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === "\\" && template[i + 1] === "#") {
      lit += "#";
      i++;
      continue;
    }
    if (c === "#") {
      let j = i + 1;
      while (j < template.length && template.charCodeAt(j) >= 48 && template.charCodeAt(j) <= 57) j++;
      if (j > i + 1) {
        const n = Number(template.slice(i + 1, j));
        if (n <= groups) {
          if (lit !== "") parts.push(lit);
          lit = "";
          parts.push(n);
        } else {
          lit += template.slice(i, j);
        }
        i = j - 1;
        continue;
      }
    }
    lit += c;
  }
  if (lit !== "") parts.push(lit);
  return parts;
}

/** Boost replacement text (`\1`, `\0`, `\\`) to a JS one (`$1`, `$&`, `\`); `$n` already means the same in both. */
function jsReplacement(output: string): string {
  return output.replace(/\\(\d+|\\)/g, (_, g: string) => (g === "\\" ? "\\" : g === "0" ? "$&" : `$${g}`));
}

function compileOrThrow(file: string, pattern: string, flags: string, what: string, line: number): RegExp {
  try {
    return compilePattern(pattern, flags);
  } catch (err) {
    throw new ConfigError(file, line, `${what} is not a valid regular expression: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Compiles every Source of `input` once. Throws `ConfigError` (with `file` and the rule's line)
 * when a regex does not compile, or when no `default` Source exists.
 */
export function compileSources(input: InputSettings, file = "<config>"): CompiledSources {
  const slots = new Map<string, number>();
  const slotOf = (name: string): number => {
    let s = slots.get(name);
    if (s === undefined) {
      s = slots.size;
      slots.set(name, s);
    }
    return s;
  };
  const def = input.sources.find((s) => s.id === "default");
  if (def === undefined) {
    throw new ConfigError(file, undefined, `Input settings have no default Source: found ids ${input.sources.map((s) => `"${s.id}"`).join(", ") || "none"}, expected one with id "default"`);
  }
  const compileRules = (p: SourceProfile, shadowing: ReadonlySet<string>): CompiledRegexRule[] =>
    p.regexes.map((r) => {
      const re = compileOrThrow(file, r.pattern, r.extract === "all" ? "g" : "", `Source "${p.id}" > ${r.name}`, r.line);
      const groups = groupCount(re);
      const starts = startFinder(r.pattern);
      const direct = starts === undefined ? undefined : directMatcher(r.pattern);
      const fast = bmpTwin(re);
      return {
        name: r.name,
        slot: slotOf(r.name),
        type: r.type,
        all: r.extract === "all",
        re,
        fast,
        pre: knownPrefilter(r.pattern) ?? regexPrefilter(re),
        starts,
        sticky: starts === undefined ? undefined : new RegExp(re.source, re.flags + "y"),
        fastSticky: starts === undefined ? undefined : new RegExp(fast.source, fast.flags + "y"),
        direct,
        concat: r.concatenate === undefined || r.concatenate === "" ? undefined : compileConcat(r.concatenate, groups),
        groups,
        fallback: shadowing.has(r.name),
      };
    });
  const defaultRules = compileRules(def, new Set());
  const compileProfile = (p: SourceProfile): CompiledSource => {
    const own = p === def ? [] : compileRules(p, new Set());
    const ownNames = new Set(own.map((r) => r.name));
    const inherited = p === def ? defaultRules : defaultRules.map((r) => (ownNames.has(r.name) ? { ...r, fallback: true } : r));
    return {
      id: p.id,
      replace: p.replace.map((r) => ({
        re: compileOrThrow(file, r.input, "g", `Source "${p.id}" > Replace input`, r.line),
        output: jsReplacement(r.output),
      })),
      ignore: p.ignore.map((r) => compileOrThrow(file, r.input, "", `Source "${p.id}" > Ignore input`, r.line)),
      rules: [...own, ...inherited],
    };
  };
  const byIp = new Map<string, CompiledSource>();
  const byHost = new Map<string, CompiledSource>();
  let fallback: CompiledSource | undefined;
  for (const p of input.sources) {
    const c = compileProfile(p);
    if (p === def) fallback = c;
    for (const ip of p.ips) if (!byIp.has(normalizePeerIp(ip))) byIp.set(normalizePeerIp(ip), c);
    for (const h of p.hostnames) if (!byHost.has(h.toLowerCase())) byHost.set(h.toLowerCase(), c);
  }
  return { byIp, byHost, fallback: fallback!, slotNames: [...slots.keys()] };
}

/** A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`; profiles name them plainly. */
export function normalizePeerIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip.toLowerCase();
}

/** Spec §3.2: the peer IP's Source, else the syslog host name's, else `default`. */
export function chooseSource(sources: CompiledSources, event: string, peerIp: string | undefined): CompiledSource {
  if (peerIp !== undefined && sources.byIp.size > 0) {
    const s = sources.byIp.get(normalizePeerIp(peerIp));
    if (s !== undefined) return s;
  }
  if (sources.byHost.size > 0) {
    const host = syslogHost(event);
    const s = host === undefined ? undefined : sources.byHost.get(host);
    if (s !== undefined) return s;
  }
  return sources.fallback;
}

/** The value of a match a direct matcher found: every group reference of its pattern is the whole match. */
function directValue(rule: CompiledRegexRule, text: string): string {
  const whole = text.slice(directStart, directEnd);
  const concat = rule.concat;
  if (concat === undefined) return whole;
  let v = "";
  for (let i = 0; i < concat.length; i++) {
    const p = concat[i]!;
    v += typeof p === "string" ? p : whole;
  }
  return v;
}

function valueOf(rule: CompiledRegexRule, m: RegExpExecArray | typeof DIRECT, text: string): string {
  if (m === DIRECT) return directValue(rule, text);
  const concat = rule.concat;
  if (concat !== undefined) {
    let v = "";
    for (let i = 0; i < concat.length; i++) {
      const p = concat[i]!;
      v += typeof p === "string" ? p : (m[p] ?? "");
    }
    return v;
  }
  if (rule.groups === 0) return m[0];
  if (rule.groups === 1) return m[1] ?? "";
  let v = "";
  for (let g = 1; g <= rule.groups; g++) v += m[g] ?? "";
  return v;
}

/** {@link Extraction.spans} of the last extraction. */
const SPANS = new Int32Array(2 * MAX_VALUES_PER_EVENT);

/** Appends a value and its span (-1 unless it is the whole match of a default pattern, untouched by a template). */
function pushValue(values: ExtractedValue[], rule: CompiledRegexRule, m: RegExpExecArray | typeof DIRECT, v: string): void {
  const k = 2 * values.length;
  if (m === DIRECT && rule.concat === undefined) {
    SPANS[k] = directStart;
    SPANS[k + 1] = directEnd;
  } else if (m !== DIRECT && rule.starts !== undefined && rule.concat === undefined) {
    // The default patterns with finders: group 1 is the whole match.
    SPANS[k] = m.index;
    SPANS[k + 1] = m.index + m[0].length;
  } else {
    SPANS[k] = -1;
    SPANS[k + 1] = -1;
  }
  values.push({ slot: rule.slot, type: rule.type as ExtractedValue["type"], value: v });
}

// The match cursor of the rule being run: one rule at a time, so module state avoids an object per rule and event.
const CANDIDATES = new Int32Array(1024);
let candidateCount = -1;
let candidateNext = 0;
let matchedTo = 0;
let cursorRe: RegExp = /$^/;
let cursorSticky: RegExp = /$^/y;
let cursorDirect: DirectMatcher | undefined;
/** What `nextMatch` returns for a match a direct matcher found, from `directStart` to `directEnd`. */
const DIRECT = 0;
let directStart = 0;
let directEnd = 0;

function beginMatches(rule: CompiledRegexRule, bmp: boolean, text: string): void {
  cursorRe = bmp ? rule.fast : rule.re;
  cursorRe.lastIndex = 0;
  candidateCount = rule.starts === undefined ? -1 : rule.starts(text, CANDIDATES);
  if (candidateCount < 0) return;
  cursorSticky = (bmp ? rule.fastSticky : rule.sticky)!;
  cursorDirect = rule.direct;
  candidateNext = 0;
  matchedTo = 0;
}

/**
 * The next match of the current rule, as a global `exec` loop would find it: the regex run at
 * each candidate start from the end of the previous match (see `_start_finder.ts`), or, without
 * candidates (another pattern, or more anchors than fit), the regex itself.
 */
function nextMatch(text: string): RegExpExecArray | typeof DIRECT | null {
  if (candidateCount < 0) {
    const m = cursorRe.exec(text);
    if (m !== null && m[0].length === 0) cursorRe.lastIndex = m.index + 1;
    return m;
  }
  while (candidateNext < candidateCount) {
    const p = CANDIDATES[candidateNext++]!;
    if (p < matchedTo) continue;
    if (cursorDirect !== undefined) {
      const end = cursorDirect(text, p);
      if (end === NO_MATCH) continue;
      if (end >= 0) {
        directStart = p;
        directEnd = matchedTo = end;
        return DIRECT;
      }
    }
    cursorSticky.lastIndex = p;
    const m = cursorSticky.exec(text);
    if (m !== null) {
      matchedTo = p + Math.max(1, m[0].length);
      return m;
    }
  }
  return null;
}

/**
 * Extracts the values of one event with the Source chosen for it. `astralFree`: the caller knows
 * the event has no astral character (see `LineFramer`), which saves a test of the whole text.
 *
 * @example
 * ```ts
 * const x = extract(compileSources(input), "url=http://a.example/ x", "192.0.2.1");
 * x.values; // [{ slot: 0, type: "URL", value: "http://a.example/" }]
 * ```
 */
export function extract(sources: CompiledSources, event: string, peerIp: string | undefined, astralFree = false): Extraction {
  const source = chooseSource(sources, event, peerIp);
  let text = event;
  for (const r of source.replace) text = text.replace(r.re, r.output);
  const firstValues: (string | undefined)[] = new Array(sources.slotNames.length);
  const values: ExtractedValue[] = [];
  for (const re of source.ignore) {
    if (re.test(text)) return { source, event: text, ignored: true, firstValues, values, spans: SPANS };
  }
  // The u-less twins are about twice as fast and exact unless the text has astral characters;
  // the caller may know there are none (Replace rules could add some, so then it is tested).
  const bmp = (astralFree && source.replace.length === 0) || !HAS_SURROGATE.test(text);
  let lastPre: RegExp | undefined;
  let lastPreMatched = false;
  for (const rule of source.rules) {
    if (rule.fallback && firstValues[rule.slot] !== undefined) continue;
    // The start finders' one pass over the event already knows what the prefilters test.
    if (rule.pre !== undefined && rule.starts === undefined) {
      // Consecutive rules with one shared prefilter (the default hash regexes) test it once.
      if (rule.pre !== lastPre) {
        lastPre = rule.pre;
        lastPreMatched = rule.pre.test(text);
      }
      if (!lastPreMatched) continue;
    }
    beginMatches(rule, bmp, text);
    if (!rule.all) {
      const m = nextMatch(text);
      if (m === null) continue;
      const v = valueOf(rule, m, text);
      if (firstValues[rule.slot] === undefined) firstValues[rule.slot] = v;
      if (rule.type !== "CONTEXT" && v !== "" && values.length < MAX_VALUES_PER_EVENT) pushValue(values, rule, m, v);
      continue;
    }
    for (let m = nextMatch(text); m !== null; m = nextMatch(text)) {
      const v = valueOf(rule, m, text);
      if (firstValues[rule.slot] === undefined) firstValues[rule.slot] = v;
      // CONTEXT values only fill placeholders, so their first match is all that is needed.
      if (rule.type === "CONTEXT") break;
      if (v === "") continue;
      if (values.length >= MAX_VALUES_PER_EVENT) break;
      pushValue(values, rule, m, v);
    }
  }
  return { source, event: text, ignored: false, firstValues, values, spans: SPANS };
}
