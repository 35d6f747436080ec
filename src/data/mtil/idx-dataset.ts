/**
 * A classification dataset from a pair of IDX files (MNIST-style): images N x H x W uint8 and labels N uint8.
 * Images are raw grayscale; each source carries its own copy of the pixels (a view into the big array would
 * drag the whole file along when posted to a worker).
 */
import type { ImageDataset, SplitName } from '../dataset.js';
import { readIdxFile } from '../formats/idx.js';
import { generatedDataset } from './examples.js';
import { requireFile } from './fs.js';

export interface IdxDatasetSpec {
  name: string;
  split: SplitName;
  classNames: readonly string[];
  templates: readonly string[];
  imagesFile: string;
  labelsFile: string;
}

export function idxDataset(spec: IdxDatasetSpec): ImageDataset {
  const { name, imagesFile, labelsFile } = spec;
  requireFile(name, imagesFile, 'image file');
  requireFile(name, labelsFile, 'label file');
  const images = readIdxFile(imagesFile);
  const labels = readIdxFile(labelsFile);
  if (images.dtype !== 'uint8' || images.dims.length !== 3) {
    throw new Error(`${name}: ${imagesFile}: expected uint8 images N x H x W, found ${images.dtype} [${images.dims.join(', ')}]`);
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new Error(`${name}: ${labelsFile}: expected uint8 labels of one dimension, found ${labels.dtype} [${labels.dims.join(', ')}]`);
  }
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) throw new Error(`${name}: ${imagesFile} has ${n} images but ${labelsFile} has ${labels.dims[0]} labels`);
  const pixels = images.data as Uint8Array;
  const size = h * w;
  const meta = { name, split: spec.split, classNames: spec.classNames, templates: spec.templates };
  return generatedDataset(
    meta,
    labels.data as Uint8Array,
    (i) => ({
      kind: 'raw',
      image: { width: w, height: h, channels: 1, data: new Uint8Array(pixels.subarray(i * size, (i + 1) * size)) },
      name: `${imagesFile}#${i}`,
    }),
    (i) => `${imagesFile}#${i}`,
  );
}
