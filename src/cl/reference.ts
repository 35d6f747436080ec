/**
 * Reference data for ZSCL-style distillation: images with captions, served one batch per training step from a
 * seeded loader whose position is a pure function of (task seed, step), so that a resumed run sees the same
 * reference batches.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Backend } from '../engine/backend.js';
import type { ImageDataset } from '../data/dataset.js';
import { DataLoader, toTensors } from '../data/loader.js';
import type { WorkerPool } from '../data/worker-pool.js';
import type { ReferenceData } from './method.js';

/** An image dataset whose examples also carry a caption. */
export interface CaptionedDataset extends ImageDataset {
  caption(i: number): string;
}

/**
 * A folder (or file) of captioned images: captions.tsv with lines `caption<TAB>relative/path.jpg` (a header line
 * `title<TAB>filepath` is allowed, as in Conceptual Captions' validation CSV), paths relative to the file.
 */
export function loadCaptionFolder(path: string): CaptionedDataset {
  const file = existsSync(join(path, 'captions.tsv')) ? join(path, 'captions.tsv') : path;
  if (!existsSync(file)) throw new Error(`reference data: ${file} not found (expected a folder with captions.tsv)`);
  const base = dirname(file);
  const rows: { caption: string; path: string }[] = [];
  readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const parts = line.split('\t');
    if (parts.length < 2) throw new Error(`${file}:${i + 1}: expected "caption<TAB>path"`);
    if (i === 0 && parts[0] === 'title' && parts[1] === 'filepath') return;
    const p = parts[1]!.trim();
    rows.push({ caption: parts[0]!.trim(), path: isAbsolute(p) ? p : join(base, p) });
  });
  if (rows.length === 0) throw new Error(`${file}: no captioned images`);
  return {
    name: 'reference',
    split: 'train',
    classNames: ['image'],
    templates: ['{c}'],
    length: rows.length,
    label: () => 0,
    source: (i) => ({ kind: 'file', path: rows[i]!.path }),
    caption: (i) => rows[i]!.caption,
  };
}

/** One reference batch per step, starting at `startStep` of a task whose loader seed is `seed`. */
export class ReferenceStream implements ReferenceData {
  private loader: DataLoader | null = null;
  private iter: AsyncIterator<import('../data/loader.js').Batch> | null = null;

  constructor(private readonly ds: CaptionedDataset, private readonly be: Backend, private readonly o: {
    seed: number; steps: number; startStep: number; imageSize: number; pool?: WorkerPool; workers: number;
  }) {}

  async next(batchSize: number) {
    if (!this.loader) {
      const base = new DataLoader(this.ds, { batchSize, iterations: this.o.steps, seed: this.o.seed, size: this.o.imageSize, workers: 0 });
      const resume = { ...base.state(), next: this.o.startStep };
      this.loader = new DataLoader(this.ds, {
        batchSize, iterations: this.o.steps, seed: this.o.seed, size: this.o.imageSize, resume,
        ...(this.o.pool ? { pool: this.o.pool } : { workers: this.o.workers }),
      });
      this.iter = this.loader[Symbol.asyncIterator]();
    }
    const r = await this.iter!.next();
    if (r.done) throw new Error('reference data: more batches requested than training steps');
    const { images } = toTensors(r.value, this.be);
    const captions = Array.from(r.value.indices, (i) => this.ds.caption(i));
    return { images, captions };
  }

  async close(): Promise<void> {
    await this.iter?.return?.();
  }
}
