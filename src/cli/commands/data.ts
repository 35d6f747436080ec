/** `mulki data check --data DIR`: which MTIL datasets are present and complete. */
import { checkDatasets, formatDataCheck } from '../../data/check.js';
import { str, UsageError, type Parsed } from '../args.js';

export async function dataCommand(p: Parsed): Promise<void> {
  const sub = p.positionals[0];
  if (sub !== 'check') throw new UsageError('usage: mulki data check --data DIR');
  const root = str(p, 'data');
  if (!root) throw new UsageError('mulki data check: --data DIR is required');
  const report = await checkDatasets(root);
  console.log(formatDataCheck(report));
  if (!report.ok) process.exitCode = 1;
}
