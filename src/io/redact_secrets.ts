/**
 * Keeps credentials out of what ioclens says about a remote feed: a URL is shown without its
 * user information and with the values of secret-looking query parameters replaced, and every
 * log line, alert and /status text of a download passes through {@link redactSecrets}.
 */

/** Query parameters whose values are hidden: `apikey`, `api_key`, `token`, `auth`, `secret`, `password`, `sig`, `key`… */
const SECRET_PARAMETER = /key|token|secret|pass|auth|sig|session|credential/i;

/** What stands in for a hidden value. */
export const REDACTED = "***";

/**
 * `url` as it may be shown: without `user:password@`, secret query values as `***`.
 *
 * @example
 * ```ts
 * shownUrl("https://bob:pw@feeds.example/x.csv?apikey=s3cret&days=1");
 * // "https://feeds.example/x.csv?apikey=***&days=1"
 * ```
 */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//");
  }
  parsed.username = "";
  parsed.password = "";
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, REDACTED);
  }
  // searchParams.set percent-encodes `***`; the marker reads better as it is.
  return parsed.href.replaceAll("%2A%2A%2A", REDACTED);
}

/** The secret parts of `url`: its password and user name, and the values of secret query parameters (raw and encoded). */
export function urlSecrets(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const secrets = [parsed.password, parsed.username];
  for (const [name, value] of parsed.searchParams) if (SECRET_PARAMETER.test(name)) secrets.push(value, encodeURIComponent(value));
  for (const value of [parsed.password, parsed.username]) if (value !== "") secrets.push(decodeURIComponent(value));
  return secrets.filter((s) => s !== "");
}

/**
 * `text` with every occurrence of each secret replaced by `***`, longest first (so a secret
 * that contains another is hidden whole).
 *
 * @example
 * ```ts
 * redactSecrets("401 for token abc123", ["abc123"]); // "401 for token ***"
 * ```
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) out = out.replaceAll(secret, REDACTED);
  }
  return out;
}
