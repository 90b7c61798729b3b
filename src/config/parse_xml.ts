/**
 * The one module that wraps fast-xml-parser: turns a config file's text into a small element
 * tree with line numbers, refusing DOCTYPE/ENTITY declarations.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { XmlSyntaxError } from "./xml_syntax_error.ts";

/** One element of a parsed document. */
export interface XmlElement {
  readonly name: string;
  /** Attribute values with entities decoded, in document order. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Direct text and CDATA content concatenated, untrimmed (templates keep leading spaces). */
  readonly text: string;
  /** 1-based line of the start tag. */
  readonly line: number;
}

type OrderedNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  captureMetaData: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: "#cdata",
  commentPropName: false,
  // Entities are decoded here instead: the library leaves numeric references undecoded, and
  // doing it ourselves keeps one place that decides which entities exist.
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});
const META = XMLParser.getMetaDataSymbol() as unknown as string;

const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/**
 * Parses one XML document and returns its root element.
 *
 * Comments, the `<?xml …?>` declaration and other processing instructions are skipped.
 * Any `<!DOCTYPE`, `<!ENTITY` (or other `<!` declaration) is refused, so neither external
 * entities (XXE) nor entity expansion bombs can reach the parser.
 *
 * @throws {XmlSyntaxError} when the text is not well-formed or contains a declaration.
 * @example Reading a config element
 * ```ts
 * const root = parseXml(`<Settings>\n  <ThreadsCount>8</ThreadsCount>\n</Settings>`);
 * root.children[0]?.name; // "ThreadsCount"
 * root.children[0]?.line; // 2
 * ```
 */
export function parseXml(text: string): XmlElement {
  const xml = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, "\n");
  const lineStarts = computeLineStarts(xml);
  refuseDeclarations(xml, lineStarts);

  const verdict = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    const unclosed = unclosedTags(msg);
    if (unclosed !== undefined) {
      // The validator reports several tags left open at the end as a JSON dump at line 1.
      throw new XmlSyntaxError(`Unclosed elements at the end of the document: found no closing tag for ${unclosed.join(" > ")}`, lineStarts.length, 1);
    }
    throw new XmlSyntaxError(msg.replace(/\.$/, ""), line || 1, col || 1);
  }

  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (e) {
    throw new XmlSyntaxError(`Cannot parse XML: ${(e as Error).message}`, 1, 1);
  }

  let root: XmlElement | undefined;
  for (const node of nodes) {
    const name = elementName(node);
    if (name === undefined) {
      const stray = textOf(node);
      if (stray.trim() !== "") throw new XmlSyntaxError(`Text outside the root element: found "${stray.trim().slice(0, 20)}"`, 1, 1);
      continue;
    }
    const element = toElement(node, name, lineStarts);
    if (root !== undefined) {
      throw new XmlSyntaxError(`Second root element: found <${name}> after <${root.name}>, expected exactly one root`, element.line, 1);
    }
    root = element;
  }
  if (root === undefined) throw new XmlSyntaxError("No root element: found an empty document", 1, 1);
  return root;
}

/** The tag names in fast-xml-parser's `Invalid '["A",    "B"]' found.` message, if it is that one. */
function unclosedTags(msg: string): string[] | undefined {
  const dump = /^Invalid '(\[.*\])' found\.?$/s.exec(msg);
  if (!dump) return undefined;
  try {
    const names: unknown = JSON.parse(dump[1]!);
    return Array.isArray(names) && names.every((n) => typeof n === "string") ? names : undefined;
  } catch {
    return undefined;
  }
}

function elementName(node: OrderedNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== ":@" && key !== "#text" && key !== "#cdata") return key;
  }
  return undefined;
}

function textOf(node: OrderedNode): string {
  const value = node["#text"];
  return typeof value === "string" ? value : value === undefined ? "" : String(value);
}

function toElement(node: OrderedNode, name: string, lineStarts: readonly number[]): XmlElement {
  const meta = node[META] as { startIndex?: number } | undefined;
  const line = lineOf(meta?.startIndex ?? 0, lineStarts);
  const rawAttributes = (node[":@"] ?? {}) as Record<string, unknown>;
  const attributes = Object.fromEntries(
    Object.entries(rawAttributes).map(([key, value]) => [
      key,
      // XML attribute-value normalisation: literal tabs and newlines read as spaces.
      decodeEntities(String(value).replace(/[\t\n]/g, " "), line),
    ]),
  );
  const children: XmlElement[] = [];
  let text = "";
  for (const child of node[name] as OrderedNode[]) {
    if ("#text" in child) {
      text += decodeEntities(textOf(child), line);
    } else if ("#cdata" in child) {
      for (const part of child["#cdata"] as OrderedNode[]) text += textOf(part);
    } else {
      const childName = elementName(child);
      if (childName !== undefined) children.push(toElement(child, childName, lineStarts));
    }
  }
  return { name, attributes, children, text, line };
}

function decodeEntities(raw: string, line: number): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&\s]*);/g, (whole, ref: string) => {
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (numeric) {
      const code = numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
      if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) return String.fromCodePoint(code);
    }
    throw new XmlSyntaxError(
      `Unknown entity: found "${whole}", expected &lt; &gt; &amp; &quot; &apos; or a character reference`,
      line,
      1,
    );
  });
}

/** `<!` outside comments and CDATA starts a DOCTYPE/ENTITY/ELEMENT/ATTLIST declaration. */
function refuseDeclarations(xml: string, lineStarts: readonly number[]): void {
  let i = xml.indexOf("<!");
  while (i !== -1) {
    let resume: number;
    if (xml.startsWith("<!--", i)) {
      resume = xml.indexOf("-->", i + 4);
      if (resume === -1) return; // unterminated: the validator reports it with its position
    } else if (xml.startsWith("<![CDATA[", i)) {
      resume = xml.indexOf("]]>", i + 9);
      if (resume === -1) return;
    } else {
      const word = /^<!([A-Za-z]*)/.exec(xml.slice(i, i + 24))?.[1] ?? "";
      const kind = word === "" ? "Markup" : word.toUpperCase();
      const line = lineOf(i, lineStarts);
      throw new XmlSyntaxError(
        `${kind} declaration refused: found "<!${word}", expected a document without DOCTYPE or ENTITY declarations (they enable XXE and entity expansion)`,
        line,
        i - (lineStarts[line - 1] ?? 0) + 1,
      );
    }
    i = xml.indexOf("<!", resume + 3);
  }
}

function computeLineStarts(xml: string): number[] {
  const starts = [0];
  for (let i = xml.indexOf("\n"); i !== -1; i = xml.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(index: number, lineStarts: readonly number[]): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
