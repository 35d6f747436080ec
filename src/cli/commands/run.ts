/** `mulki run`: one continual-learning run (a method on a task stream), resumable. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, type RunConfig } from '../../cl/config.js';
import { Progress } from '../../cl/progress.js';
import { inputsFromConfig, runContinual } from '../../cl/trainer.js';
import { bool, list, num, str, UsageError, type FlagSpec, type Parsed } from '../args.js';

export const RUN_FLAGS: Record<string, FlagSpec> = {
  config: { type: 'string', help: 'JSON config file (flags override its fields)' },
  model: { type: 'string', help: "model folder (Hugging Face CLIPModel) or 'builtin' (default)" },
  data: { type: 'string', help: 'folder holding the MTIL datasets (benchmark mtil)' },
  benchmark: { type: 'string', help: 'mtil | mtil-offline | custom (default mtil-offline)' },
  order: { type: 'string', help: 'task order I or II (default I)' },
  datasets: { type: 'string', help: 'comma-separated dataset names (benchmark custom)' },
  'few-shot': { type: 'string', help: 'k training images per class (few-shot MTIL: 5)' },
  method: { type: 'string', help: 'zeroshot | finetune | lwf | wiseft | zscl | mulki (default mulki)' },
  'method-opt': { type: 'list', help: 'method option key=value (repeatable), e.g. --method-opt tau=2' },
  device: { type: 'string', help: 'cpu | cuda | ref (default cpu)' },
  precision: { type: 'string', help: 'cuda GEMM precision bf16 | tf32 | fp32 (default bf16)' },
  iterations: { type: 'string', help: 'training iterations per task (overrides the recipe)' },
  lr: { type: 'string', help: 'learning rate (overrides the recipe)' },
  'batch-size': { type: 'string', help: "training batch size (default: the benchmark's recipe, MTIL 64, MTIL-Offline 32)" },
  warmup: { type: 'string', help: "warm-up steps (default: the recipe's, MTIL 100, MTIL-Offline 10)" },
  trainable: { type: 'string', help: 'all | image | text (default all)' },
  seed: { type: 'string', help: 'run seed (default 1)' },
  'eval-split': { type: 'string', help: 'test | val: evaluate on the test splits (default) or the validation splits (tuning)' },
  workers: { type: 'string', help: 'data loader threads (default: one per CPU; 0 = none)' },
  'checkpoint-every': { type: 'string', help: 'mid-task checkpoint period in steps (default: after each task only)' },
  reference: { type: 'string', help: "ZSCL reference data: folder with captions.tsv, or 'corpus'" },
  out: { type: 'string', help: 'run folder (default runs/<benchmark>-<method>-<time>)' },
  resume: { type: 'string', help: 'continue the run in this folder from its last checkpoint' },
  'json-logs': { type: 'boolean', help: 'progress as JSON lines' },
  'skip-corrupt': { type: 'boolean', help: 'skip (and count) unreadable images instead of failing' },
};

/** Turns run flags into config overrides. */
export function overridesFromFlags(p: Parsed, command: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const train: Record<string, unknown> = {};
  const set = (k: string, v: unknown): void => {
    if (v !== undefined) o[k] = v;
  };
  set('model', str(p, 'model'));
  set('data', str(p, 'data'));
  set('benchmark', str(p, 'benchmark'));
  set('order', str(p, 'order'));
  const ds = str(p, 'datasets');
  if (ds !== undefined) {
    o.datasets = ds.split(',').map((s) => s.trim()).filter(Boolean);
    o.benchmark ??= 'custom';
  }
  set('fewShot', num(p, 'few-shot', command));
  set('method', str(p, 'method'));
  set('device', str(p, 'device'));
  set('precision', str(p, 'precision'));
  set('seed', num(p, 'seed', command));
  set('evalSplit', str(p, 'eval-split'));
  set('workers', num(p, 'workers', command));
  set('checkpointEvery', num(p, 'checkpoint-every', command));
  set('reference', str(p, 'reference'));
  set('out', str(p, 'out'));
  if (bool(p, 'json-logs')) o.jsonLogs = true;
  if (bool(p, 'skip-corrupt')) o.skipCorrupt = true;
  const it = num(p, 'iterations', command);
  if (it !== undefined) train.iterations = it;
  const lr = num(p, 'lr', command);
  if (lr !== undefined) train.lr = lr;
  const bs = num(p, 'batch-size', command);
  if (bs !== undefined) train.batchSize = bs;
  const wu = num(p, 'warmup', command);
  if (wu !== undefined) train.warmup = wu;
  const tr = str(p, 'trainable');
  if (tr !== undefined) train.trainable = tr;
  if (Object.keys(train).length) o.train = train;
  const mo = list(p, 'method-opt');
  if (mo.length) o.methodOptions = parseMethodOptions(mo, command);
  return o;
}

export function parseMethodOptions(items: readonly string[], command: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const it of items) {
    const eq = it.indexOf('=');
    if (eq <= 0) throw new UsageError(`mulki ${command}: --method-opt expects key=value, got '${it}'`);
    const k = it.slice(0, eq);
    const v = it.slice(eq + 1);
    out[k] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new UsageError(`config file not found: ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
}

export function configFromFlags(p: Parsed, command: string, base: Record<string, unknown> = {}): RunConfig {
  const file = str(p, 'config');
  const fromFile = file ? readConfigFile(file) : {};
  const o = overridesFromFlags(p, command);
  const merged = resolveConfig(base, fromFile, o);
  if (!o.out && !fromFile.out && !base.out) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    merged.out = join('runs', `${merged.benchmark}-${merged.method}-${stamp}`);
  }
  return merged;
}

export async function runCommand(p: Parsed): Promise<void> {
  const resumeDir = str(p, 'resume');
  let config: RunConfig;
  if (resumeDir) {
    const saved = join(resumeDir, 'config.json');
    if (!existsSync(saved)) throw new UsageError(`--resume ${resumeDir}: no config.json there (not a mulki run folder?)`);
    config = resolveConfig(readConfigFile(saved), { out: resumeDir, ...(bool(p, 'json-logs') ? { jsonLogs: true } : {}) });
  } else {
    config = configFromFlags(p, 'run');
  }
  const inputs = await inputsFromConfig(config);
  const progress = new Progress(config.jsonLogs);
  progress.emit({ event: 'info', message: `mulki run: ${config.method} on ${inputs.stream.name} (${inputs.stream.tasks.length} tasks), device ${config.device}, out ${config.out}` });
  await runContinual({ ...inputs, resume: !!resumeDir, progress });
}
