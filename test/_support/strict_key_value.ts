/**
 * A strict reader of the key=value lines the service writes (`Feb 02 11:57:59
 * eventName=KL_Malicious_URL matchedIndicator=fakess123.nu … first_seen=01.01.2014 00:00`, or
 * KUMA's `Category=…|MatchedIndicator=…|…`): a key is `[A-Za-z_][\w.]*=` at the start or right
 * after the separator, and its value runs to the next key (record fields hold spaces:
 * `geo=ru, us`). Strict where a SIEM's extraction is lenient: a key written twice, text before
 * the first key, or no key at all is an error, never a multi-valued field.
 */

/** A line that is not strict key=value. */
export class KeyValueSyntaxError extends SyntaxError {
  override readonly name = "KeyValueSyntaxError";
}

const KEY = { " ": /(?:^| )([A-Za-z_][\w.]*)=/g, "|": /(?:^|\|)([A-Za-z_][\w.]*)=/g } as const;

/**
 * The pairs of `body`, in order; throws KeyValueSyntaxError naming the problem.
 *
 * @example
 * ```ts
 * parseKeyValuePairs("Category=KL_IP_Reputation|MatchedIndicator=192.0.2.0", "|"); // [["Category", …], ["MatchedIndicator", …]]
 * parseKeyValuePairs("a=1 a=2", " "); // throws: found key "a" twice
 * ```
 */
export function parseKeyValuePairs(body: string, separator: keyof typeof KEY): [string, string][] {
  const starts = [...body.matchAll(KEY[separator])];
  if (starts.length === 0) throw new KeyValueSyntaxError(`key=value line: found no key=value pair in ${JSON.stringify(body)}`);
  if (starts[0]!.index !== 0) throw new KeyValueSyntaxError(`key=value line: found ${JSON.stringify(body.slice(0, starts[0]!.index))} before the first pair in ${JSON.stringify(body)}, expected key=value`);
  const pairs = starts.map((m, i): [string, string] => [m[1]!, body.slice(m.index + m[0].length, starts[i + 1]?.index ?? body.length)]);
  const seen = new Set<string>();
  for (const [key] of pairs) {
    if (seen.has(key)) throw new KeyValueSyntaxError(`key=value line: found key "${key}" twice in ${JSON.stringify(body)}, expected each key once`);
    seen.add(key);
  }
  return pairs;
}

const DATE = /^[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d /;

/** A space-separated line: its `%Date%` (when it starts with one) and its pairs. */
export interface KeyValueLine {
  readonly date?: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly keys: readonly string[];
}

/**
 * Parses a line of the key=value formats, with or without a leading syslog date.
 *
 * @example
 * ```ts
 * parseKeyValueLine("Feb 02 11:57:59 alert=LookupFinished sent_events=0 total=").fields.sent_events; // "0"
 * ```
 */
export function parseKeyValueLine(line: string): KeyValueLine {
  const date = DATE.exec(line)?.[0];
  const pairs = parseKeyValuePairs(date === undefined ? line : line.slice(date.length), " ");
  return { ...(date !== undefined ? { date: date.trimEnd() } : {}), fields: Object.fromEntries(pairs), keys: pairs.map(([key]) => key) };
}
