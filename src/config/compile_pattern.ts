/**
 * Compiles a regular expression written for Kaspersky's Boost dialect into a JS `RegExp`.
 */

/**
 * Compiles `pattern` with the `u` flag when it allows it, otherwise without.
 *
 * Boost accepts identity escapes such as `\=` or `\-` (the docs' Websense example is
 * `request\=(.*?)(?:\s|$)`) that the `u` flag rejects, so falling back keeps those configs
 * loading. The config parsers use this to validate every regex; consumers should compile with
 * it too, so a pattern behaves the same wherever it is used.
 *
 * @param flags extra flags such as `g`; never include `u` (it is added when possible).
 * @throws {SyntaxError} when the pattern compiles in neither mode (the message of the non-`u` attempt).
 * @example
 * ```ts
 * compilePattern("url=(\\S+)", "g").flags; // "gu"
 * compilePattern("request\\=(.*?)(?:\\s|$)", "g").flags; // "g"
 * ```
 */
export function compilePattern(pattern: string, flags = ""): RegExp {
  try {
    return new RegExp(pattern, flags + "u");
  } catch {
    return new RegExp(pattern, flags);
  }
}
