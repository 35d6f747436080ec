/**
 * `mulki report RUN_DIR...`: re-renders report.html/report.md of each run from its results.json; with several
 * runs, also prints one Markdown table (methods as rows, mean +- std over seeds).
 */
import { join } from 'node:path';
import { readResults } from '../../cl/results.js';
import { renderMarkdownTable, writeReport } from '../../report/index.js';
import { UsageError, type Parsed } from '../args.js';

export function reportCommand(p: Parsed): void {
  if (p.positionals.length === 0) throw new UsageError('usage: mulki report RUN_DIR... (folders holding results.json)');
  const all = p.positionals.map((d) => ({ dir: d, r: readResults(join(d, 'results.json')) }));
  for (const { dir, r } of all) {
    writeReport(dir, r);
    console.log(`${join(dir, 'report.html')}  (${r.method} on ${r.stream}: Transfer ${r.metrics.transfer?.toFixed(2) ?? '-'}, Avg ${r.metrics.avg?.toFixed(2) ?? '-'}, Last ${r.metrics.last?.toFixed(2) ?? '-'})`);
  }
  if (all.length > 1) console.log('\n' + renderMarkdownTable(all.map((x) => x.r)));
}
