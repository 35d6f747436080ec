/**
 * Run configuration: one JSON object (from a file, then overridden by CLI flags), validated with errors that
 * name the field. The resolved config is written into results.json and the run folder.
 */
import { isDeviceName } from '../engine/device.js';
import type { DeviceName } from '../engine/backend.js';
import { METHOD_NAMES } from './methods/index.js';

export type Benchmark = 'mtil' | 'mtil-offline' | 'custom';

export interface TrainSettings {
  /** Overrides every task's iteration count when set. */
  iterations: number | null;
  /** Overrides every task's learning rate when set. */
  lr: number | null;
  /** Batch size (null: the benchmark's recipe: 64 for MTIL). */
  batchSize: number | null;
  /** Warm-up steps per task (null: the benchmark's recipe: 100 for MTIL). */
  warmup: number | null;
  weightDecay: number;
  labelSmoothing: number;
  /**
   * Fixed logit scale of the recipe (logit_scale does not train). null: the pre-trained model's own learned scale,
   * exp(logit_scale) -- 100 for OpenAI's CLIP, as ZSCL fixes it.
   */
  logitScale: number | null;
  trainable: 'all' | 'image' | 'text';
  /** Max global gradient norm (0 = no clipping). */
  gradClip: number;
}

export interface RunConfig {
  /** Model folder (Hugging Face CLIPModel or mulki's), or 'builtin' for the shipped small model. */
  model: string;
  benchmark: Benchmark;
  order: 'I' | 'II';
  /** Dataset names for 'custom' streams (MTIL or offline names). */
  datasets: string[];
  /** Data root for MTIL datasets. */
  data: string | null;
  /** k images per class for training (0 = all). */
  fewShot: number;
  method: string;
  methodOptions: Record<string, unknown>;
  train: TrainSettings;
  eval: { batchSize: number };
  seed: number;
  device: DeviceName;
  precision: 'fp32' | 'tf32' | 'bf16';
  workers: number;
  /** Mid-task checkpoint period in steps (0: only after each task). */
  checkpointEvery: number;
  out: string;
  /** Reference images with captions (ZSCL): a folder with captions.tsv, or 'corpus' for the built-in corpus. */
  reference: string | null;
  jsonLogs: boolean;
  skipCorrupt: boolean;
  /** Split the accuracy matrix is measured on: 'test', or 'val' for hyperparameter selection (benchmarks with one). */
  evalSplit: 'test' | 'val';
}

export const DEFAULT_CONFIG: RunConfig = {
  model: 'builtin',
  benchmark: 'mtil-offline',
  order: 'I',
  datasets: [],
  data: null,
  fewShot: 0,
  method: 'mulki',
  methodOptions: {},
  train: { iterations: null, lr: null, batchSize: null, warmup: null, weightDecay: 0, labelSmoothing: 0.2, logitScale: null, trainable: 'all', gradClip: 0 },
  eval: { batchSize: 256 },
  seed: 1,
  device: 'cpu',
  precision: 'bf16',
  workers: -1,
  checkpointEvery: 0,
  out: 'runs/latest',
  reference: null,
  jsonLogs: false,
  skipCorrupt: false,
  evalSplit: 'test',
};

type Obj = Record<string, unknown>;

/** Deep-merges overrides into a base config and validates the result. */
export function resolveConfig(...layers: Obj[]): RunConfig {
  let merged: Obj = structuredClone(DEFAULT_CONFIG) as unknown as Obj;
  for (const l of layers) merged = merge(merged, l);
  return validate(merged);
}

function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const cur = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) && k !== 'methodOptions') {
      out[k] = merge(cur as Obj, v as Obj);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function validate(c: Obj): RunConfig {
  const fail = (field: string, msg: string): never => {
    throw new Error(`config: ${field} ${msg}`);
  };
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const k of Object.keys(c)) if (!known.has(k)) fail(k, `is not a known setting (known: ${[...known].join(', ')})`);
  const t = c.train as Obj;
  for (const k of Object.keys(t)) if (!(k in DEFAULT_CONFIG.train)) fail(`train.${k}`, 'is not a known setting');
  const num = (v: unknown, field: string, min: number, int = false): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) fail(field, `must be ${int ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const str = (v: unknown, field: string): string => (typeof v === 'string' && v ? v : fail(field, `must be a non-empty string, got ${JSON.stringify(v)}`));
  const benchmark = c.benchmark as Benchmark;
  if (!['mtil', 'mtil-offline', 'custom'].includes(benchmark)) fail('benchmark', `must be mtil, mtil-offline or custom, got ${JSON.stringify(benchmark)}`);
  const order = c.order === 'II' || c.order === '2' || c.order === 2 ? 'II' : c.order === 'I' || c.order === '1' || c.order === 1 ? 'I' : fail('order', `must be I or II, got ${JSON.stringify(c.order)}`);
  const method = str(c.method, 'method').toLowerCase();
  if (!METHOD_NAMES.includes(method) && !['zero-shot', 'ft', 'fine-tune', 'wise-ft'].includes(method)) fail('method', `'${method}' is unknown; known: ${METHOD_NAMES.join(', ')}`);
  if (!isDeviceName(String(c.device))) fail('device', `must be cpu, cuda or ref, got ${JSON.stringify(c.device)}`);
  if (!['fp32', 'tf32', 'bf16'].includes(String(c.precision))) fail('precision', `must be fp32, tf32 or bf16, got ${JSON.stringify(c.precision)}`);
  if (!Array.isArray(c.datasets) || c.datasets.some((d) => typeof d !== 'string')) fail('datasets', 'must be a list of dataset names');
  if (benchmark === 'custom' && (c.datasets as string[]).length === 0) fail('datasets', 'must name at least one dataset for a custom stream');
  if (benchmark === 'mtil' && !c.data) fail('data', 'must point at the MTIL data folder (--data DIR) for the mtil benchmark');
  if (!['all', 'image', 'text'].includes(String(t.trainable))) fail('train.trainable', 'must be all, image or text');
  if (typeof c.methodOptions !== 'object' || c.methodOptions === null || Array.isArray(c.methodOptions)) fail('methodOptions', 'must be an object');
  return {
    model: str(c.model, 'model'),
    benchmark,
    order,
    datasets: c.datasets as string[],
    data: c.data === null ? null : str(c.data, 'data'),
    fewShot: num(c.fewShot, 'fewShot', 0, true),
    method,
    methodOptions: c.methodOptions as Obj,
    train: {
      iterations: t.iterations === null ? null : num(t.iterations, 'train.iterations', 0, true),
      lr: t.lr === null ? null : num(t.lr, 'train.lr', 0),
      batchSize: t.batchSize === null ? null : num(t.batchSize, 'train.batchSize', 1, true),
      warmup: t.warmup === null ? null : num(t.warmup, 'train.warmup', 0, true),
      weightDecay: num(t.weightDecay, 'train.weightDecay', 0),
      labelSmoothing: num(t.labelSmoothing, 'train.labelSmoothing', 0),
      logitScale: t.logitScale === null ? null : num(t.logitScale, 'train.logitScale', 0),
      trainable: t.trainable as TrainSettings['trainable'],
      gradClip: num(t.gradClip, 'train.gradClip', 0),
    },
    eval: { batchSize: num((c.eval as Obj).batchSize, 'eval.batchSize', 1, true) },
    seed: num(c.seed, 'seed', 0, true),
    device: c.device as DeviceName,
    precision: c.precision as RunConfig['precision'],
    workers: num(c.workers, 'workers', -1, true),
    checkpointEvery: num(c.checkpointEvery, 'checkpointEvery', 0, true),
    out: str(c.out, 'out'),
    reference: c.reference === null ? null : str(c.reference, 'reference'),
    jsonLogs: !!c.jsonLogs,
    skipCorrupt: !!c.skipCorrupt,
    evalSplit: c.evalSplit === 'val' ? 'val' : c.evalSplit === 'test' ? 'test' : fail('evalSplit', `must be test or val, got ${JSON.stringify(c.evalSplit)}`),
  };
}
