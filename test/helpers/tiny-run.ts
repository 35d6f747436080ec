/**
 * A tiny continual-learning setup for end-to-end tests: a small random CLIP (16 px images), a word-level
 * tokenizer, and two tasks cut from MNIST (digits 0-4, then 5-9) plus captioned reference images for ZSCL.
 */
import type { Backend } from '../../src/engine/backend.js';
import { parseClipConfig } from '../../src/clip/config.js';
import { createClip } from '../../src/clip/model.js';
import type { TextTokenizer } from '../../src/clip/zeroshot.js';
import { resolveConfig, type RunConfig } from '../../src/cl/config.js';
import type { Stream } from '../../src/cl/stream.js';
import type { RunInputs } from '../../src/cl/trainer.js';
import type { CaptionedDataset } from '../../src/cl/reference.js';
import { subset, type ImageDataset } from '../../src/data/dataset.js';
import { loadMnistOffline } from '../../src/data/offline/mnist.js';
import { hashString } from '../../src/engine/rng.js';

export const TINY_CONFIG = parseClipConfig({
  embedDim: 32,
  vision: { imageSize: 16, patchSize: 4, width: 48, layers: 2, heads: 2, mlpWidth: 96, act: 'quick_gelu' },
  text: { contextLength: 12, vocabSize: 256, width: 48, layers: 2, heads: 2, mlpWidth: 96, act: 'quick_gelu', bosTokenId: 254, eosTokenId: 255 },
});

/** Words hashed into a small vocabulary (ids 1..253), with start/end tokens. */
export class WordTokenizer implements TextTokenizer {
  tokenize(texts: readonly string[], ctx: number): Int32Array {
    const out = new Int32Array(texts.length * ctx);
    texts.forEach((t, r) => {
      const words = t.toLowerCase().match(/[a-z0-9]+/g) ?? [];
      const ids = [254, ...words.slice(0, ctx - 2).map((w) => 1 + (hashString(w) % 253)), 255];
      out.set(ids, r * ctx);
    });
    return out;
  }
}

/** Examples of the given digits (at most perClass each), relabelled 0..k-1 with their MTIL class names. */
function digits(ds: ImageDataset, keep: number[], perClass: number): ImageDataset {
  const count = new Map<number, number>();
  const idx: number[] = [];
  for (let i = 0; i < ds.length && idx.length < keep.length * perClass; i++) {
    const l = ds.label(i);
    if (!keep.includes(l) || (count.get(l) ?? 0) >= perClass) continue;
    count.set(l, (count.get(l) ?? 0) + 1);
    idx.push(i);
  }
  const base = subset(ds, idx);
  return { ...base, name: `MNIST-${keep.join('')}`, classNames: keep.map((d) => ds.classNames[d]!), label: (i) => keep.indexOf(base.label(i)), source: base.source };
}

export function tinyStream(iterations: number, perClass = 60): Stream {
  const tr = loadMnistOffline('train');
  const te = loadMnistOffline('test');
  const mk = (keep: number[]) => ({ name: `MNIST-${keep.join('')}`, train: digits(tr, keep, perClass), test: digits(te, keep, 20), iterations, lr: 1e-3, batchSize: 32, warmup: 5 });
  return { name: 'tiny MNIST split', tasks: [mk([0, 1, 2, 3, 4]), mk([5, 6, 7, 8, 9])] };
}

/** Captioned reference images for ZSCL: MNIST test digits (never used by the tiny stream) with their names. */
export function tinyReference(): CaptionedDataset {
  const te = loadMnistOffline('test');
  const idx = Array.from({ length: 200 }, (_, i) => 5000 + i);
  const base = subset(te, idx);
  return { ...base, name: 'reference', caption: (i) => `a photo of the number ${te.classNames[base.label(i)]}` };
}

/**
 * Inputs of a tiny run. The model starts from random weights, so the recipe's logit scale of 100 is lowered to 20
 * and the learning rate raised (1e-3): learning from scratch needs both.
 */
export function tinyInputs(out: string, method: string, over: Record<string, unknown> = {}, iterations = 150): RunInputs {
  const config: RunConfig = resolveConfig({
    model: 'tiny-random', benchmark: 'custom', datasets: ['MNIST-01234', 'MNIST-56789'], method, out, workers: 0,
    train: { warmup: 5, batchSize: 32, logitScale: 20 }, eval: { batchSize: 100 }, seed: 3, device: (process.env.MULKI_TEST_DEVICE ?? 'cpu'),
    ...(method === 'zscl' ? { reference: 'test' } : {}),
    ...over,
  });
  return {
    config,
    stream: tinyStream(iterations),
    reference: method === 'zscl' ? tinyReference() : null,
    loadModel: (be: Backend) => ({ model: createClip(be, TINY_CONFIG, 11), tokenizer: new WordTokenizer(), description: 'tiny random CLIP' }),
  };
}
