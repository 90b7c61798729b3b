/**
 * Compiles an output template (spec cybertrace-service.md §6.1) into plain data, so rendering an
 * event is a loop over parts with no regex work.
 */
import { EMPTY } from "./_codes.ts";

/**
 * `literals[i]`, then the placeholder `codes[i]`, …, then the last literal:
 * `literals.length === codes.length + 1`. A code >= 0 is a regex slot, < 0 a built-in.
 */
export interface Template {
  readonly literals: readonly string[];
  readonly codes: readonly number[];
  /** How placeholder values are written (the format's `escape=`); undefined: verbatim. */
  readonly escape?: (value: string) => string;
  /** Keys the template writes itself: record fields of these names are renamed, not repeated. */
  readonly keys?: ReadonlySet<string>;
}

/** Placeholder names are word characters, dots and dashes; any other `%` is literal text. */
function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
}

/**
 * Splits `text` at its `%Name%` placeholders. `known` maps each accepted name to its code; an
 * unknown name compiles to a code that renders empty and is reported once to `onUnknown`.
 *
 * @example
 * ```ts
 * compileTemplate("%Date% url=%RE_URL%", new Map([["Date", -1], ["RE_URL", 0]]));
 * // { literals: ["", " url=", ""], codes: [-1, 0] }
 * ```
 */
export function compileTemplate(
  text: string,
  known: ReadonlyMap<string, number>,
  onUnknown?: (name: string) => void,
): Template {
  const literals: string[] = [];
  const codes: number[] = [];
  const reported = new Set<string>();
  let lit = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("%", i);
    if (open < 0) break;
    let j = open + 1;
    while (j < text.length && isNameChar(text.charCodeAt(j))) j++;
    if (j === open + 1 || j >= text.length || text[j] !== "%") {
      // Not a placeholder: keep the `%` and look again from the next character.
      lit += text.slice(i, open + 1);
      i = open + 1;
      continue;
    }
    const name = text.slice(open + 1, j);
    lit += text.slice(i, open);
    literals.push(lit);
    lit = "";
    const code = known.get(name);
    if (code === undefined && !reported.has(name)) {
      reported.add(name);
      onUnknown?.(name);
    }
    codes.push(code ?? EMPTY);
    i = j + 1;
  }
  literals.push(lit + text.slice(i));
  return { literals, codes };
}
