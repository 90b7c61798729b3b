/**
 * A self-contained HTML page (no external resources): summary counts, an inline SVG chart of
 * detections by category and a table that sorts and filters with inline JS. Rows stream out
 * as they arrive; the summary is written last and moved to the top with CSS `order`, so only
 * the per-category counters stay in memory.
 */
import type { ReportRecord } from "./record.ts";
import { formatScanTime } from "./summary_lines.ts";
import type { Output } from "../io/output.ts";
import type { RecordWriter, RunFacts } from "./_writer.ts";

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
main{display:flex;flex-direction:column;gap:1rem;padding:1rem 1.5rem}
#summary{order:-1}
h1{font-size:1.4rem;margin:.2rem 0}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem;margin:.5rem 0}
dt{color:#57606a}dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}td:first-child{overflow-wrap:normal;min-width:10ch}td:nth-child(2),td:nth-child(3),td:nth-child(8){white-space:nowrap}
td:nth-child(4),td:nth-child(7){min-width:12ch}td:nth-child(6),td:nth-child(9){min-width:16ch}
th{white-space:nowrap}th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer}
th button::after{content:" \\2195";color:#8c959f}
th[aria-sort=ascending] button::after{content:" \\25B2";color:inherit}th[aria-sort=descending] button::after{content:" \\25BC";color:inherit}
#filter{padding:.3rem .5rem;width:min(30rem,100%);margin:.3rem 0}
svg text{font:12px system-ui,sans-serif;fill:#1b1f24}svg rect{fill:#cf222e}
@media print{#filter{display:none}}
`;

const SCRIPT = `
(function(){
  var table=document.getElementById("records"),body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  var filter=document.getElementById("filter"),shown=document.getElementById("shown");
  function apply(){var q=filter.value.toLowerCase(),n=0;
    rows.forEach(function(r){var hit=!q||r.textContent.toLowerCase().indexOf(q)>=0;r.hidden=!hit;if(hit)n++;});
    shown.textContent=n+" of "+rows.length+" rows";}
  filter.addEventListener("input",apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.querySelector("button").addEventListener("click",function(){
      var asc=th.getAttribute("aria-sort")!=="ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(o){o.removeAttribute("aria-sort");});
      th.setAttribute("aria-sort",asc?"ascending":"descending");
      rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent,nx=Number(x),ny=Number(y);
        var c=(x!==""&&y!==""&&!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});
      rows.forEach(function(r){body.appendChild(r);});});});
  Array.prototype.forEach.call(document.querySelectorAll("[data-category]"),function(g){
    g.addEventListener("click",function(){filter.value=g.getAttribute("data-category");apply();});});
  apply();
})();
`;

const COLUMNS = ["Time (UTC)", "Category", "Type", "Indicator", "Feed", "Source", "File", "Line", "Context"];
const CHART_BARS = 20;

/** Writes the page; see the module comment for the layout. */
export class HtmlWriter implements RecordWriter {
  #count = 0;
  constructor(private readonly out: Output) {
    out.write(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">` +
        `<title>ioclens report</title><style>${STYLE}</style></head><body><main>\n` +
        `<section id="detections"><h2>Detections</h2>` +
        `<input id="filter" type="search" placeholder="Filter rows (any text)" aria-label="Filter rows"> <span id="shown"></span>\n` +
        `<table id="records"><thead><tr>${COLUMNS.map((c) => `<th scope="col"><button type="button">${c}</button></th>`).join("")}</tr></thead><tbody>\n`,
    );
  }

  write(r: ReportRecord) {
    this.#count++;
    const src = Object.entries(r.source).map(([k, v]) => `${k}=${v}`).join(" ");
    const ctx = Object.entries(r.context).map(([k, v]) => `${k}=${v}`).join(" ");
    // The terminal table's time layout: shorter, and the space lets a narrow column wrap.
    const time = r.time === undefined ? "" : r.time.replace(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.\d{3}Z$/, "$1 $2");
    const cells = [time, r.category, r.indicatorType, r.indicator, r.feed ?? "", src, r.file ?? r.origin ?? "", r.line === undefined ? "" : String(r.line), ctx];
    let row = "<tr>";
    for (const c of cells) row += `<td>${escapeHtml(c)}</td>`;
    return this.out.write(row + "</tr>\n");
  }

  end(facts: RunFacts) {
    const s = facts.summary;
    const facts1: [string, string][] = [
      ["Detections shown", String(this.#count)],
      ["Objects sent", String(s.objectsSent)],
      ["Detects received", String(s.detectsReceived)],
      ["Scan time", formatScanTime(s.scanTimeMs)],
      ["Categories", String(facts.byCategory.size)],
      ["Lines not understood", String(facts.rawLines)],
      ["Bad lines", String(facts.badLines)],
    ];
    let html = `</tbody></table>${this.#count === 0 ? "<p>No detections.</p>" : ""}</section>\n<section id="summary"><h1>ioclens report</h1>`;
    if (facts.inputs.length > 0) html += `<p>From ${facts.inputs.map((i) => `<code>${escapeHtml(i)}</code>`).join(", ")}</p>`;
    html += `<dl>${facts1.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
    html += `<h2>Detections by category</h2>${chart(facts.byCategory)}</section>\n</main><script>${SCRIPT}</script></body></html>\n`;
    this.out.write(html);
    return this.out.flush();
  }
}

/** A horizontal bar chart; the categories beyond the first 20 are summed into "other". */
function chart(byCategory: ReadonlyMap<string, number>): string {
  const sorted = [...byCategory].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  // The third member is what a click on the bar filters by: nothing for "(none)" and "other",
  // whose labels appear in no row.
  const bars = sorted.slice(0, CHART_BARS).map(([c, n]) => [c || "(none)", n, c] as [string, number, string]);
  const rest = sorted.slice(CHART_BARS).reduce((t, [, n]) => t + n, 0);
  if (rest > 0) bars.push(["other", rest, ""]);
  if (bars.length === 0) return `<svg id="chart" role="img" width="480" height="24" viewBox="0 0 480 24"><title>Detections by category</title><text x="0" y="16">No detections</text></svg>`;
  const max = bars[0]![1] > rest ? bars[0]![1] : rest;
  const labelW = 260;
  const barW = 320;
  const rowH = 24;
  const height = bars.length * rowH;
  let svg = `<svg id="chart" role="img" width="${labelW + barW + 80}" height="${height}" viewBox="0 0 ${labelW + barW + 80} ${height}"><title>Detections by category</title>`;
  bars.forEach(([c, n, filter], i) => {
    const y = i * rowH;
    const w = Math.max(1, Math.round((n / max) * barW));
    svg += `<g${filter === "" ? "" : ` data-category="${escapeHtml(filter)}" style="cursor:pointer"`}><title>${escapeHtml(c)}: ${n}</title>` +
      `<text x="${labelW - 6}" y="${y + 16}" text-anchor="end">${escapeHtml(c.length > 38 ? c.slice(0, 37) + "…" : c)}</text>` +
      `<rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 8}"></rect>` +
      `<text x="${labelW + w + 6}" y="${y + 16}">${n}</text></g>`;
  });
  return svg + "</svg>";
}
