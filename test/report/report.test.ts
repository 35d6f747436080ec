import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtmlReport, renderMarkdownReport, renderMarkdownTable, writeReport } from '../../src/report/index.js';
import { makeResults, syntheticMatrix, ZERO_SHOT } from './fixture.js';

/** The inner HTML of the element with the given id (the element must not nest a same-named tag). */
function element(html: string, tag: string, id: string): string {
  const start = html.indexOf(`<${tag} id="${id}"`);
  assert.ok(start >= 0, `no <${tag} id="${id}">`);
  const end = html.indexOf(`</${tag}>`, start);
  assert.ok(end > start, `<${tag} id="${id}"> is not closed`);
  return html.slice(start, end);
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

test('complete run: page is self-contained and has every section', () => {
  const html = renderHtmlReport(makeResults());
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<link|@import|src="http|href="http|url\(http/i);
  for (const id of ['title', 'status', 'summary', 'heatmap', 'metrics-table', 'run-metrics', 'published-table',
    'curves', 'timing-table', 'cost-table', 'notes', 'config']) {
    assert.match(html, new RegExp(`id="${id}"`), `missing id="${id}"`);
  }
  assert.match(html, /<title>mulki report: mulki on MTIL Order I<\/title>/);
  assert.match(element(html, 'p', 'status'), /class="complete">Complete: 11 of 11 tasks trained/);
  const summary = element(html, 'dl', 'summary');
  assert.match(summary, /ViT-B\/16 \(openai\)/);
  assert.match(summary, /run=1, split=42/);
  assert.match(summary, /3 h 25 min/);
  assert.match(summary, /6463928abcde/);
});

test('heatmap: one cell per (row, dataset), regions marked, values printed', () => {
  const r = makeResults();
  const svg = element(renderHtmlReport(r), 'svg', 'heatmap');
  const T = 11;
  assert.equal(count(svg, /<g class="cell /g), (T + 1) * T);
  assert.equal(count(svg, /<g class="cell zeroshot"/g), T);
  assert.equal(count(svg, /<g class="cell diag"/g), T);
  assert.equal(count(svg, /<g class="cell transfer"/g), (T * (T - 1)) / 2);
  assert.equal(count(svg, /<g class="cell seen"/g), (T * (T - 1)) / 2);
  assert.equal(count(svg, /class="cell pending/g), 0);
  assert.equal(count(svg, /url\(#hm-hatch\)/g), (T * (T - 1)) / 2 + 1); // transfer cells + the legend swatch
  assert.match(svg, /class="transfer-outline"/);
  // the zero-shot cell of Aircraft and the diagonal cell of task 3 print their values
  assert.match(svg, /data-row="zs" data-col="0">.*?<text class="cell-value"[^>]*>24\.3<\/text>/s);
  const a22 = r.matrix[2]![2]!.toFixed(1);
  assert.match(svg, new RegExp(`<g class="cell diag" data-row="2" data-col="2">.*?>${a22.replace('.', '\\.')}</text>`, 's'));
  // a value from the upper triangle
  const a05 = r.matrix[0]![5]!.toFixed(1);
  assert.match(svg, new RegExp(`<g class="cell transfer" data-row="0" data-col="5">.*?>${a05.replace('.', '\\.')}</text>`, 's'));
});

test('metrics table: per-dataset and overall numbers, zero-shot rows, published reference', () => {
  const r = makeResults();
  const html = renderHtmlReport(r);
  const table = element(html, 'table', 'metrics-table');
  const m = r.metrics;
  // 11 dataset columns + the metric name + the mean
  assert.equal(count(table.slice(0, table.indexOf('</thead>')), /<th scope="col"/g), 13);
  assert.match(table, new RegExp(`<tr class="transfer"><th scope="row">Transfer</th><td class="na">\u2013</td>`));
  assert.match(table, new RegExp(`<td class="mean">${m.transfer!.toFixed(1)}</td></tr>\\n<tr class="avg"`));
  assert.match(table, new RegExp(`<tr class="last">.*<td class="mean">${m.last!.toFixed(1)}</td>`));
  assert.match(table, /<tr class="zs-transfer">.*<td class="mean">69\.4<\/td>/);
  assert.match(table, /<tr class="zs-avg">.*<td class="mean">65\.3<\/td>/);
  const published = element(html, 'table', 'published-table');
  for (const v of ['69.4', '44.6', '56.9', '52.3', '68.1', '75.4', '83.6', '68.9', '76.7', '85.0', '70.1', '77.3']) {
    assert.ok(published.includes(`>${v}<`), `published table lacks ${v}`);
  }
  assert.match(published, /MulKI<\/th><td>70\.1<\/td><td>77\.3<\/td><td class="na"[^>]*>n\/q</);
  assert.match(published, /Published reference: MTIL Order I, CLIP ViT-B\/16/);
  assert.match(html, /not comparable<\/strong> with runs on other streams/);
});

test('dataset and method names are escaped everywhere', () => {
  const tasks = ['A<b>&c', 'Plain', 'q"uote\'s'];
  const r = makeResults({ tasks, zeroShot: [10, 20, 30], method: 'x<script>alert(1)</script>', notes: ['a & b <i>'] });
  const html = renderHtmlReport(r);
  assert.doesNotMatch(html, /<b>|<script>|<i>/);
  assert.match(html, /A&lt;b&gt;&amp;c/);
  assert.match(html, /q&quot;uote&#39;s/);
  assert.match(html, /x&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(element(html, 'ul', 'notes'), /a &amp; b &lt;i&gt;/);
  assert.match(element(html, 'svg', 'heatmap'), /1\. A&lt;b&gt;&amp;c<\/text>/);
  assert.match(element(html, 'table', 'metrics-table'), /title="A&lt;b&gt;&amp;c">1\. A&lt;b&gt;&amp;c</);
  const md = renderMarkdownReport(r);
  assert.match(md, /A&lt;b&gt;&amp;c/);
  assert.doesNotMatch(md, /<b>/);
});

test('partial matrix (run in progress) renders with pending cells', () => {
  const r = makeResults({ matrix: syntheticMatrix(ZERO_SHOT, 3) });
  const html = renderHtmlReport(r);
  assert.match(element(html, 'p', 'status'), /in-progress">Run in progress: 3 of 11 tasks trained/);
  const svg = element(html, 'svg', 'heatmap');
  assert.equal(count(svg, /class="cell pending/g), 8 * 11);
  assert.equal(count(svg, /<g class="cell diag"/g), 3);
  assert.equal(count(svg, /<polyline /g), 0); // no stray chart content in the heatmap
  const curves = element(html, 'svg', 'curves');
  assert.equal(count(curves, /<polyline /g), 11);
  // each line has the zero-shot point and three trained stages
  const firstLine = /<polyline points="([^"]+)"/.exec(curves)![1]!;
  assert.equal(firstLine.split(' ').length, 4);
  assert.match(element(html, 'table', 'metrics-table'), /\(so far\)/);
  assert.equal(count(element(html, 'table', 'timing-table'), /class="pending"/g), 8);
  assert.match(html, /<dt>Finished<\/dt><dd>not yet<\/dd>/);
  // no rows at all still renders
  const none = renderHtmlReport(makeResults({ matrix: [] }));
  assert.equal(count(element(none, 'svg', 'heatmap'), /class="cell pending/g), 121);
});

test('renderMarkdownTable: mean \u00b1 std over seeds, groups by method, partial runs kept apart', () => {
  // two seeds of "ft" whose matrices differ by a constant: every metric differs by the same amount
  const base = syntheticMatrix(ZERO_SHOT, 11);
  const ft1 = makeResults({ method: 'ft', seeds: { run: 1 }, matrix: base });
  const ft2 = makeResults({ method: 'ft', seeds: { run: 2 }, matrix: base.map((row) => row.map((v) => v - 2)) });
  const ours = makeResults({ method: 'mul|ki', seeds: { run: 7 } });
  const partial = makeResults({ method: 'ft', seeds: { run: 3 }, matrix: base.slice(0, 2) });
  const md = renderMarkdownTable([ft1, ours, ft2, partial]);
  const lines = md.trim().split('\n');
  assert.equal(lines[0], '| Method | Model | Stream | Runs | Transfer | Avg | Last | Forgetting | BWT |');
  assert.equal(lines[1], '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const ftRow = lines.find((l) => l.startsWith('| ft |') && l.includes('2 (run=1; run=2)'));
  assert.ok(ftRow, md);
  // mean = metric(ft1) - 1; sample std of {x, x-2} = sqrt(2) = 1.414 -> "1.4"; forgetting/BWT do not change
  const t = ft1.metrics.transfer! - 1;
  assert.ok(ftRow.includes(`| ${t.toFixed(1)} \u00b1 1.4 |`), ftRow);
  assert.ok(ftRow.includes(`| ${(ft1.metrics.last! - 1).toFixed(1)} \u00b1 1.4 |`), ftRow);
  assert.ok(ftRow.includes(`| +${ft1.metrics.forgetting!.toFixed(1)} \u00b1 0.0 |`), ftRow);
  // single run: no \u00b1; the pipe in the method name is escaped
  const oursRow = lines.find((l) => l.startsWith('| mul\\|ki |'));
  assert.ok(oursRow && !oursRow.includes('\u00b1') && oursRow.includes('| 1 (run=7) |'), md);
  // the partial run is its own row
  assert.ok(lines.some((l) => l.startsWith('| ft |') && l.includes('in progress: 2 of 11 tasks trained')), md);
  assert.match(md, /mean \u00b1 sample standard deviation/);
  assert.doesNotMatch(md, /published/);
  const withPub = renderMarkdownTable([ours], { published: true });
  assert.match(withPub, /\| ZSCL \(published\) \| ViT-B\/16 \| MTIL Order I \(real\) \| paper \| 68\.1 \| 75\.4 \| 83\.6 \|/);
  assert.match(withPub, /\| MulKI \(published\) .* \| 70\.1 \| 77\.3 \| n\/q \|/);
  assert.match(withPub, /not comparable/);
  assert.throws(() => renderMarkdownTable([]), /no results given/);
  // Labels from the caller's objects; 'metrics' columns group by label alone (the model text may differ).
  const other = makeResults({ method: 'ft', seeds: { run: 4 }, matrix: base });
  const relabelled = { ...other, model: `${other.model} (renamed)` };
  const names = new Map([[ft1, 'first'], [relabelled, 'first'], [ours, 'second']]);
  const compact = renderMarkdownTable([ft1, relabelled, ours], { label: (r) => names.get(r) ?? '?', columns: 'metrics' }).trim().split('\n');
  assert.equal(compact[0], '| Method | Runs | Transfer | Avg | Last | Forgetting | BWT |');
  assert.equal(compact[1], '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  assert.ok(compact.some((l) => l.startsWith('| first | 2 (run=1; run=4) |')), compact.join('\n'));
  assert.ok(compact.some((l) => l.startsWith('| second | 1 (run=7) |')), compact.join('\n'));
  assert.ok(renderMarkdownTable([ours], { published: true, columns: 'metrics' }).includes('| ZSCL (published, ViT-B/16, MTIL Order I real) | paper | 68.1 |'));
});

test('writeReport writes report.html and report.md and leaves no temporary files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-report-'));
  try {
    const r = makeResults();
    const out = writeReport(join(dir, 'run1'), r);
    assert.equal(out.html, join(dir, 'run1', 'report.html'));
    assert.equal(readFileSync(out.html, 'utf8'), renderHtmlReport(r));
    const md = readFileSync(out.markdown, 'utf8');
    assert.match(md, /^# mulki report: mulki on MTIL Order I/);
    assert.match(md, /\| after 3\. CIFAR100 \| [\d.]+ \| [\d.]+ \| \*\*[\d.]+\*\* \|/);
    assert.match(md, /\| Transfer \| \u2013 \|/);
    assert.deepEqual(readdirSync(join(dir, 'run1')).sort(), ['report.html', 'report.md']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('renderers recompute metrics and reject malformed results with a clear error', () => {
  const r = makeResults();
  const stale = { ...r, metrics: { ...r.metrics, transfer: 12.34 } };
  const table = element(renderHtmlReport(stale), 'table', 'metrics-table');
  assert.match(table, new RegExp(`<td class="mean">${r.metrics.transfer!.toFixed(1)}</td>`));
  assert.doesNotMatch(table, />12\.3</);
  const ragged = { ...r, matrix: r.matrix.map((row, i) => (i === 4 ? row.slice(1) : row)) };
  assert.throws(() => renderHtmlReport(ragged), /results given to the report: matrix\[4\] has 10 values, expected 11/);
  assert.throws(() => renderMarkdownTable([r, ragged]), /results #2 given to renderMarkdownTable: matrix\[4\]/);
});
