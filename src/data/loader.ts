/**
 * The data loader: batches of decoded, transformed images from an ImageDataset, as an async iterator.
 *
 *   const loader = new DataLoader(ds, { batchSize: 64, iterations: 1000, seed: 1 });
 *   for await (const batch of loader) { const { images, labels } = toTensors(batch, backend); ... }
 *
 * - mode 'train' (default): a fixed number of iterations over seeded, per-epoch reshuffled data, every batch full
 *   (schedule.ts); RandomResizedCrop with a per-example RNG keyed by (seed, epoch, index).
 * - mode 'eval': the dataset in order, resize + centre crop, the last partial batch kept.
 * - decoding and transforms run in worker threads (`workers`, default one per CPU) with `prefetch` batches in
 *   flight; `workers: 0` does the same work in this thread and gives identical batches.
 * - `state()` is the position as JSON; `resume: state` starts a new loader there (a resumed run sees the same
 *   batches).
 * - a corrupt or missing image is an error naming its file and dataset; with `skipCorrupt` it is replaced by the
 *   next example (in dataset order, cyclically) that loads, and counted in `skipped`.
 */
import { availableParallelism } from 'node:os';
import type { Backend } from '../engine/backend.js';
import { wrap, type Tensor } from '../engine/tensor.js';
import { CLIP_MEAN, CLIP_STD } from '../clip/preprocess.js';
import type { AlphaMode } from '../clip/decode.js';
import { describeSource, type ImageDataset, type ImageSource } from './dataset.js';
import { portableSource, runJob, type JobItem, type JobResult, type TransformSpec } from './batch-job.js';
import { Schedule, type Slot } from './schedule.js';
import { WorkerPool } from './worker-pool.js';

export type LoaderMode = 'train' | 'eval';

export interface LoaderOptions {
  batchSize: number;
  /** 'train' (shuffled, augmented, fixed iteration count) or 'eval' (in order, no augmentation). Default 'train'. */
  mode?: LoaderMode;
  /** Training batches to produce (default: one epoch, ceil(length / batchSize)). Not allowed in eval mode. */
  iterations?: number;
  /** Seed of the shuffles and augmentations, an integer in [0, 2^32). Default 0. */
  seed?: number;
  /** Output side in pixels (default 224). */
  size?: number;
  /** RandomResizedCrop (default: in train mode); otherwise resize + centre crop. */
  augment?: boolean;
  scale?: readonly [number, number];
  ratio?: readonly [number, number];
  mean?: readonly number[];
  std?: readonly number[];
  alpha?: AlphaMode;
  svgSize?: number;
  /** Worker threads (default: the number of CPUs); 0 decodes in this thread. Ignored when `pool` is given. */
  workers?: number;
  /** Batches prepared ahead of the one being consumed (default 2; workers only). */
  prefetch?: number;
  /** Replace images that fail to load by the next good example instead of failing (counted in `skipped`). */
  skipCorrupt?: boolean;
  /** Start where a saved `state()` left off. */
  resume?: LoaderState;
  /** Use this pool (not closed by the loader) instead of starting workers. */
  pool?: WorkerPool;
}

export interface Batch {
  /** size x 3 x imageSize x imageSize, normalised, CHW. */
  images: Float32Array;
  labels: Int32Array;
  /** Dataset index of each image (after any corrupt-image replacement). */
  indices: Int32Array;
  size: number;
  imageSize: number;
  /** Batch number, from 0. */
  iteration: number;
}

export interface LoaderState {
  version: 1;
  dataset: string;
  split: string;
  length: number;
  mode: LoaderMode;
  seed: number;
  batchSize: number;
  iterations: number;
  /** Number of the next batch to produce. */
  next: number;
  skipped: number;
}

interface Built {
  batch: Batch;
  skipped: number;
}

/** One slot being filled: the example whose image it shows, and the RNG key of the slot it stands for. */
interface Entry {
  index: number;
  key: [number, number, number];
  replaced: boolean;
}

export class DataLoader implements AsyncIterable<Batch> {
  readonly mode: LoaderMode;
  readonly batchSize: number;
  readonly seed: number;
  /** Total number of batches (train: the iteration count; eval: ceil(length / batchSize)). */
  readonly iterations: number;
  private readonly spec: TransformSpec;
  private readonly schedule: Schedule;
  private readonly workers: number;
  private readonly prefetch: number;
  private readonly skipCorrupt: boolean;
  private pool: WorkerPool | null;
  private readonly ownsPool: boolean;
  private position = 0;
  private skippedCount = 0;
  private active = false;
  /** Known-bad example -> the good example that replaces it (skipCorrupt). */
  private readonly replacement = new Map<number, number>();

  constructor(
    readonly dataset: ImageDataset,
    opts: LoaderOptions,
  ) {
    const where = `DataLoader(${dataset.name}/${dataset.split})`;
    const int = (v: number, min: number, what: string) => {
      if (!Number.isInteger(v) || v < min) throw new Error(`${where}: ${what} must be an integer >= ${min}, got ${v}`);
      return v;
    };
    this.mode = opts.mode ?? 'train';
    if (this.mode !== 'train' && this.mode !== 'eval') throw new Error(`${where}: mode must be 'train' or 'eval', got '${String(this.mode)}'`);
    this.batchSize = int(opts.batchSize, 1, 'batchSize');
    this.seed = opts.seed ?? 0;
    if (!Number.isInteger(this.seed) || this.seed < 0 || this.seed > 0xffffffff) {
      throw new Error(`${where}: seed must be an integer in [0, 2^32), got ${this.seed}`);
    }
    const n = dataset.length;
    const train = this.mode === 'train';
    if (train && n === 0) throw new Error(`${where}: the dataset has no examples to train on`);
    if (!train && opts.iterations !== undefined) throw new Error(`${where}: iterations is a training option (eval mode covers the dataset once)`);
    this.iterations = train ? int(opts.iterations ?? Math.ceil(n / this.batchSize), 0, 'iterations') : Math.ceil(n / this.batchSize);
    this.schedule = new Schedule(n, this.batchSize, this.seed, train);
    this.spec = transformSpec(opts, train, where);
    this.skipCorrupt = opts.skipCorrupt ?? false;
    this.pool = opts.pool ?? null;
    this.ownsPool = !opts.pool;
    if (opts.pool && opts.pool.closed) throw new Error(`${where}: the given worker pool is closed`);
    this.workers = opts.pool ? opts.pool.size : int(opts.workers ?? availableParallelism(), 0, 'workers');
    this.prefetch = int(opts.prefetch ?? 2, 0, 'prefetch');
    if (opts.resume) this.restore(opts.resume, where);
  }

  /** Examples replaced so far because their image failed to load (skipCorrupt). */
  get skipped(): number {
    return this.skippedCount;
  }

  /** Number of the next batch the iterator will produce. */
  get iteration(): number {
    return this.position;
  }

  /** The position after the last batch produced, as JSON-serialisable data (for `resume`). */
  state(): LoaderState {
    const ds = this.dataset;
    return {
      version: 1,
      dataset: ds.name,
      split: ds.split,
      length: ds.length,
      mode: this.mode,
      seed: this.seed,
      batchSize: this.batchSize,
      iterations: this.iterations,
      next: this.position,
      skipped: this.skippedCount,
    };
  }

  /** Stops the loader's own workers (an iteration that ends or is left with `break` does this already). */
  async close(): Promise<void> {
    if (this.ownsPool && this.pool) {
      const p = this.pool;
      this.pool = null;
      await p.close();
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    if (this.active) throw new Error(`DataLoader(${this.dataset.name}/${this.dataset.split}) is already being iterated`);
    this.active = true;
    const useWorkers = this.workers > 0;
    const depth = useWorkers ? this.prefetch + 1 : 1;
    const ahead = new Map<number, Promise<Built>>();
    try {
      if (useWorkers && !this.pool && this.position < this.iterations) this.pool = new WorkerPool(this.workers);
      while (this.position < this.iterations) {
        const end = Math.min(this.iterations, this.position + depth);
        for (let t = this.position; t < end; t++) {
          if (ahead.has(t)) continue;
          const p = this.build(t);
          p.catch(() => undefined); // awaited in turn below; this only keeps an early failure from being "unhandled"
          ahead.set(t, p);
        }
        const built = await ahead.get(this.position)!;
        ahead.delete(this.position);
        this.position++;
        this.skippedCount += built.skipped;
        yield built.batch;
      }
    } finally {
      this.active = false;
      await this.close();
    }
  }

  /** Decodes and transforms batch t. */
  private async build(t: number): Promise<Built> {
    const slots = this.schedule.slots(t);
    const entries: Entry[] = slots.map((s) => this.entry(s));
    const per = 3 * this.spec.size * this.spec.size;
    const { images, failed } = await this.render(entries);
    for (const [slot, message] of failed) {
      const e = entries[slot]!;
      if (!this.skipCorrupt) throw new Error(`${this.describe(e.index)}: ${message} (pass skipCorrupt to replace corrupt images)`);
      const good = await this.replace(e.index, e.key);
      e.index = good.index;
      e.replaced = true;
      images.set(good.image, slot * per);
    }
    const C = this.dataset.classNames.length;
    const labels = new Int32Array(entries.length);
    const indices = new Int32Array(entries.length);
    entries.forEach((e, i) => {
      const l = this.dataset.label(e.index);
      if (!Number.isInteger(l) || l < 0 || l >= C) {
        throw new Error(`dataset ${this.dataset.name}/${this.dataset.split} example #${e.index} has label ${l}, outside [0, ${C})`);
      }
      labels[i] = l;
      indices[i] = e.index;
    });
    const batch: Batch = { images, labels, indices, size: entries.length, imageSize: this.spec.size, iteration: t };
    return { batch, skipped: entries.filter((e) => e.replaced).length };
  }

  private entry(s: Slot): Entry {
    const r = this.replacement.get(s.index);
    return { index: r ?? s.index, key: [this.seed, s.epoch, s.index], replaced: r !== undefined };
  }

  /** Runs the entries (split among the workers, or in this thread); returns the images and the failed slots. */
  private async render(entries: Entry[]): Promise<{ images: Float32Array; failed: Map<number, string> }> {
    const failed = new Map<number, string>();
    const items: (JobItem | null)[] = entries.map((e, slot) => {
      try {
        return { source: this.dataset.source(e.index), key: e.key };
      } catch (err) {
        failed.set(slot, `cannot get its image source: ${(err as Error).message}`);
        return null;
      }
    });
    const per = 3 * this.spec.size * this.spec.size;
    const pool = this.pool;
    const chunks = pool && this.workers > 0 ? Math.min(this.workers, entries.length) : 1;
    const chunkLen = Math.ceil(entries.length / Math.max(1, chunks));
    const jobs: Promise<JobResult>[] = [];
    const starts: number[] = [];
    for (let a = 0; a < entries.length; a += chunkLen) {
      const part = items.slice(a, a + chunkLen);
      // A slot without a source gets a placeholder item that fails fast; its failure is already recorded.
      const jobItems = part.map((it) => it ?? { source: MISSING, key: [0, 0, 0] as [number, number, number] });
      starts.push(a);
      if (pool && this.workers > 0) {
        const transfer: ArrayBuffer[] = [];
        const portable = jobItems.map((it) => {
          const p = portableSource(it.source);
          transfer.push(...p.transfer);
          return { source: p.source, key: it.key };
        });
        jobs.push(pool.run({ spec: this.spec, items: portable }, transfer));
      } else {
        jobs.push(runJob({ id: 0, spec: this.spec, items: jobItems }));
      }
    }
    const results = await Promise.all(jobs);
    const images = results.length === 1 ? results[0]!.images : new Float32Array(entries.length * per);
    results.forEach((r, k) => {
      const a = starts[k]!;
      if (results.length > 1) images.set(r.images, a * per);
      for (const f of r.failures) if (!failed.has(a + f.item)) failed.set(a + f.item, f.message);
    });
    return { images, failed: new Map([...failed].sort((x, y) => x[0] - y[0])) };
  }

  /**
   * The next example after `bad` (cyclically, in dataset order) whose image loads, rendered with the RNG key of
   * the slot it fills. The answer depends only on the dataset, so it is the same in every mode and on every run.
   */
  private async replace(bad: number, key: [number, number, number]): Promise<{ index: number; image: Float32Array }> {
    const n = this.dataset.length;
    const visited = [bad];
    let j = this.replacement.get(bad) ?? (bad + 1) % n;
    for (let tries = 0; tries < n; tries++) {
      const known = this.replacement.get(j);
      if (known !== undefined) {
        visited.push(j);
        j = known;
        continue;
      }
      if (j !== bad) {
        const r = await this.renderOne(j, key);
        if (r) {
          for (const v of visited) this.replacement.set(v, j);
          return { index: j, image: r };
        }
        visited.push(j);
      }
      j = (j + 1) % n;
    }
    throw new Error(`dataset ${this.dataset.name}/${this.dataset.split}: no image of its ${n} examples could be loaded`);
  }

  private async renderOne(index: number, key: [number, number, number]): Promise<Float32Array | null> {
    let source: ImageSource;
    try {
      source = this.dataset.source(index);
    } catch {
      return null;
    }
    const r = await runJob({ id: 0, spec: this.spec, items: [{ source, key }] });
    return r.failures.length === 0 ? r.images : null;
  }

  private describe(index: number): string {
    const ds = this.dataset;
    try {
      return `cannot load image ${describeSource(ds, index, ds.source(index))}`;
    } catch {
      return `cannot load example #${index} of dataset ${ds.name} (${ds.split})`;
    }
  }

  private restore(s: LoaderState, where: string): void {
    const ds = this.dataset;
    if (typeof s !== 'object' || s === null || s.version !== 1) throw new Error(`${where}: resume: not a loader state (version 1): ${JSON.stringify(s)}`);
    const expect: [string, unknown, unknown][] = [
      ['dataset', s.dataset, ds.name],
      ['split', s.split, ds.split],
      ['length', s.length, ds.length],
      ['mode', s.mode, this.mode],
      ['seed', s.seed, this.seed],
      ['batchSize', s.batchSize, this.batchSize],
      ['iterations', s.iterations, this.iterations],
    ];
    for (const [k, saved, now] of expect) {
      if (saved !== now) throw new Error(`${where}: resume: the saved state has ${k} ${JSON.stringify(saved)} but this loader has ${JSON.stringify(now)}`);
    }
    if (!Number.isInteger(s.next) || s.next < 0 || s.next > this.iterations) {
      throw new Error(`${where}: resume: next batch ${s.next} is outside [0, ${this.iterations}]`);
    }
    if (!Number.isInteger(s.skipped) || s.skipped < 0) throw new Error(`${where}: resume: bad skipped count ${s.skipped}`);
    this.position = s.next;
    this.skippedCount = s.skipped;
  }
}

/** A source that fails to decode at once (stands in for a slot whose dataset.source() threw). */
const MISSING: ImageSource = { kind: 'encoded', bytes: new Uint8Array(0), name: '<no source>' };

function transformSpec(opts: LoaderOptions, train: boolean, where: string): TransformSpec {
  const size = opts.size ?? 224;
  if (!Number.isInteger(size) || size < 1) throw new Error(`${where}: size must be a positive integer, got ${size}`);
  const scale = opts.scale ?? [0.9, 1.0];
  const ratio = opts.ratio ?? [3 / 4, 4 / 3];
  if (!(scale[0] > 0 && scale[0] <= scale[1])) throw new Error(`${where}: scale must satisfy 0 < min <= max, got [${scale}]`);
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1])) throw new Error(`${where}: ratio must satisfy 0 < min <= max, got [${ratio}]`);
  const mean = opts.mean ?? CLIP_MEAN;
  const std = opts.std ?? CLIP_STD;
  if (mean.length !== 3 || std.length !== 3 || !mean.every(Number.isFinite) || !std.every((s) => s > 0)) {
    throw new Error(`${where}: need 3 finite means and 3 positive stds, got mean [${mean}] std [${std}]`);
  }
  const alpha = opts.alpha ?? 'white';
  if (alpha !== 'white' && alpha !== 'drop') throw new Error(`${where}: alpha must be 'white' or 'drop', got '${String(alpha)}'`);
  return {
    size,
    augment: opts.augment ?? train,
    scale: [scale[0], scale[1]],
    ratio: [ratio[0], ratio[1]],
    mean: [mean[0]!, mean[1]!, mean[2]!],
    std: [std[0]!, std[1]!, std[2]!],
    alpha,
    ...(opts.svgSize !== undefined ? { svgSize: opts.svgSize } : {}),
  };
}

/** A batch as engine tensors on `backend`: images [B, 3, S, S] f32 and labels [B] i32. */
export function toTensors(batch: Batch, backend: Backend): { images: Tensor; labels: Tensor } {
  const S = batch.imageSize;
  const labels = wrap(backend.upload(batch.labels), [batch.size], backend);
  labels.hostCopy = batch.labels;
  return { images: wrap(backend.upload(batch.images), [batch.size, 3, S, S], backend), labels };
}
