/**
 * Splits `key=value` text whose values may contain spaces (`geo=ru, ua, kz`): a key is
 * `[A-Za-z_][\w./-]*=` at the start or after a separator, and its value runs until the next key.
 */

/**
 * `space`: keys follow whitespace (key=value kits, CEF labelled values); `loose`: keys follow
 * whitespace or `|` (LEEF whose tabs were lost: `url=…?| IP=…` in the report example);
 * `pipe`: keys follow `|` only (KUMA).
 */
export type KvMode = "space" | "loose" | "pipe";

// Actionable fields render as ` name:value` (spec cybertrace-service.md §6.1); `http://` is a URL, not a field.
const ACTIONABLE = /(?<=\s)([A-Za-z_][\w.-]*):(?=[^\s/]|\/(?!\/))/g;

/** Text before the first key, and the pairs in order. */
export interface KvSplit {
  prefix: string;
  pairs: [string, string][];
}

/** Splits `text` into a prefix and key/value pairs. */
export function splitKv(text: string, mode: KvMode): KvSplit {
  // A hand-written scan: lookbehind regexes cost several times more on this hot path.
  const pairs: [string, string][] = [];
  let prefixEnd = text.length;
  let key: string | undefined;
  let valueStart = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (i > 0 && !isSeparator(text.charCodeAt(i - 1), mode)) continue;
    if (!isKeyStart(text.charCodeAt(i))) continue;
    let j = i + 1;
    while (j < n && isKeyChar(text.charCodeAt(j))) j++;
    if (j >= n || text.charCodeAt(j) !== 61) {
      i = j - 1;
      continue;
    }
    if (key === undefined) prefixEnd = i;
    else pairs.push([key, trimValue(text.slice(valueStart, i), mode)]);
    key = text.slice(i, j);
    valueStart = j + 1;
    i = j;
  }
  if (key !== undefined) pairs.push([key, trimValue(text.slice(valueStart), mode)]);
  return { prefix: text.slice(0, prefixEnd).trim(), pairs };
}

function isSeparator(c: number, mode: KvMode): boolean {
  const space = isSpace(c);
  if (mode === "space") return space;
  if (mode === "loose") return space || c === 124;
  return c === 124;
}

/** ASCII whitespace: what separates pairs in "space" mode. */
export function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** `[A-Za-z_]`: a key's first character. */
export function isKeyStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** `[\w./-]` */
export function isKeyChar(c: number): boolean {
  return isKeyStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 47 || c === 45;
}

function trimValue(v: string, mode: KvMode): string {
  if (mode === "pipe") return v.endsWith("|") ? v.slice(0, -1) : v;
  if (mode === "space") {
    return isSpace(v.charCodeAt(v.length - 1)) ? v.trimEnd() : v;
  }
  let end = v.length;
  while (end > 0 && isSeparator(v.charCodeAt(end - 1), "loose")) end--;
  return end === v.length ? v : v.slice(0, end);
}

/** Cuts ` name:value` actionable fields off the end of a value: returns the value left and the fields. */
export function cutActionable(value: string): [string, [string, string][]] {
  if (!value.includes(":")) return [value, []];
  ACTIONABLE.lastIndex = 0;
  const first = ACTIONABLE.exec(value);
  if (first === null) return [value, []];
  const found: [string, string][] = [];
  const head = value.slice(0, first.index).trimEnd();
  let name = first[1]!;
  let start = first.index + first[0].length;
  for (let m = ACTIONABLE.exec(value); m !== null; m = ACTIONABLE.exec(value)) {
    found.push([name, value.slice(start, m.index).trimEnd()]);
    name = m[1]!;
    start = m.index + m[0].length;
  }
  found.push([name, value.slice(start).trimEnd()]);
  return [head, found];
}
