/**
 * renderHtmlReport: one self-contained HTML page for a run (inline CSS and SVG; no scripts, fonts or network).
 * Sections: summary, accuracy heatmap, per-dataset curves, metrics, published reference, cost, notes, config.
 */
import type { RunResults } from '../cl/results.js';
import { renderCurvesSvg } from './curves.js';
import { escapeHtml as h } from './format.js';
import { renderHeatmapSvg } from './heatmap.js';
import { reportInput } from './input.js';
import {
  progressText,
  renderCostTable,
  renderMetricsTable,
  renderNotes,
  renderPublishedTable,
  renderRunSummaryTable,
  renderSummary,
  renderTimingTable,
} from './tables.js';

const CSS = `
:root { color-scheme: light; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1d1d1f; background: #ffffff; }
main { max-width: 1320px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
p.lead, p.caveat, .muted { color: #555; }
p.caveat { font-size: 12.5px; max-width: 520px; }
#status { padding: 8px 12px; border-radius: 4px; display: inline-block; margin: 0 0 12px; }
#status.in-progress { background: #fff4d6; border: 1px solid #e6c25a; }
#status.complete { background: #e5f4e7; border: 1px solid #8cc796; }
dl#summary { display: grid; grid-template-columns: max-content minmax(0, 1fr) max-content minmax(0, 1fr);
  gap: 3px 16px; margin: 0; max-width: 1200px; }
dl#summary dd.wide { grid-column: span 3; }
dl#summary dt { font-weight: 600; color: #444; }
dl#summary dd { margin: 0; }
figure { margin: 8px 0; overflow-x: auto; }
figcaption { font-size: 12.5px; color: #555; max-width: 900px; }
svg { max-width: 100%; height: auto; }
svg .tick, svg .col-label, svg .row-label { fill: #333; font-size: 12px; }
table { border-collapse: collapse; margin: 6px 0 10px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 4px 9px; border: 1px solid #d5dbe3; }
thead th { background: #e8eef7; font-weight: 600; }
table.num td { text-align: right; font-variant-numeric: tabular-nums; }
tbody th, tfoot th { text-align: left; font-weight: 500; background: #fafafa; white-space: nowrap; }
tr.group th { background: #f1f1f1; font-weight: 600; text-align: left; }
td.mean { font-weight: 700; background: #f6f8fb; }
td.na { color: #aaa; }
tr.this-run th, tr.this-run td { font-weight: 700; }
table.published { background: #fcfcfc; color: #444; min-width: 460px; }
table.published caption { color: #444; }
.side-by-side { display: flex; flex-wrap: wrap; gap: 40px; align-items: flex-start; }
.so-far { font-weight: 400; color: #8a6d00; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12px; max-height: 480px; }
code { font-size: 12.5px; }
`;

export function renderHtmlReport(results: RunResults): string {
  const r = reportInput(results);
  const complete = r.metrics.complete;
  const title = `mulki report: ${r.method} on ${r.stream}`;
  const status = complete
    ? `<p id="status" class="complete">Complete: ${h(progressText(r))}.</p>`
    : `<p id="status" class="in-progress">Run in progress: ${r.matrix.length} of ${r.tasks.length} tasks trained. ` +
      `Metrics are computed from the ` +
      `rows so far; Last is the latest row.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1 id="title">${h(title)}</h1>
${status}
<section id="run">
${renderSummary(r)}
</section>
<section id="matrix">
<h2>Accuracy matrix</h2>
<figure>
${renderHeatmapSvg(r)}
<figcaption>Top-1 accuracy (%) on each dataset (columns, in task order) before training (zero-shot) and after each
task (rows). Outlined: the dataset just trained (diagonal). Hatched, inside the dashed line: datasets not trained yet,
whose mean is Transfer.</figcaption>
</figure>
</section>
<section id="metrics">
<h2>Metrics</h2>
<p class="lead">Transfer: mean accuracy on datasets before they are trained (upper triangle). Avg: mean over all
rows. Last: the final row. Forgetting: best earlier accuracy minus final. BWT: final minus just-trained accuracy.</p>
${renderMetricsTable(r)}
<div class="side-by-side">
<div>${renderRunSummaryTable(r)}</div>
<div>${renderPublishedTable()}</div>
</div>
</section>
<section id="curves-section">
<h2>Accuracy of each dataset across the stream</h2>
<figure>
${renderCurvesSvg(r)}
<figcaption>One line per dataset; the ring marks the stage at which that dataset was trained.</figcaption>
</figure>
</section>
<section id="cost">
<h2>Time and cost</h2>
<div class="side-by-side">
<div>${renderTimingTable(r)}</div>
<div>${renderCostTable(r)}</div>
</div>
</section>
<section id="notes-section">
<h2>Notes</h2>
${renderNotes(r)}
</section>
<section id="config-section">
<h2>Configuration</h2>
<details id="config"><summary>Full resolved configuration (JSON)</summary>
<pre>${h(JSON.stringify(r.config, null, 2))}</pre>
</details>
</section>
</main>
</body>
</html>
`;
}
