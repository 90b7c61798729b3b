/**
 * The facts an ioclens service puts on its PONG line when a PING also carries
 * `X-KF-SendFinishedEvent` (ours, docs/protocol.md §1), and the warnings they lead to: a service
 * with no indicators, or with only demo feeds, has nothing to find in real logs (the service
 * logs that at start; the scanner says it under its summary), and detections without ReplyBack
 * go to an output target where nothing may listen (the scanner says so at start without -r).
 *
 * `PONG feeds=14 indicators=18 demo_indicators=18 output_up=no output=127.0.0.1:9998`
 */

/** What the service tells a scanner about itself. */
export interface PingFacts {
  /** Feeds configured (a feed that failed to load counts, with no indicators). */
  readonly feeds: number;
  /** Indicators indexed over all feeds. */
  readonly indicators: number;
  /** Those of them from demo feeds, which hold only test records. */
  readonly demoIndicators: number;
  /** Where detections without ReplyBack go, and whether it takes them (`unknown` for UDP). */
  readonly output?: { readonly target: string; readonly up: "yes" | "no" | "unknown" };
}

/** A feed is a demo feed when its file name starts with `Demo_` (any case), as Kaspersky names them and ours. */
export function isDemoFeed(filename: string): boolean {
  const base = filename.slice(Math.max(filename.lastIndexOf("/"), filename.lastIndexOf("\\")) + 1);
  return base.toLowerCase().startsWith("demo_");
}

/** What the facts need of one feed's status (service/service_status.ts `FeedStatus` has it). */
export interface FeedCount {
  /** The feed's file name: a demo feed's starts with `Demo_`. */
  readonly name: string;
  /** Indicators indexed from it. */
  readonly records: number;
}

/** The facts of a running service, from its feeds' status and its output target's state. */
export function pingFacts(feeds: readonly FeedCount[], output?: PingFacts["output"]): PingFacts {
  let indicators = 0;
  let demoIndicators = 0;
  for (const feed of feeds) {
    indicators += feed.records;
    if (isDemoFeed(feed.name)) demoIndicators += feed.records;
  }
  return { feeds: feeds.length, indicators, demoIndicators, ...(output ? { output } : {}) };
}

/** The PONG line for `facts`, without its newline. The target goes last: a socket path may hold spaces. */
export function formatPingFacts(facts: PingFacts): string {
  const output = facts.output ? ` output_up=${facts.output.up} output=${facts.output.target}` : "";
  return `PONG feeds=${facts.feeds} indicators=${facts.indicators} demo_indicators=${facts.demoIndicators}${output}`;
}

/**
 * Reads the facts from a PONG line; undefined when the line carries none (a plain `PONG`, as
 * CyberTrace answers) or they do not parse.
 *
 * @example
 * ```ts
 * parsePingFacts("PONG feeds=0 indicators=0 demo_indicators=0")?.indicators; // 0
 * parsePingFacts("PONG"); // undefined
 * ```
 */
export function parsePingFacts(line: string): PingFacts | undefined {
  const match = /PONG feeds=(\d+) indicators=(\d+) demo_indicators=(\d+)(?: output_up=(yes|no|unknown) output=(.+))?$/.exec(line);
  if (!match) return undefined;
  const facts = { feeds: Number(match[1]), indicators: Number(match[2]), demoIndicators: Number(match[3]) };
  return match[5] === undefined ? facts : { ...facts, output: { target: match[5], up: match[4] as "yes" | "no" | "unknown" } };
}

/**
 * Why nothing will be found, when that is so: no feeds, no indicators, or only demo feeds' test
 * records; undefined when real indicators are loaded. One clause, for the service's start log
 * and the scanner's summary alike.
 *
 * @example
 * ```ts
 * nothingToFind({ feeds: 14, indicators: 18, demoIndicators: 18 });
 * // "only demo feeds are loaded (18 test records such as http://fakess123.nu), so real logs give no detections"
 * ```
 */
export function nothingToFind(facts: PingFacts): string | undefined {
  if (facts.feeds === 0) return "no feeds are configured, so nothing can be detected";
  if (facts.indicators === 0) return `${facts.feeds === 1 ? "the one feed holds" : `its ${facts.feeds} feeds hold`} no indicators, so nothing can be detected`;
  if (facts.demoIndicators === facts.indicators) {
    return `only demo feeds are loaded (${facts.indicators} test records such as http://fakess123.nu), so real logs give no detections`;
  }
  return undefined;
}

/**
 * The answer to a PING: the service's facts line (`pongLine`) when the PING asked for them with
 * `X-KF-SendFinishedEvent` and the service has them, else a plain `PONG`; without its newline.
 */
export function pongFor(askedFacts: boolean, pongLine: (() => string) | undefined): string {
  return askedFacts && pongLine ? pongLine() : "PONG";
}
