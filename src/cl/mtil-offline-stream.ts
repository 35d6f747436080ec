/**
 * MTIL-Offline as a task stream (docs/mtil-offline.md): real downstream datasets that the built-in model's
 * pre-training corpus never contains, in order I or II, with this benchmark's recipe; and the pre-training corpus
 * as ZSCL's reference data (images with captions, disjoint from every task by construction).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { subset } from '../data/dataset.js';
import { fewShotIndices } from '../data/fewshot.js';
import { mtilOfflineTasks } from '../data/mtil-offline.js';
import { openCorpus } from '../data/synth/corpus.js';
import type { RunConfig } from './config.js';
import type { CaptionedDataset } from './reference.js';
import type { Stream, Task } from './stream.js';

/**
 * The benchmark's default recipe (the MTIL recipe scaled to the small model and datasets; chosen on the validation
 * splits, see docs/results.md): iterations per task, learning rate, batch size.
 */
export const MTIL_OFFLINE_RECIPE = { iterations: 100, lr: 1e-4, batchSize: 32, warmup: 10 };

export function mtilOfflineStream(c: RunConfig): Stream {
  const tasks: Task[] = mtilOfflineTasks(c.order, { missing: 'skip' }).map((t) => {
    const train = c.fewShot > 0 ? subset(t.train, fewShotIndices(t.train, c.fewShot, c.seed, { allowFewer: true })) : t.train;
    return {
      name: t.name,
      train,
      test: c.evalSplit === 'val' ? t.val : t.test,
      val: t.val,
      iterations: c.train.iterations ?? MTIL_OFFLINE_RECIPE.iterations,
      lr: c.train.lr ?? MTIL_OFFLINE_RECIPE.lr,
      batchSize: c.train.batchSize ?? MTIL_OFFLINE_RECIPE.batchSize,
      warmup: c.train.warmup ?? MTIL_OFFLINE_RECIPE.warmup,
      // Ten weight-average snapshots per task, as ZSCL's 100 in MTIL's 1000 steps.
      snapshotEvery: Math.max(1, Math.round((c.train.iterations ?? MTIL_OFFLINE_RECIPE.iterations) / 10)),
    };
  });
  return { name: `MTIL-Offline Order ${c.order}${c.fewShot ? ` (${c.fewShot}-shot)` : ''}${c.evalSplit === 'val' ? ' [validation splits]' : ''}`, tasks };
}

/** Where the rendered corpus is cached (MULKI_CACHE, default ~/.cache/mulki). */
export function corpusDir(size = 32): string {
  return join(process.env.MULKI_CACHE ?? join(homedir(), '.cache', 'mulki'), `corpus-${size}`);
}

/** The corpus as captioned reference images (built on first use, about a minute). */
export async function corpusReferenceAsync(size = 32): Promise<CaptionedDataset> {
  const dir = corpusDir(size);
  if (!existsSync(join(dir, 'manifest.json'))) {
    const { buildCorpus } = await import('../data/synth/build.js');
    process.stderr.write(`building the pre-training corpus in ${dir} (reference data for ZSCL; about a minute)\n`);
    await buildCorpus({ outDir: dir, size: size as 32 | 48 | 64, seed: 0 });
  }
  return corpusReference(size);
}

export function corpusReference(size = 32): CaptionedDataset {
  const corpus = openCorpus(corpusDir(size));
  return {
    name: 'reference',
    split: 'train',
    classNames: ['image'],
    templates: ['{c}'],
    length: corpus.length,
    label: () => 0,
    source: (i) => ({ kind: 'raw', image: corpus.image(i), name: `corpus #${i}` }),
    caption: (i) => corpus.captions(i)[0]!,
  };
}
