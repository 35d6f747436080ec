/**
 * Builds ImageDatasets from listed examples: image files on disk, or decoded pixels held in memory.
 */
import type { ImageDataset, ImageSource, SplitName } from '../dataset.js';

export interface DatasetMeta {
  name: string;
  split: SplitName;
  classNames: readonly string[];
  templates: readonly string[];
}

function checkLabels(meta: DatasetMeta, labels: ArrayLike<number>, where: (i: number) => string): void {
  const k = meta.classNames.length;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= k) {
      throw new Error(`${meta.name}/${meta.split}: label ${l} of ${where(i)} is outside [0, ${k})`);
    }
  }
}

function bounds(meta: DatasetMeta, n: number, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${meta.name}/${meta.split}: index ${i} out of range [0, ${n})`);
}

/** A dataset of image files: example i is `paths[i]` with label `labels[i]`. */
export function fileDataset(meta: DatasetMeta, paths: readonly string[], labels: ArrayLike<number>): ImageDataset {
  if (paths.length !== labels.length) {
    throw new Error(`${meta.name}/${meta.split}: ${paths.length} images but ${labels.length} labels`);
  }
  checkLabels(meta, labels, (i) => paths[i]!);
  const n = paths.length;
  return {
    ...meta,
    length: n,
    label(i) {
      bounds(meta, n, i);
      return labels[i]!;
    },
    source(i): ImageSource {
      bounds(meta, n, i);
      return { kind: 'file', path: paths[i]! };
    },
  };
}

/** A dataset whose images are made on demand (raw pixels cut out of a big array, for instance). */
export function generatedDataset(
  meta: DatasetMeta,
  labels: ArrayLike<number>,
  source: (i: number) => ImageSource,
  where: (i: number) => string,
): ImageDataset {
  checkLabels(meta, labels, where);
  const n = labels.length;
  return {
    ...meta,
    length: n,
    label(i) {
      bounds(meta, n, i);
      return labels[i]!;
    },
    source(i) {
      bounds(meta, n, i);
      return source(i);
    },
  };
}
