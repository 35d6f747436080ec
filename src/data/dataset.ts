/**
 * The dataset interface every reader implements. A dataset lists examples cheaply (labels and where each image
 * comes from); decoding happens later, in the loader's worker threads, so an image source must be plain data
 * that can cross a worker boundary.
 */

/** Decoded pixels, interleaved HWC, 8 bits per channel. */
export interface RawImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** Where one image comes from. */
export type ImageSource =
  | { kind: 'file'; path: string }
  | { kind: 'encoded'; bytes: Uint8Array; name?: string }
  | { kind: 'raw'; image: RawImage; name?: string }
  | { kind: 'svg'; svg: string; name?: string };

export type SplitName = 'train' | 'val' | 'test';

export interface ImageDataset {
  /** The dataset's name as used in streams and reports, e.g. "MNIST". */
  readonly name: string;
  readonly split: SplitName;
  /** Class names, index = label. */
  readonly classNames: readonly string[];
  /** Prompt templates with `{c}` for the class name; the first one is the training template. */
  readonly templates: readonly string[];
  readonly length: number;
  /** Label of example i (no decoding). */
  label(i: number): number;
  /** Where example i's image comes from (no decoding). */
  source(i: number): ImageSource;
}

/** Describes a source for error messages: the file path, or the dataset name and index. */
export function describeSource(ds: Pick<ImageDataset, 'name' | 'split'>, i: number, src: ImageSource): string {
  if (src.kind === 'file') return `${src.path} (dataset ${ds.name}, ${ds.split} #${i})`;
  return `${'name' in src && src.name ? src.name + ' ' : ''}(dataset ${ds.name}, ${ds.split} #${i})`;
}

/** A dataset restricted to a list of indices (few-shot subsets, validation splits). */
export function subset(ds: ImageDataset, indices: readonly number[], split: SplitName = ds.split): ImageDataset {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= ds.length) {
      throw new Error(`subset of ${ds.name}/${ds.split}: index ${i} out of range [0, ${ds.length})`);
    }
  }
  return {
    name: ds.name,
    split,
    classNames: ds.classNames,
    templates: ds.templates,
    length: indices.length,
    label: (i) => ds.label(indices[i]!),
    source: (i) => ds.source(indices[i]!),
  };
}
