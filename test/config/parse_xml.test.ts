import { describe, expect, test } from "bun:test";
import { parseXml } from "../../src/config/parse_xml.ts";
import { XmlSyntaxError } from "../../src/config/xml_syntax_error.ts";
import { fixture, thrown } from "./_fixture_files.ts";

describe("parseXml()", () => {
  test("builds an element tree with attributes in order, untrimmed text and start lines", () => {
    const root = parseXml(
      [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<!-- a comment <Ignored/> -->`,
        `<Configuration>`,
        `  <Source id="default" ip="10.0.0.1">`,
        `    <RE_URL type="URL" extract="all">url=(\\S+)</RE_URL>`,
        `  </Source>`,
        `  <Format><![CDATA[ %ParamName%=%ParamValue%]]></Format>`,
        `</Configuration>`,
      ].join("\n"),
    );
    expect(root).toEqual({
      name: "Configuration",
      attributes: {},
      line: 3,
      text: "\n  \n  \n",
      children: [
        {
          name: "Source",
          attributes: { id: "default", ip: "10.0.0.1" },
          line: 4,
          text: "\n    \n  ",
          children: [{ name: "RE_URL", attributes: { type: "URL", extract: "all" }, line: 5, text: "url=(\\S+)", children: [] }],
        },
        { name: "Format", attributes: {}, line: 7, text: " %ParamName%=%ParamValue%", children: [] },
      ],
    });
    expect(Object.keys(root.children[0]?.attributes ?? {})).toEqual(["id", "ip"]);
  });

  test("joins text and CDATA and decodes the predefined entities and character references", () => {
    const root = parseXml(`<a v="x &amp; &#x41;&#66;"> 1 &lt; 2 <![CDATA[&amp; stays]]> &quot;&apos;&gt;</a>`);
    expect(root.text).toBe(` 1 < 2 &amp; stays "'>`);
    expect(root.attributes).toEqual({ v: "x & AB" });
  });

  test("counts lines the same with CRLF line ends and a byte order mark", () => {
    const root = parseXml("\uFEFF<a>\r\n<!--\r\n-->\r\n<b/>\r\n\r\n<c>x\r\ny</c></a>");
    expect(root.children.map((c) => [c.name, c.line])).toEqual([["b", 4], ["c", 6]]);
    expect(root.children[1]?.text).toBe("x\ny");
  });

  test("keeps a text value's leading and trailing spaces", () => {
    expect(parseXml("<a>  two spaces  </a>").text).toBe("  two spaces  ");
  });

  test("reports an unclosed tag as an XmlSyntaxError with line and column", () => {
    const error = thrown(() => parseXml(fixture("unclosed_tag.conf")));
    expect(error).toBeInstanceOf(XmlSyntaxError);
    expect(error).toBeInstanceOf(SyntaxError);
    const { line, column, reason } = error as XmlSyntaxError;
    expect({ line, column, reason }).toEqual({
      line: 6,
      column: 1,
      reason: "Expected closing tag 'Pattern' (opened in line 4, col 3) instead of closing tag 'Settings'",
    });
    expect(error.message).toBe(`${reason} (line 6, column 1)`);
  });

  test("refuses DOCTYPE with entity declarations and names its line", () => {
    const error = thrown(() => parseXml(fixture("doctype_entity.conf"))) as XmlSyntaxError;
    expect(error).toBeInstanceOf(XmlSyntaxError);
    expect([error.line, error.column]).toEqual([2, 1]);
    expect(error.reason).toStartWith(`DOCTYPE declaration refused: found "<!DOCTYPE"`);
  });

  test.each([
    ["a bare ENTITY declaration", "<a/>\n\n<!ENTITY x 'y'>", 3, "ENTITY declaration refused"],
    ["a lower-case doctype", "<!doctype html>\n<a/>", 1, "DOCTYPE declaration refused"],
    ["an ELEMENT declaration", "<a>\n<!ELEMENT a ANY>\n</a>", 2, "ELEMENT declaration refused"],
  ])("refuses %s", (_name, xml, line, reason) => {
    const error = thrown(() => parseXml(xml)) as XmlSyntaxError;
    expect([error.line, error.reason.slice(0, reason.length)]).toEqual([line, reason]);
  });

  test("accepts the word DOCTYPE inside comments and CDATA", () => {
    const root = parseXml("<!-- <!DOCTYPE x> -->\n<a><![CDATA[<!DOCTYPE y>]]></a>");
    expect(root.text).toBe("<!DOCTYPE y>");
  });

  test.each([
    ["an undefined entity", "<a>\n<b>&foo;</b></a>", 2, `Unknown entity: found "&foo;"`],
    ["a second root element", "<a/>\n<b/>", 2, "Second root element: found <b> after <a>"],
    ["an empty document", "   ", 1, "Start tag expected"],
    ["a repeated attribute", "<a>\n<b x='1' x='2'/></a>", 2, "Attribute 'x' is repeated"],
    ["a bare ampersand", "<a>\n\nR&D</a>", 3, "char '&' is not expected"],
  ])("rejects %s", (_name, xml, line, reason) => {
    const error = thrown(() => parseXml(xml)) as XmlSyntaxError;
    expect(error).toBeInstanceOf(XmlSyntaxError);
    expect([error.line, error.reason.slice(0, reason.length)]).toEqual([line, reason]);
  });
});
