/**
 * The catalogue of open feeds, in one table: `<Feed source="urlhaus"/>` takes its URL, file
 * name, format, fields and category from here, and `ioclens serve --print-config --feeds NAME,…`
 * writes a config that names them (docs/feeds.md, "Catalogue", has the same table for people).
 */
import type { XmlElement } from "./parse_xml.ts";

/** One catalogue feed. */
export interface CatalogueFeed {
  /** Who publishes it and what it is, for comments and docs. */
  readonly title: string;
  /** The publisher's terms of use, in one line; docs/feeds.md links them. */
  readonly terms: string;
  /**
   * The `<Feed>` attributes it stands for, as they would be written: the config's own
   * attributes replace these one by one. `refresh` is set where the publisher updates daily
   * (IPsum, the MISP lists) or asks for rare downloads (Spamhaus: at most hourly).
   */
  readonly attributes: Readonly<Record<string, string>>;
  /** Its `<Field>` elements (name, type), used when the config's Feed has none of its own. */
  readonly fields?: readonly { readonly name: string; readonly type: string }[];
}

const ABUSE_CH_TERMS = "abuse.ch: CC0, free for commercial and non-commercial use; fetch at most every 5 minutes (abuse.ch terms of service)";
const MISP_TERMS = "MISP warning lists: CC0 1.0 (github.com/MISP/misp-warninglists)";
const MISP_LISTS = "https://raw.githubusercontent.com/MISP/misp-warninglists/main/lists";

/** A MISP warning list as an allow-list: its hits suppress the detections of the same lookup. */
function warningList(list: string, title: string): CatalogueFeed {
  return {
    title: `MISP warning list ${list}: ${title}`,
    terms: MISP_TERMS,
    attributes: { url: `${MISP_LISTS}/${list}/list.json`, filename: `misp-${list}.json`, format: "misp", allowlist: "true", category: `MISP_${list}`, refresh: "1440" },
  };
}

/**
 * Every catalogue feed by the name `source=` and `--feeds` take.
 *
 * @example
 * ```ts
 * FEED_CATALOGUE.urlhaus.attributes.url; // "https://urlhaus.abuse.ch/downloads/csv_recent/"
 * FEED_CATALOGUE["misp-rfc1918"].attributes.allowlist; // "true"
 * ```
 */
export const FEED_CATALOGUE = {
  urlhaus: {
    title: "abuse.ch URLhaus: malware distribution URLs added in the last 30 days",
    terms: ABUSE_CH_TERMS,
    attributes: { url: "https://urlhaus.abuse.ch/downloads/csv_recent/", filename: "urlhaus.csv", format: "csv", category: "URLhaus" },
    fields: [{ name: "url", type: "URL" }],
  },
  threatfox: {
    title: "abuse.ch ThreatFox: IOCs (URLs, domains, ip:port, hashes) of the last 48 hours",
    terms: ABUSE_CH_TERMS,
    attributes: { url: "https://threatfox.abuse.ch/export/csv/recent/", filename: "threatfox.csv", format: "csv", category: "ThreatFox" },
    fields: [{ name: "ioc_value", type: "AUTO" }],
  },
  feodo: {
    title: "abuse.ch Feodo Tracker: botnet C2 IP block list",
    terms: ABUSE_CH_TERMS,
    attributes: { url: "https://feodotracker.abuse.ch/downloads/ipblocklist.csv", filename: "feodo.csv", format: "csv", category: "FeodoTracker" },
    fields: [{ name: "dst_ip", type: "IP" }],
  },
  ipsum: {
    title: "IPsum: daily aggregate of 30+ IP block lists, with the number of lists naming each address",
    terms: "IPsum: The Unlicense (public domain; github.com/stamparm/ipsum)",
    attributes: { url: "https://raw.githubusercontent.com/stamparm/ipsum/master/ipsum.txt", filename: "ipsum.txt", format: "tsv", columns: "ip,score", category: "IPsum", refresh: "1440" },
    fields: [{ name: "ip", type: "IP" }],
  },
  "spamhaus-drop": {
    title: "Spamhaus DROP: hijacked and criminal IPv4 netblocks (Don't Route Or Peer)",
    terms: "Spamhaus DROP: free for any use with credit to The Spamhaus Project; fetch at most once an hour (spamhaus.org/drop)",
    attributes: { url: "https://www.spamhaus.org/drop/drop.txt", filename: "spamhaus-drop.txt", format: "lines", category: "Spamhaus_DROP", refresh: "720" },
    fields: [{ name: "cidr", type: "IP" }],
  },
  "firehol-level1": {
    title: "FireHOL level 1: networks to block at the edge, merged from Spamhaus, DShield, Feodo and others",
    terms: "FireHOL level 1: each list it merges keeps its maintainer's terms (iplists.firehol.org names them)",
    attributes: { url: "https://raw.githubusercontent.com/firehol/blocklist-ipsets/master/firehol_level1.netset", filename: "firehol_level1.netset", format: "lines", category: "FireHOL_level1" },
    fields: [{ name: "ip", type: "IP" }],
  },
  openphish: {
    title: "OpenPhish community feed: live phishing URLs",
    terms: "OpenPhish: non-commercial and internal business use only; other commercial use needs OpenPhish's written permission (openphish.com/faq.html)",
    attributes: { url: "https://openphish.com/feed.txt", filename: "openphish.txt", format: "lines", category: "OpenPhish" },
    fields: [{ name: "url", type: "URL" }],
  },
  "et-compromised": {
    title: "Proofpoint Emerging Threats: compromised hosts",
    terms: "Emerging Threats open block rules: no licence in the file; see Proofpoint's Emerging Threats open terms",
    attributes: { url: "https://rules.emergingthreats.net/blockrules/compromised-ips.txt", filename: "et-compromised-ips.txt", format: "lines", category: "ET_Compromised" },
    fields: [{ name: "ip", type: "IP" }],
  },
  "misp-rfc1918": warningList("rfc1918", "private IPv4 networks"),
  "misp-rfc5735": warningList("rfc5735", "special-use IPv4 networks"),
  "misp-rfc6598": warningList("rfc6598", "carrier-grade NAT space"),
  "misp-ipv6-linklocal": warningList("ipv6-linklocal", "the IPv6 link-local prefix"),
  "misp-public-dns-v4": warningList("public-dns-v4", "public IPv4 DNS resolvers"),
  "misp-public-dns-v6": warningList("public-dns-v6", "public IPv6 DNS resolvers"),
  "misp-google-gcp": warningList("google-gcp", "Google Cloud address ranges"),
  "misp-tranco10k": warningList("tranco10k", "the 10,000 most popular sites (Tranco)"),
  "misp-empty-hashes": warningList("empty-hashes", "hashes of an empty file"),
  "misp-common-ioc-false-positive": warningList("common-ioc-false-positive", "hashes often wrongly reported as malicious"),
  "misp-ti-falsepositives": warningList("ti-falsepositives", "hashes seen in indicator feeds that are benign"),
} as const satisfies Record<string, CatalogueFeed>;

/** The names `source=` and `--feeds` accept. */
export type CatalogueName = keyof typeof FEED_CATALOGUE;

/** Every catalogue name, in the table's order. */
export const CATALOGUE_NAMES = Object.keys(FEED_CATALOGUE) as CatalogueName[];

/** Whether `name` is a catalogue name. */
export function isCatalogueName(name: string): name is CatalogueName {
  return Object.hasOwn(FEED_CATALOGUE, name);
}

/**
 * The Feed element `element` stands for once its `source=` is filled in from the catalogue: the
 * catalogue's attributes under the element's own, and the catalogue's `<Field>`s when the
 * element has none. Without `source=` the element itself; an unknown name is an Error whose
 * message lists the valid ones (the config reader adds file, line and element).
 *
 * @example
 * ```ts
 * const feed = { name: "Feed", attributes: { source: "feodo", category: "C2" }, children: [], text: "", line: 4 };
 * expandCatalogueSource(feed).attributes.url; // "https://feodotracker.abuse.ch/downloads/ipblocklist.csv"
 * expandCatalogueSource(feed).attributes.category; // "C2"
 * ```
 */
export function expandCatalogueSource(element: XmlElement): XmlElement {
  const name = element.attributes["source"];
  if (name === undefined) return element;
  if (!isCatalogueName(name.trim())) throw new Error(`attribute source names no catalogue feed: got "${name}", expected one of ${CATALOGUE_NAMES.join(", ")}`);
  const entry: CatalogueFeed = FEED_CATALOGUE[name.trim() as CatalogueName];
  const ownFields = element.children.some((child) => child.name === "Field");
  const fields = ownFields ? [] : (entry.fields ?? []).map((field) => ({ name: "Field", attributes: { ...field }, children: [], text: "", line: element.line }));
  return { ...element, attributes: { ...entry.attributes, ...element.attributes }, children: [...fields, ...element.children] };
}

/**
 * `<Feed source="…"/>` elements for `names`, each under a comment with its title, URL and
 * terms, indented for a `<Feeds>` element: the body `--print-config --feeds` writes.
 *
 * @example
 * ```ts
 * catalogueFeedElements(["feodo"]).endsWith('<Feed source="feodo"/>'); // true
 * ```
 */
export function catalogueFeedElements(names: readonly CatalogueName[]): string {
  return names
    .map((name) => {
      const entry: CatalogueFeed = FEED_CATALOGUE[name];
      const lines = [entry.title, entry.attributes["url"] ?? "", `Terms: ${entry.terms}`].map((line) => line.replaceAll("--", "-"));
      return `    <!--\n${lines.map((line) => `      ${line}`).join("\n")}\n    -->\n    <Feed source="${name}"/>`;
    })
    .join("\n");
}

/**
 * `config` (a complete service config, such as a SIEM profile's) with its Feeds element, and
 * the comment above it, replaced by the catalogue feeds `names`, and `Bases` pointing at a
 * `bases` folder next to the config file (where the downloaded copies are kept).
 *
 * @throws {Error} when `config` has not exactly one Feeds element and one Bases element.
 * @example
 * ```ts
 * catalogueConfigText(DEFAULT_SERVICE_CONFIG_TEXT, ["urlhaus"]).includes('<Feed source="urlhaus"/>'); // true
 * ```
 */
export function catalogueConfigText(config: string, names: readonly CatalogueName[]): string {
  const feeds = `  <!-- Open feeds of the catalogue (docs/feeds.md): downloaded into Bases at start, refreshed every update_frequency minutes. -->
  <Feeds per_scan_detect_limit="10000" update_frequency="60">
${catalogueFeedElements(names)}
  </Feeds>`;
  const bases = `<!-- Where the downloaded feeds are kept, relative to this file's folder. -->
    <Bases>bases</Bases>`;
  const note = `<!--\n  Feeds: ${names.join(", ")} from the open feed catalogue (docs/feeds.md), in place of the demo feeds\n  the comment above names; each feed's terms of use are in the comment above it.\n-->\n<Configuration>`;
  const withFeeds = replaceOnce(config, /(?:[ \t]*<!--(?:(?!-->)[\s\S])*-->\s*)?[ \t]*<Feeds\b[\s\S]*?<\/Feeds>/g, "Feeds", feeds);
  const withBases = replaceOnce(withFeeds, /(?:<!--(?:(?!-->)[\s\S])*-->\s*)?<Bases>[\s\S]*?<\/Bases>/g, "Bases", bases);
  return replaceOnce(withBases, /<Configuration>/g, "Configuration", note);
}

function replaceOnce(text: string, pattern: RegExp, what: string, by: string): string {
  const found = text.match(pattern)?.length ?? 0;
  if (found !== 1) throw new Error(`feed catalogue: the config has ${found} ${what} elements where one was expected`);
  return text.replace(pattern, () => by);
}
