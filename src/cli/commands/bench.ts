/**
 * `mulki bench mtil-offline`: every method over several seeds and MulKI's ablations (one seed) on MTIL-Offline with
 * the built-in model, then one Markdown table (mean +- std over seeds) written to docs/results.md with the command
 * that made it. Runs already finished in the output folder are reused, so an interrupted bench continues.
 * `--tune` first picks the recipe's learning rate on the validation splits (fine-tuning, seed 1), never on test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type RunConfig } from '../../cl/config.js';
import { Progress } from '../../cl/progress.js';
import { inputsFromConfig, runContinual } from '../../cl/trainer.js';
import { readResults, type RunResults } from '../../cl/results.js';
import { MTIL_OFFLINE_RECIPE } from '../../cl/mtil-offline-stream.js';
import { writeFileAtomic } from '../../engine/io/atomic.js';
import { renderMarkdownTable } from '../../report/index.js';
import { ABLATIONS, slug } from './ablate.js';
import { list, num, str, bool, UsageError, type FlagSpec, type Parsed } from '../args.js';

export const BENCH_FLAGS: Record<string, FlagSpec> = {
  seeds: { type: 'string', help: 'comma-separated seeds (default 1,2,3)' },
  methods: { type: 'string', help: 'methods (default zeroshot,finetune,lwf,wiseft,zscl,mulki)' },
  'no-ablations': { type: 'boolean', help: 'skip the MulKI ablation grid' },
  tune: { type: 'boolean', help: 'choose the learning rate on the validation splits first' },
  lrs: { type: 'string', help: 'learning rates tried by --tune (default 3e-5,1e-4,3e-4)' },
  iterations: { type: 'string', help: `steps per task (default ${MTIL_OFFLINE_RECIPE.iterations})` },
  'batch-size': { type: 'string', help: `batch size (default ${MTIL_OFFLINE_RECIPE.batchSize})` },
  lr: { type: 'string', help: `learning rate (default ${MTIL_OFFLINE_RECIPE.lr}, or the tuned one)` },
  order: { type: 'string', help: 'task order I or II (default I)' },
  model: { type: 'string', help: "model folder (default 'builtin')" },
  device: { type: 'string', help: 'cpu | cuda | ref' },
  out: { type: 'string', help: 'folder for all runs (default runs/bench-mtil-offline)' },
  docs: { type: 'string', help: 'Markdown file to write (default docs/results.md)' },
  'method-opt': { type: 'list', help: 'MulKI option key=value for every MulKI run (repeatable)' },
};

async function runOnce(base: Record<string, unknown>, progress: Progress): Promise<RunResults> {
  const config: RunConfig = resolveConfig(base);
  const done = join(config.out, 'results.json');
  if (existsSync(done)) {
    const r = readResults(done);
    if (r.finishedAt) {
      progress.emit({ event: 'info', message: `reusing ${done}` });
      return r;
    }
  }
  const inputs = await inputsFromConfig(config);
  const resume = existsSync(join(config.out, 'checkpoints', 'latest.json'));
  return runContinual({ ...inputs, progress, resume });
}

export async function benchCommand(p: Parsed): Promise<void> {
  if (p.positionals[0] !== 'mtil-offline') throw new UsageError('usage: mulki bench mtil-offline [options]');
  const t0 = Date.now();
  const out = str(p, 'out') ?? join('runs', 'bench-mtil-offline');
  const seeds = (str(p, 'seeds') ?? '1,2,3').split(',').map(Number);
  const methods = (str(p, 'methods') ?? 'zeroshot,finetune,lwf,wiseft,zscl,mulki').split(',');
  const iterations = num(p, 'iterations', 'bench') ?? MTIL_OFFLINE_RECIPE.iterations;
  const batchSize = num(p, 'batch-size', 'bench') ?? MTIL_OFFLINE_RECIPE.batchSize;
  const mulkiOpts = Object.fromEntries(list(p, 'method-opt').map((kv) => {
    const [k, v] = kv.split('=');
    return [k!, v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v!];
  }));
  const common = {
    model: str(p, 'model') ?? 'builtin', benchmark: 'mtil-offline', order: str(p, 'order') ?? 'I',
    device: str(p, 'device') ?? 'cpu', train: { iterations, batchSize } as Record<string, unknown>,
  };
  const progress = new Progress(false);
  const lines: string[] = [];

  let lr = num(p, 'lr', 'bench') ?? MTIL_OFFLINE_RECIPE.lr;
  const tunedRuns: RunResults[] = [];
  if (bool(p, 'tune')) {
    const lrs = (str(p, 'lrs') ?? '3e-5,1e-4,3e-4').split(',').map(Number);
    const tuned: { lr: number; r: RunResults }[] = [];
    for (const x of lrs) {
      const r = await runOnce({ ...common, method: 'finetune', seed: 1, evalSplit: 'val', train: { ...common.train, lr: x }, out: join(out, 'tune', `finetune-lr${x}`) }, progress);
      tuned.push({ lr: x, r });
      tunedRuns.push(r);
    }
    const best = tuned.reduce((a, b) => ((b.r.metrics.avg ?? -1) > (a.r.metrics.avg ?? -1) ? b : a));
    lr = best.lr;
    lines.push('## Learning-rate selection (validation splits, fine-tuning, seed 1)', '',
      '| lr | Transfer | Avg | Last |', '| ---: | ---: | ---: | ---: |',
      ...tuned.map((t) => `| ${t.lr} | ${t.r.metrics.transfer?.toFixed(2)} | ${t.r.metrics.avg?.toFixed(2)} | ${t.r.metrics.last?.toFixed(2)} |`),
      '', `Chosen: lr = ${lr} (highest validation Avg). Every method below uses it.`, '');
  }
  common.train = { ...common.train, lr };

  const runs: RunResults[] = [];
  for (const method of methods) {
    for (const seed of seeds) {
      runs.push(await runOnce({ ...common, method, seed, out: join(out, method, `seed${seed}`), ...(method === 'mulki' ? { methodOptions: mulkiOpts } : {}) }, progress));
    }
  }
  const ablations: { name: string; r: RunResults }[] = [];
  if (!bool(p, 'no-ablations')) {
    for (const a of ABLATIONS) {
      // The full method is the MulKI run of the first seed above (same config): reuse it.
      const full = Object.keys(a.options).length === 0 && methods.includes('mulki');
      const dir = full ? join(out, 'mulki', `seed${seeds[0]}`) : join(out, 'ablations', slug(a.name));
      ablations.push({ name: a.name, r: await runOnce({ ...common, method: 'mulki', seed: seeds[0], methodOptions: { ...mulkiOpts, ...a.options }, out: dir }, progress) });
    }
  }
  const minutes = (Date.now() - t0) / 60000;
  const allRuns = new Map([...tunedRuns, ...runs, ...ablations.map((a) => a.r)].map((r) => [(r.config as { out?: string } | null)?.out ?? r, r])).values();
  const runMinutes = [...allRuns].reduce((s, r) => s + r.wallTime.totalSeconds, 0) / 60;
  const cmd = `mulki bench mtil-offline ${process.argv.slice(4).join(' ')}`.trim();
  const names = new Map(ablations.map((a) => [a.r, a.name]));
  const doc = [
    '# Results: MTIL-Offline',
    '',
    `Made by \`${cmd}\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, ${runMinutes.toFixed(0)} min of runs in all, ${minutes.toFixed(0)} min in this invocation: finished runs are reused).`,
    `Stream: ${runs.at(-1)?.stream}; model: ${runs.at(-1)?.model}; ${iterations} steps of ${batchSize} per task, lr ${lr},`,
    `${MTIL_OFFLINE_RECIPE.warmup} warm-up steps; the rest of the recipe as MTIL (AdamW with weight decay 0, cosine decay, label smoothing 0.2,`,
    'logit scale fixed at the pre-trained model\'s own value, not trained). Metrics in % as defined in mtil-protocol.md:',
    'Transfer = accuracy on tasks not yet trained, Avg = mean of the whole matrix, Last = after the final task.',
    '',
    ...lines,
    '## Methods (mean \u00b1 std over seeds)',
    '',
    renderMarkdownTable(runs, { columns: 'metrics' }),
    ...(ablations.length ? ['## MulKI ablations (seed ' + seeds[0] + ')', '', renderMarkdownTable(ablations.map((a) => a.r), { label: (r) => names.get(r) ?? r.method, columns: 'metrics' })] : []),
  ].join('\n');
  const docs = str(p, 'docs') ?? join('docs', 'results.md');
  const existing = existsSync(docs) ? readFileSync(docs, 'utf8') : '';
  const marker = '<!-- analysis -->';
  const analysis = existing.includes(marker) ? existing.slice(existing.indexOf(marker)) : `${marker}\n`;
  writeFileAtomic(docs, `${doc}\n${analysis}`);
  console.log(doc);
  console.log(`-> ${docs}`);
}
