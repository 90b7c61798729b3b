/**
 * Shared reading helpers for the two config parsers: typed values with errors that name file,
 * line and element path, and warnings for what is ignored.
 */
import { ConfigError } from "./config_error.ts";
import { parseByteSize } from "../io/byte_size.ts";
import { nearestName } from "./_nearest_name.ts";
import { parseXml, type XmlElement } from "./parse_xml.ts";
import { XmlSyntaxError } from "./xml_syntax_error.ts";

export type { XmlElement };

/** Parses the text, turning XML syntax errors into `FILE:LINE: XML syntax error: …`. */
export function readXml(text: string, source: string): XmlElement {
  try {
    return parseXml(text);
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new ConfigError(source, e.line, `XML syntax error: ${e.reason}`, { cause: e });
    throw e;
  }
}

/**
 * Drops whitespace that only lays the value out (a run that contains a line break), so a
 * regex written on its own line still works while ` %ParamName%=%ParamValue%` keeps its space.
 */
export function layoutTrim(text: string): string {
  return text.replace(/^[ \t]*\n\s*/, "").replace(/\s*\n[ \t]*$/, "");
}

export interface ChildOptions {
  /** Elements that may appear more than once (others: later copies are ignored with a warning). */
  readonly repeatable?: readonly string[];
  /** Other spellings of a handled name. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Real Kaspersky elements ioclens does not implement (warned as unsupported). */
  readonly unsupported?: readonly string[];
  /** Elements skipped without a warning. */
  readonly silent?: readonly string[];
  /** Handles every element without a handler (instead of warning). */
  readonly other?: (child: XmlElement, path: string) => void;
}

/**
 * One parse of one file: knows the source name and collects warnings. Unknown elements and
 * attributes are warnings that name the nearest known name; `strict` makes them errors.
 */
export class Reader {
  readonly warnings: string[] = [];
  constructor(
    readonly source: string,
    readonly strict = false,
  ) {}

  fail(line: number, path: string, detail: string): never {
    throw new ConfigError(this.source, line, `${path} ${detail}`, { elementPath: path });
  }

  warn(line: number, detail: string): void {
    this.warnings.push(`${this.source}:${line}: ${detail}`);
  }

  /** Calls the handler named after each child element; warns about the rest. */
  children(
    element: XmlElement,
    path: string,
    handlers: Readonly<Record<string, (child: XmlElement, childPath: string) => void>>,
    options: ChildOptions = {},
  ): void {
    const seen = new Map<string, number>();
    for (const child of element.children) {
      const childPath = `${path} > ${child.name}`;
      const key = options.aliases?.[child.name] ?? child.name;
      const handler = handlers[key];
      if (handler === undefined) {
        if (options.other) options.other(child, childPath);
        else if (options.silent?.includes(key)) continue;
        else if (options.unsupported?.includes(key)) this.warn(child.line, `unsupported element ${childPath} ignored`);
        else this.unknown(child.line, "element", path, child.name, [...Object.keys(handlers), ...Object.keys(options.aliases ?? {}), ...(options.unsupported ?? []), ...(options.silent ?? [])]);
        continue;
      }
      const firstLine = seen.get(key);
      if (firstLine !== undefined && !options.repeatable?.includes(key)) {
        this.warn(child.line, `duplicate element ${childPath} ignored: the one at line ${firstLine} is used`);
        continue;
      }
      seen.set(key, child.line);
      handler(child, childPath);
    }
  }

  /** Warns about attributes this element does not use. */
  attributes(element: XmlElement, path: string, known: readonly string[]): void {
    for (const name of Object.keys(element.attributes)) {
      if (!known.includes(name)) this.unknown(element.line, "attribute", path, name, known);
    }
  }

  /**
   * An element or attribute `name` under `parent` that nothing reads: a warning (`… ignored: did
   * you mean X?`), or with `strict` a ConfigError. `known` are the names that are read there.
   */
  unknown(line: number, kind: "element" | "attribute", parent: string, name: string, known: readonly string[]): void {
    const guess = nearestName(name, known);
    const what = kind === "element" ? `element ${parent} > ${name}` : `attribute ${name} of ${parent}`;
    if (this.strict) {
      const expected = guess !== undefined ? `did you mean ${guess}?` : known.length === 0 ? `expected none here` : `expected one of ${known.join(", ")}`;
      throw new ConfigError(this.source, line, `unknown ${what} (--strict): ${expected}`, { elementPath: kind === "element" ? `${parent} > ${name}` : parent });
    }
    this.warn(line, `unknown ${what} ignored${guess === undefined ? "" : `: did you mean ${guess}?`}`);
  }

  /** The element's text with layout whitespace removed; child elements are warned about. */
  text(element: XmlElement, path: string): string {
    for (const child of element.children) this.unknown(child.line, "element", path, child.name, []);
    return layoutTrim(element.text);
  }

  /** The element's text, fully trimmed (numbers, flags, addresses, paths). */
  value(element: XmlElement, path: string): string {
    return this.text(element, path).trim();
  }

  int(element: XmlElement, path: string, min: number, max: number): number {
    return this.toInt(this.value(element, path), element.line, path, min, max);
  }

  bool(element: XmlElement, path: string): boolean {
    return this.toBool(this.value(element, path), element.line, path);
  }

  attr(element: XmlElement, name: string): string | undefined {
    return element.attributes[name];
  }

  requiredAttr(element: XmlElement, path: string, name: string): string {
    const value = element.attributes[name];
    if (value === undefined || value.trim() === "") this.fail(element.line, path, `needs a non-empty ${name} attribute: found ${value === undefined ? "none" : "an empty one"}`);
    return value;
  }

  intAttr(element: XmlElement, path: string, name: string, min: number, max: number): number | undefined {
    const raw = element.attributes[name];
    return raw === undefined ? undefined : this.toInt(raw.trim(), element.line, `${path} attribute ${name}`, min, max);
  }

  /**
   * A count of `unit` (bytes, characters) from 1 to `max`, written as a whole number with an
   * optional binary multiplier: `512 MiB`, `4M`, `1048576`.
   */
  sizeAttr(element: XmlElement, path: string, name: string, max: number, unit: string): number | undefined {
    const raw = element.attributes[name];
    if (raw === undefined) return undefined;
    const value = parseByteSize(raw);
    if (value === undefined || value < 1 || value > max) {
      this.fail(element.line, `${path} attribute ${name}`, `must be a number of ${unit} from 1 to ${max}, optionally with K, M or G (KiB, MiB, GiB), got "${raw}"`);
    }
    return value;
  }

  boolAttr(element: XmlElement, path: string, name: string): boolean | undefined {
    const raw = element.attributes[name];
    return raw === undefined ? undefined : this.toBool(raw.trim(), element.line, `${path} attribute ${name}`);
  }

  /** Matches case-insensitively and returns the canonical spelling. */
  enumAttr<T extends string>(element: XmlElement, path: string, name: string, allowed: readonly T[]): T | undefined {
    const raw = element.attributes[name];
    if (raw === undefined) return undefined;
    const wanted = raw.trim().toLowerCase();
    const found = allowed.find((option) => option.toLowerCase() === wanted);
    if (found === undefined) this.fail(element.line, path, `attribute ${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
    return found;
  }

  private toInt(raw: string, line: number, what: string, min: number, max: number): number {
    const value = /^\+?\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max)) {
      const range = max === Number.POSITIVE_INFINITY ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
      this.fail(line, what, `must be ${range}, got "${raw}"`);
    }
    return value;
  }

  private toBool(raw: string, line: number, what: string): boolean {
    const lower = raw.toLowerCase();
    if (lower === "true" || lower === "1") return true;
    if (lower === "false" || lower === "0") return false;
    this.fail(line, what, `must be true or false, got "${raw}"`);
  }
}
