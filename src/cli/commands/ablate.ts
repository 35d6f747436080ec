/**
 * `mulki ablate [run flags]`: MulKI's ablation grid on one stream and seed -- the full method, each stage off in
 * turn, fixed teacher weights, and each single teacher -- one run folder per variant, then one table.
 */
import { join } from 'node:path';
import { resolveConfig } from '../../cl/config.js';
import { Progress } from '../../cl/progress.js';
import { inputsFromConfig, runContinual } from '../../cl/trainer.js';
import type { RunResults } from '../../cl/results.js';
import { writeFileAtomic } from '../../engine/io/atomic.js';
import { renderMarkdownTable } from '../../report/index.js';
import { configFromFlags } from './run.js';
import type { Parsed } from '../args.js';

/** The standard grid (mulki-method.md): variant name -> MulKI options changed from the defaults. */
export const ABLATIONS: readonly { name: string; options: Record<string, unknown> }[] = [
  { name: 'MulKI (full)', options: {} },
  { name: 'w/o Eliciting (stage 1)', options: { eliciting: false } },
  { name: 'w/o Adding (stage 2)', options: { adding: false } },
  { name: 'w/o Distinguishing: fixed 0.5/0.5 (stage 3)', options: { distinguishing: 'fixed' } },
  { name: 'w/o Connecting (stage 4)', options: { connecting: false } },
  { name: 'single teacher T0', options: { teachers: 't0' } },
  { name: 'single teacher T1', options: { teachers: 't1' } },
];

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export async function runAblations(base: ReturnType<typeof resolveConfig>, progress: Progress): Promise<{ name: string; results: RunResults }[]> {
  const out: { name: string; results: RunResults }[] = [];
  for (const a of ABLATIONS) {
    const config = resolveConfig(base as unknown as Record<string, unknown>, {
      method: 'mulki', methodOptions: { ...base.methodOptions, ...a.options }, out: join(base.out, slug(a.name)),
    });
    progress.emit({ event: 'info', message: `ablation: ${a.name}` });
    const inputs = await inputsFromConfig(config);
    out.push({ name: a.name, results: await runContinual({ ...inputs, progress }) });
  }
  return out;
}

export async function ablateCommand(p: Parsed): Promise<void> {
  const base = configFromFlags(p, 'ablate', { method: 'mulki' });
  const progress = new Progress(base.jsonLogs);
  const runs = await runAblations(base, progress);
  const names = new Map(runs.map((r) => [r.results, r.name]));
  const table = renderMarkdownTable(runs.map((r) => r.results), { label: (r) => names.get(r) ?? r.method });
  writeFileAtomic(join(base.out, 'ablations.md'), `# MulKI ablations\n\n${table}`);
  console.log(table);
}
