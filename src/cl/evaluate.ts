/**
 * Evaluation: top-1 zero-shot-style accuracy of a model on datasets (template-ensemble text classifier against
 * image features, batched, no gradient) -- one row of the accuracy matrix.
 */
import type { Backend } from '../engine/backend.js';
import { scopeAsync } from '../engine/memory.js';
import { noGradAsync } from '../engine/tape.js';
import { argmax } from '../engine/ops/select.js';
import { buildClassifier, zeroShotLogits, type TextTokenizer } from '../clip/zeroshot.js';
import type { ClipModel } from '../clip/model.js';
import type { ImageDataset } from '../data/dataset.js';
import { DataLoader, toTensors } from '../data/loader.js';
import type { WorkerPool } from '../data/worker-pool.js';

export interface EvalOptions {
  batchSize: number;
  pool?: WorkerPool;
  workers?: number;
  skipCorrupt?: boolean;
  logitScale?: number;
  /** Called after each batch (progress display). */
  onBatch?: (dataset: string, done: number, total: number) => void;
}

/** Accuracy (%) of the model on one dataset. */
export async function evaluateDataset(model: ClipModel, tok: TextTokenizer, ds: ImageDataset, o: EvalOptions): Promise<number> {
  const be: Backend = model.backend;
  return noGradAsync(() => scopeAsync(async () => {
    const classifier = buildClassifier(model, tok, ds.classNames, ds.templates);
    const loader = new DataLoader(ds, {
      batchSize: o.batchSize, mode: 'eval', size: model.config.vision.imageSize,
      ...(o.pool ? { pool: o.pool } : { workers: o.workers ?? 0 }), skipCorrupt: o.skipCorrupt,
    });
    let correct = 0;
    let total = 0;
    for await (const batch of loader) {
      const pred = await scopeAsync(async () => {
        const { images } = toTensors(batch, be);
        return argmax(zeroShotLogits(model, classifier, images, o.logitScale ?? 100)).toArray();
      });
      for (let i = 0; i < batch.size; i++) if (pred[i] === batch.labels[i]) correct++;
      total += batch.size;
      o.onBatch?.(ds.name, total, ds.length);
    }
    if (total === 0) throw new Error(`evaluation: dataset ${ds.name}/${ds.split} is empty`);
    return (100 * correct) / total;
  }));
}

/** One accuracy-matrix row: every dataset in order. */
export async function evaluateAll(model: ClipModel, tok: TextTokenizer, datasets: readonly ImageDataset[], o: EvalOptions): Promise<number[]> {
  const row: number[] = [];
  for (const ds of datasets) row.push(await evaluateDataset(model, tok, ds, o));
  return row;
}
