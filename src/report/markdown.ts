/**
 * Markdown output for docs: `renderMarkdownTable` compares runs (one row per method/model/stream; mean ± std over
 * the seeds when a method has several complete runs) and `renderMarkdownReport` is the Markdown twin of the HTML
 * report for one run.
 */
import type { RunResults } from '../cl/results.js';
import { PUBLISHED_MTIL_ORDER_I, PUBLISHED_SETTING } from './published.js';
import { escapeMarkdownCell as md, formatDuration, formatPct, formatSeeds, formatSigned } from './format.js';
import { reportInput } from './input.js';
import { progressText } from './tables.js';

export interface MarkdownTableOptions {
  /** Append the published MTIL Order I rows, labelled as such (default false). */
  published?: boolean;
  /** Row label of a run (default: its method name); runs are grouped by label, model, stream and tasks. */
  label?: (r: RunResults) => string;
  /**
   * 'metrics': leave out the Model and Stream columns and group by label and tasks only, for a caller whose heading
   * names the one model and stream of every run (default 'full').
   */
  columns?: 'full' | 'metrics';
}

type MetricKey = 'transfer' | 'avg' | 'last' | 'forgetting' | 'bwt';
const METRICS: readonly { key: MetricKey; label: string; signed: boolean }[] = [
  { key: 'transfer', label: 'Transfer', signed: false },
  { key: 'avg', label: 'Avg', signed: false },
  { key: 'last', label: 'Last', signed: false },
  { key: 'forgetting', label: 'Forgetting', signed: true },
  { key: 'bwt', label: 'BWT', signed: true },
];

/** Mean and sample standard deviation (n - 1); std is null for a single value. */
export function meanStd(values: readonly number[]): { mean: number; std: number | null } {
  if (values.length === 0) throw new Error('meanStd needs at least one value');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return { mean, std: null };
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(v) };
}

function cell(values: readonly (number | null)[], signed: boolean): string {
  if (values.some((v) => v === null)) return '\u2013';
  const { mean, std } = meanStd(values as number[]);
  const f = signed ? formatSigned(mean) : formatPct(mean);
  return std === null ? f : `${f} \u00b1 ${std.toFixed(1)}`;
}

/** Runs that are averaged together: same method, model, stream and tasks, all complete. */
function groupRuns(runs: readonly RunResults[], label: (r: RunResults) => string, withContext = true): RunResults[][] {
  const groups = new Map<string, RunResults[]>();
  runs.forEach((r, i) => {
    // a run in progress is never averaged with others
    const key = r.metrics.complete
      ? JSON.stringify(withContext ? [label(r), r.model, r.stream, r.tasks] : [label(r), r.tasks])
      : `partial:${i}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  });
  return [...groups.values()];
}

/** A Markdown table with one row per method (and model and stream), mean ± std over seeds. */
export function renderMarkdownTable(given: readonly RunResults[], options: MarkdownTableOptions = {}): string {
  if (given.length === 0) throw new Error('renderMarkdownTable: no results given');
  const runs = given.map((r, i) => reportInput(r, `results #${i + 1} given to renderMarkdownTable`));
  // Labels come from the caller's objects (reportInput returns checked copies).
  const labels = new Map(runs.map((r, i) => [r, (options.label ?? ((x: RunResults) => x.method))(given[i]!)]));
  const label = (r: RunResults): string => labels.get(r)!;
  const full = (options.columns ?? 'full') === 'full';
  const header = ['Method', ...(full ? ['Model', 'Stream'] : []), 'Runs', ...METRICS.map((m) => m.label)];
  const textColumns = full ? 3 : 1;
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < textColumns ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const g of groupRuns(runs, label, full)) {
    const first = g[0]!;
    const runsCell = first.metrics.complete
      ? `${g.length} (${g.map((r) => md(formatSeeds(r.seeds))).join('; ')})`
      : `1 (in progress: ${first.matrix.length} of ${first.tasks.length} tasks trained)`;
    const metricCells = METRICS.map((m) => cell(g.map((r) => r.metrics[m.key]), m.signed));
    lines.push(`| ${[md(label(first)), ...(full ? [md(first.model), md(first.stream)] : []), runsCell, ...metricCells].join(' | ')} |`);
  }
  if (options.published) {
    for (const p of PUBLISHED_MTIL_ORDER_I) {
      const last = p.last === null ? 'n/q' : formatPct(p.last);
      lines.push(
        `| ${md(p.method)} (published${full ? ') | ViT-B/16 | MTIL Order I (real)' : ', ViT-B/16, MTIL Order I real)'} | paper | ${formatPct(p.transfer)} | ${formatPct(p.avg)} | ${last} | \u2013 | \u2013 |`,
      );
    }
    lines.push(
      '',
      `Rows marked "published" are numbers printed in papers (${md(PUBLISHED_SETTING)}; n/q = not quoted); ` +
        'they are not comparable with runs on other streams or models.',
    );
  }
  const multi = groupRuns(runs, label, full).some((g) => g.length > 1);
  if (multi) lines.push('', 'Values with \u00b1 are mean \u00b1 sample standard deviation over the runs (seeds).');
  return lines.join('\n') + '\n';
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The Markdown version of the report for one run: summary, matrix, per-dataset metrics, comparison. */
export function renderMarkdownReport(results: RunResults): string {
  const r = reportInput(results);
  const T = r.tasks.length;
  const m = r.metrics;
  const cols = r.tasks.map((t, j) => `${j + 1}. ${md(t)}`);
  const sep = `| --- |${' ---: |'.repeat(T)}`;
  const matrix = [row(['', ...cols]), sep, row(['zero-shot', ...r.zeroShot.map((v) => formatPct(v))])];
  for (let i = 0; i < T; i++) {
    const values = r.matrix[i]?.map((v, j) => (j === i ? `**${formatPct(v)}**` : formatPct(v)));
    matrix.push(row([`after ${i + 1}. ${md(r.tasks[i]!)}`, ...(values ?? Array<string>(T).fill('\u2026'))]));
  }
  const per = [row(['metric', ...cols, 'mean']), `${sep} ---: |`];
  const metricLine = (label: string, values: readonly (number | null)[], overall: number | null, signed = false) => {
    const f = signed ? formatSigned : formatPct;
    per.push(row([label, ...values.map((v) => f(v)), `**${f(overall)}**`]));
  };
  metricLine('Transfer', m.perDataset.transfer, m.transfer);
  metricLine('Avg', m.perDataset.avg, m.avg);
  metricLine('Last', m.perDataset.last, m.last);
  metricLine('Forgetting', m.perDataset.forgetting, m.forgetting, true);
  metricLine('BWT', m.perDataset.bwt, m.bwt, true);
  metricLine('Zero-shot Transfer', m.zeroShot.perDataset.transfer, m.zeroShot.transfer);
  metricLine('Zero-shot Avg = Last', m.zeroShot.perDataset.avg, m.zeroShot.avg);
  const out = [
    `# mulki report: ${md(r.method)} on ${md(r.stream)}`,
    '',
    `- Method: ${md(r.method)}`,
    `- Model: ${md(r.model)}`,
    `- Stream: ${md(r.stream)} (${r.tasks.map(md).join(' \u2192 ')})`,
    `- Progress: ${progressText(r)}${m.complete ? '' : '; metrics are computed from the rows so far'}`,
    `- Seeds: ${md(formatSeeds(r.seeds))}`,
    `- Wall time: ${formatDuration(r.wallTime.totalSeconds)}; started ${md(r.startedAt)}, ` +
      `${r.finishedAt ? `finished ${md(r.finishedAt)}` : 'not finished'}`,
    `- Code: mulki ${md(r.mulkiVersion)}${r.gitCommit ? `, commit ${r.gitCommit.slice(0, 12)}` : ''}`,
    '',
    '## Accuracy matrix',
    '',
    'Top-1 accuracy (%); rows: before training and after each task; bold: the task just trained.',
    '',
    ...matrix,
    '',
    '## Metrics',
    '',
    ...per,
    '',
    '## Compared with published numbers',
    '',
    renderMarkdownTable([r], { published: true }).trimEnd(),
    '',
  ];
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${md(n)}`), '');
  return out.join('\n');
}
