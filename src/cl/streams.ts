/**
 * Stream builders from a run config: MTIL Order I / II (and few-shot MTIL) over the user's data folder, the
 * offline benchmark MTIL-Offline, or any custom list of dataset names.
 */
import { subset, type ImageDataset } from '../data/dataset.js';
import { fewShotIndices } from '../data/fewshot.js';
import { MTIL_ORDER_I, MTIL_ORDER_II, loadMtilDataset } from '../data/mtil/registry.js';
import { loadOfflineDataset, offlineDataset } from '../data/offline/registry.js';
import type { RunConfig } from './config.js';
import { checkStream, type Stream, type Task } from './stream.js';

/** The MTIL recipe's per-task settings (ZSCL): 1000 iterations (500 few-shot), lr 1e-5 (5e-5 for Aircraft, MNIST). */
export function mtilTaskSettings(name: string, c: RunConfig): { iterations: number; lr: number; batchSize: number; warmup: number } {
  return {
    iterations: c.train.iterations ?? (c.fewShot > 0 ? 500 : 1000),
    lr: c.train.lr ?? (name === 'Aircraft' || name === 'MNIST' ? 5e-5 : 1e-5),
    batchSize: c.train.batchSize ?? 64,
    warmup: c.train.warmup ?? 100,
  };
}

function fewShot(ds: ImageDataset, c: RunConfig): ImageDataset {
  return c.fewShot > 0 ? subset(ds, fewShotIndices(ds, c.fewShot, c.seed, { allowFewer: true })) : ds;
}

export async function buildStream(c: RunConfig): Promise<Stream> {
  if (c.benchmark === 'mtil') {
    const names = c.order === 'I' ? MTIL_ORDER_I : MTIL_ORDER_II;
    const tasks: Task[] = names.map((n) => ({
      name: n,
      train: fewShot(loadMtilDataset(n, c.data!, 'train'), c),
      test: loadMtilDataset(n, c.data!, 'test'),
      ...mtilTaskSettings(n, c),
    }));
    return checkStream({ name: `MTIL Order ${c.order}${c.fewShot ? ` (${c.fewShot}-shot)` : ''}`, tasks });
  }
  if (c.benchmark === 'mtil-offline') {
    const { mtilOfflineStream } = await import('./mtil-offline-stream.js');
    return checkStream(mtilOfflineStream(c));
  }
  const tasks: Task[] = c.datasets.map((n) => {
    let known = true;
    try {
      offlineDataset(n);
    } catch {
      known = false;
    }
    if (known) return { name: offlineDataset(n).name, train: fewShot(loadOfflineDataset(n, 'train'), c), test: loadOfflineDataset(n, 'test'), ...mtilTaskSettings(n, c) };
    if (!c.data) throw new Error(`dataset ${n} is not an offline dataset; pass --data DIR holding the MTIL datasets`);
    const train = loadMtilDataset(n, c.data, 'train');
    return { name: train.name, train: fewShot(train, c), test: loadMtilDataset(n, c.data, 'test'), ...mtilTaskSettings(train.name, c) };
  });
  return checkStream({ name: `custom (${tasks.map((t) => t.name).join(', ')})`, tasks });
}
