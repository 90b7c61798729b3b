/** Shell-style file-name globs for --include/--exclude: `*`, `?` and `[...]`. */

/**
 * Compiles a glob to a RegExp over a file's base name.
 *
 * @example
 * ```ts
 * globToRegExp("*.log").test("access.log"); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let source = "^";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) source += "\\[";
      else {
        let set = glob.slice(i + 1, close).replace(/\\/g, "\\\\");
        if (set.startsWith("!")) set = "^" + set.slice(1);
        source += `[${set}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(source + "$");
}
