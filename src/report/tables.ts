/** HTML tables and lists of the report: run summary, metrics per dataset, published reference rows, cost. */
import type { RunResults } from '../cl/results.js';
import type { PerDataset } from '../cl/metrics.js';
import { PUBLISHED_MTIL_ORDER_I, PUBLISHED_SETTING } from './published.js';
import {
  escapeHtml as h,
  formatBytes,
  formatCount,
  formatDuration,
  formatPct,
  formatSeeds,
  formatSigned,
} from './format.js';

/** "3 of 11 tasks trained (in progress)" or "11 of 11 tasks trained". */
export function progressText(r: RunResults): string {
  const k = r.matrix.length;
  const T = r.tasks.length;
  return `${k} of ${T} tasks trained${k < T ? ' (in progress)' : ''}`;
}

export function renderSummary(r: RunResults): string {
  // pairs laid out two per line; the stream (long) gets a line of its own
  const rows: [string, string, boolean?][] = [
    ['Method', h(r.method)],
    ['Model', h(r.model)],
    ['Stream', `${h(r.stream)}: ${r.tasks.map(h).join(' \u2192 ')}`, true],
    ['Progress', h(progressText(r))],
    ['Seeds', h(formatSeeds(r.seeds))],
    ['Wall time', `${h(formatDuration(r.wallTime.totalSeconds))} in all`],
    ['Code', `mulki ${h(r.mulkiVersion)}${r.gitCommit ? `, commit <code>${h(r.gitCommit.slice(0, 12))}</code>` : ''}`],
    ['Started', h(r.startedAt)],
    ['Finished', r.finishedAt ? h(r.finishedAt) : 'not yet'],
  ];
  const items = rows.map(([k, v, wide]) => `<dt>${k}</dt><dd${wide ? ' class="wide"' : ''}>${v}</dd>`);
  return `<dl id="summary">${items.join('')}</dl>`;
}

function metricRow(label: string, cls: string, values: PerDataset, overall: number | null, signed = false): string {
  const f = signed ? formatSigned : formatPct;
  const cells = values.map((v) => `<td${v === null ? ' class="na"' : ''}>${f(v)}</td>`).join('');
  return `<tr class="${cls}"><th scope="row">${label}</th>${cells}<td class="mean">${f(overall)}</td></tr>`;
}

/** Transfer / Avg / Last (and Forgetting / BWT) per dataset and overall, plus the zero-shot model's. */
export function renderMetricsTable(r: RunResults): string {
  const m = r.metrics;
  const T = r.tasks.length;
  const head = r.tasks.map((t, j) => `<th scope="col" title="${h(t)}">${j + 1}. ${h(t)}</th>`).join('');
  const group = (label: string) => `<tr class="group"><th colspan="${T + 2}">${label}</th></tr>`;
  const soFar = m.complete ? '' : ' <span class="so-far">(so far)</span>';
  return [
    `<table id="metrics-table" class="num">`,
    `<thead><tr><th scope="col">metric</th>${head}<th scope="col">mean</th></tr></thead>`,
    `<tbody>`,
    group(`This run: ${h(r.method)}${soFar}`),
    metricRow('Transfer', 'transfer', m.perDataset.transfer, m.transfer),
    metricRow('Avg', 'avg', m.perDataset.avg, m.avg),
    metricRow('Last', 'last', m.perDataset.last, m.last),
    metricRow('Forgetting', 'forgetting', m.perDataset.forgetting, m.forgetting, true),
    metricRow('BWT', 'bwt', m.perDataset.bwt, m.bwt, true),
    group('Zero-shot model (before training)'),
    metricRow('Transfer', 'zs-transfer', m.zeroShot.perDataset.transfer, m.zeroShot.transfer),
    metricRow('Avg = Last', 'zs-avg', m.zeroShot.perDataset.avg, m.zeroShot.avg),
    `</tbody></table>`,
  ].join('\n');
}

/** This run's Transfer / Avg / Last next to its own zero-shot model's. */
export function renderRunSummaryTable(r: RunResults): string {
  const m = r.metrics;
  const soFar = m.complete ? '' : ' (so far)';
  return [
    `<table id="run-metrics" class="num"><caption>This run, on ${h(r.stream)}${soFar}</caption>`,
    `<thead><tr><th scope="col">method</th><th scope="col">Transfer</th><th scope="col">Avg</th><th scope="col">Last</th></tr></thead><tbody>`,
    `<tr class="zero-shot"><th scope="row">zero-shot (this model)</th><td>${formatPct(m.zeroShot.transfer)}</td><td>${formatPct(m.zeroShot.avg)}</td><td>${formatPct(m.zeroShot.last)}</td></tr>`,
    `<tr class="this-run"><th scope="row">${h(r.method)}</th><td>${formatPct(m.transfer)}</td><td>${formatPct(m.avg)}</td><td>${formatPct(m.last)}</td></tr>`,
    `</tbody></table>`,
  ].join('\n');
}

export function renderPublishedTable(): string {
  const rows = PUBLISHED_MTIL_ORDER_I.map(
    (p) =>
      `<tr><th scope="row" title="${h(p.source)}">${h(p.method)}</th><td>${formatPct(p.transfer)}</td><td>${formatPct(p.avg)}</td>` +
      `<td${p.last === null ? ' class="na" title="not quoted"' : ''}>${p.last === null ? 'n/q' : formatPct(p.last)}</td></tr>`,
  ).join('\n');
  return [
    `<table id="published-table" class="num published"><caption>Published reference: ${h(PUBLISHED_SETTING)}</caption>`,
    `<thead><tr><th scope="col">method</th><th scope="col">Transfer</th><th scope="col">Avg</th><th scope="col">Last</th></tr></thead>`,
    `<tbody>${rows}</tbody></table>`,
    `<p class="caveat">These are numbers printed in papers for the real 11-dataset MTIL benchmark with ViT-B/16. ` +
      `They are for orientation only and are <strong>not comparable</strong> with runs on other streams, models or ` +
      `training settings. n/q = not quoted.</p>`,
  ].join('\n');
}

/** Wall time per task (pending for tasks not trained yet) and for the whole run. */
export function renderTimingTable(r: RunResults): string {
  const rows = r.tasks
    .map((t, i) => {
      const s = r.wallTime.perTaskSeconds[i];
      return `<tr${s === undefined ? ' class="pending"' : ''}><th scope="row">${i + 1}. ${h(t)}</th><td>${s === undefined ? 'pending' : h(formatDuration(s))}</td></tr>`;
    })
    .join('\n');
  return [
    `<table id="timing-table" class="num"><caption>Wall time per task</caption>`,
    `<thead><tr><th scope="col">task</th><th scope="col">train + evaluate</th></tr></thead><tbody>${rows}</tbody>`,
    `<tfoot><tr><th scope="row">whole run</th><td>${h(formatDuration(r.wallTime.totalSeconds))}</td></tr></tfoot></table>`,
  ].join('\n');
}

/** Teacher forward passes and extra storage of the method. */
export function renderCostTable(r: RunResults): string {
  return [
    `<table id="cost-table" class="num"><caption>Method cost</caption><tbody>`,
    `<tr><th scope="row">teacher forward passes (images)</th><td>${formatCount(r.cost.teacherForwards)}</td></tr>`,
    `<tr><th scope="row">extra storage beyond the student</th><td>${h(formatBytes(r.cost.extraStorageBytes))}</td></tr>`,
    `</tbody></table>`,
  ].join('\n');
}

export function renderNotes(r: RunResults): string {
  if (r.notes.length === 0) return '<p id="notes" class="muted">No notes.</p>';
  return `<ul id="notes">${r.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`;
}
