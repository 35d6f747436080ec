/**
 * What every MTIL dataset reader provides: its canonical name, the names users may type, where it lives under the
 * data root, and `load(root, split)`, which lists the examples of one split cheaply (labels and image sources).
 */
import type { ImageDataset } from '../dataset.js';

export type MtilSplit = 'train' | 'test';

export interface MtilReader {
  /** Canonical name, as in the protocol and in reports, e.g. "StanfordCars". */
  readonly name: string;
  /** Other accepted names, e.g. "Cars" (matched ignoring case, spaces, '-' and '_'). */
  readonly aliases: readonly string[];
  /** File name of the shipped class names and templates: assets/mtil/<key>.json. */
  readonly key: string;
  /** Folders under the data root, any one of which holds the dataset (torchvision's layout). */
  readonly folders: readonly string[];
  load(root: string, split: MtilSplit): ImageDataset;
}

/** Rejects anything but 'train' and 'test' (JavaScript callers and CLI strings). */
export function checkSplit(dataset: string, split: string): MtilSplit {
  if (split !== 'train' && split !== 'test') {
    throw new Error(`${dataset}: unknown split '${split}' (expected 'train' or 'test')`);
  }
  return split;
}
