/**
 * Regex helpers for the event path; patterns are compiled with the config folder's
 * `compilePattern`, so a regex behaves here exactly as the config parser validated it.
 */

/** Number of capture groups `re` declares (a regex that also matches "" reveals them all). */
export function groupCount(re: RegExp): number {
  const probe = new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, ""));
  const m = probe.exec("");
  return m === null ? 0 : m.length - 1;
}
