/**
 * A faster twin of a `u`-flag regex for text without astral characters. Bun's regex engine runs
 * the default RE_URL/RE_DOMAIN/RE_IP about 1.5–2× faster without the `u` flag
 * (docs/performance.md, "Where the time goes"), and the two modes differ only on code points
 * above U+FFFF or for Unicode-only syntax; this file knows when they cannot differ.
 */

/**
 * `\u{…}`, `\p{…}`, `\P{…}` mean something else without `u`; a surrogate in the source, written
 * or escaped, is half of an astral character there, which changes class ranges such as `[a-😀]`.
 */
const UNICODE_ONLY = /\\[pP]|\\u\{|\\u[dD][89a-fA-F]|[\uD800-\uDFFF]/;

/** True when `text` holds an astral character (or a lone surrogate): then only the `u` regex is exact. */
export const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The same regex without `u`, or `re` itself when dropping it could change a match: with `i`
 * (Unicode case folding differs), with Unicode-only syntax, or when it does not compile.
 * A pattern valid under `u` has no Annex B forms, so without `u` it parses to the same tree;
 * on text where every character is one UTF-16 unit, `.`, classes and lookarounds then match
 * the same spans. Callers must use the twin only on text for which {@link HAS_SURROGATE} fails.
 */
export function bmpTwin(re: RegExp): RegExp {
  if (!re.unicode || re.ignoreCase || UNICODE_ONLY.test(re.source)) return re;
  try {
    return new RegExp(re.source, re.flags.replace("u", ""));
  } catch {
    return re;
  }
}
