/**
 * `ioclens report --format html` opened in headless Chromium (Debian's `chromium`): the DOM
 * after the page's own script ran holds the summary, the chart and every row; the table sorts
 * and a chart bar filters; a screenshot shows the chart. With IOCLENS_UPDATE_SCREENSHOTS=1 the
 * screenshot replaces docs/screenshots/report-html.png (the README's picture).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { ReportRecord } from "../../src/report/record.ts";
import { countColour, readPng } from "./_png.ts";
import { FIXTURES, ROOT, requireTool, runProcess, runReportCli, tempDir } from "../_support/system_tools.ts";

// Relative, as a user would type it: the page names its inputs, and the README shows the page.
const INPUT = relative(ROOT, join(FIXTURES, "demo_scan"));
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--window-size=1280,900",
];
/** The chart's bar colour (`svg rect{fill:#cf222e}` in render_html.ts). */
const BAR_COLOUR = 0xcf222e;

/** Writes the report page into `dir` and returns its path and the records it shows. */
async function makePage(dir: string): Promise<{ page: string; records: ReportRecord[] }> {
  const html = await runReportCli(["--format", "html", INPUT]);
  const json = await runReportCli(["--format", "json", INPUT]);
  expect([html.code, html.stderr, json.code, json.stderr]).toEqual([0, "", 0, ""]);
  const page = join(dir, "report.html");
  await writeFile(page, html.stdout);
  return { page, records: JSON.parse(json.stdout) as ReportRecord[] };
}

/** Runs Chromium on `page` with a fresh profile; `args` say what to produce. */
async function chromium(dir: string, profile: string, args: string[], page: string): Promise<string> {
  const result = await runProcess(requireTool("chromium"), [...FLAGS, `--user-data-dir=${join(dir, profile)}`, ...args, pathToFileURL(page).href]);
  if (result.code !== 0) throw new Error(`Chromium failed: exit ${result.code}, stderr ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

function unescapeHtml(s: string): string {
  return s.replace(/&(lt|gt|quot|#39|nbsp|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: "\u00a0", amp: "&" })[e]!);
}

/** What a reader sees in the dumped DOM: the row counter, the summary, the chart bars and the rows. */
function readDom(dom: string) {
  const all = (re: RegExp, text = dom) => [...text.matchAll(re)];
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(dom)?.[1] ?? "";
  return {
    shown: /<span id="shown">([^<]*)<\/span>/.exec(dom)?.[1],
    summary: Object.fromEntries(all(/<dt>([^<]*)<\/dt><dd>([^<]*)<\/dd>/g).map((m) => [m[1], unescapeHtml(m[2]!)])),
    chart: all(/<g[^>]*><title>([^<]*): (\d+)<\/title>/g).map((m) => [unescapeHtml(m[1]!), Number(m[2])]),
    rows: all(/<tr( hidden="")?>([\s\S]*?)<\/tr>/g, tbody).map((m) => ({
      hidden: m[1] !== undefined,
      cells: all(/<td>([\s\S]*?)<\/td>/g, m[2]).map((c) => unescapeHtml(c[1]!)),
    })),
    sortedBy: /<th scope="col" aria-sort="(\w+)"><button type="button">([^<]+)<\/button>/.exec(dom)?.slice(1, 3),
  };
}

/** The table's columns for a record: Time (UTC, to the second), Category, Type, Indicator, Feed, Source, File, Line, Context. */
function cellsOf(r: ReportRecord): string[] {
  const kv = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join(" ");
  const time = r.time === undefined ? "" : `${r.time.slice(0, 10)} ${r.time.slice(11, 19)}`;
  return [time, r.category, r.indicatorType, r.indicator, r.feed ?? "", kv(r.source), r.file ?? "", String(r.line ?? ""), kv(r.context)];
}

function countsByCategory(records: ReportRecord[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.category, (counts.get(r.category) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

describe("ioclens report --format html in Chromium", () => {
  // One page, three Chromium runs started together (each with its own profile): the file stays
  // fast because the runs overlap. Each test awaits its own run.
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let records: ReportRecord[];
  let plainDom: Promise<string>;
  let clickedDom: Promise<string>;
  let screenshot: Promise<string>;

  beforeAll(async () => {
    dir = await tempDir("html");
    const made = await makePage(dir.path);
    records = made.records;
    // What a user does, scripted after the page's own script: click "Indicator", then a bar.
    const clicks = `<script>document.querySelectorAll("#records th button")[3].click();` +
      `document.querySelector('[data-category="KL_Phishing_URL"]').dispatchEvent(new MouseEvent("click",{bubbles:true}));</script>`;
    const clickedPage = join(dir.path, "clicked.html");
    await writeFile(clickedPage, (await readFile(made.page, "utf8")).replace("</body>", `${clicks}</body>`));
    const shot = join(dir.path, "report-html.png");
    plainDom = chromium(dir.path, "profile-dom", ["--dump-dom"], made.page);
    clickedDom = chromium(dir.path, "profile-clicked", ["--dump-dom"], clickedPage);
    screenshot = chromium(dir.path, "profile-shot", [`--screenshot=${shot}`], made.page).then(() => shot);
    // A failed run is reported by the test that awaits it, not as an unhandled rejection.
    for (const p of [plainDom, clickedDom, screenshot]) p.catch(() => {});
  });

  afterAll(async () => {
    await Promise.allSettled([plainDom, clickedDom, screenshot]);
    await dir?.[Symbol.asyncDispose]();
  });

  test("shows the summary, the chart and every row once its script ran", async () => {
    const dom = readDom(await plainDom);
    expect(records.length).toBeGreaterThan(10);
    expect(dom).toEqual({
      // The counter is filled in by the page's script: its text proves the script ran.
      shown: `${records.length} of ${records.length} rows`,
      summary: {
        "Detections shown": String(records.length), "Objects sent": "1840", "Detects received": String(records.length),
        "Scan time": "00:00:04.210", Categories: String(countsByCategory(records).length), "Lines not understood": "0", "Bad lines": "0",
      },
      chart: countsByCategory(records),
      rows: records.map((r) => ({ hidden: false, cells: cellsOf(r) })),
      sortedBy: undefined,
    });
  });

  test("sorts on a header click and filters by a clicked chart bar", async () => {
    const dom = readDom(await clickedDom);
    const byIndicator = records.map(cellsOf).sort((a, b) => a[3]!.localeCompare(b[3]!));
    expect(byIndicator.filter((c) => c[1] === "KL_Phishing_URL").length).toBe(2);
    expect({ shown: dom.shown, sortedBy: dom.sortedBy, rows: dom.rows }).toEqual({
      shown: `2 of ${records.length} rows`,
      sortedBy: ["ascending", "Indicator"],
      rows: byIndicator.map((cells) => ({ hidden: cells[1] !== "KL_Phishing_URL", cells })),
    });
  });

  test("takes a screenshot that shows the page and the chart's bars", async () => {
    const shot = await screenshot;
    const bytes = await readFile(shot);
    const png = readPng(bytes);
    const pixels = png.width * png.height;
    const white = countColour(png, 0xffffff);
    // Twelve detections in six categories: the bars cover at least 6 × 16 px × 80 px.
    expect({ width: png.width, height: png.height, mostlyBackground: white > pixels / 2, inked: pixels - white > 20_000, bars: countColour(png, BAR_COLOUR) > 6 * 16 * 80, small: bytes.length < 300_000 })
      .toEqual({ width: 1280, height: 900, mostlyBackground: true, inked: true, bars: true, small: true });
    if (process.env.IOCLENS_UPDATE_SCREENSHOTS === "1") await copyFile(shot, join(ROOT, "docs/screenshots/report-html.png"));
  });
});
