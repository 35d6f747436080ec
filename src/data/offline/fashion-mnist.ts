/**
 * Fashion-MNIST from Debian's dataset-fashion-mnist (gzipped IDX files in /usr/share/datasets/fashion-mnist):
 * 60,000 train and 10,000 test 28x28 grayscale images of 10 kinds of clothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../dataset.js';
import { firstExisting } from '../mtil/fs.js';
import { idxDataset } from '../mtil/idx-dataset.js';
import { checkSplit, type MtilSplit } from '../mtil/reader.js';

const NAME = 'FashionMNIST';
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Label order of the dataset (0 = T-shirt/top ... 9 = Ankle boot), worded for prompts. */
export const FASHION_MNIST_CLASSES = [
  't-shirt or top',
  'trousers',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
];

export const FASHION_MNIST_TEMPLATES = [
  'a photo of a {c}.',
  'a black and white photo of a {c}.',
  'a low resolution photo of a {c}.',
  'a photo of the {c}.',
  'a product photo of a {c}.',
];

export function loadFashionMnist(split: MtilSplit, dir = FASHION_MNIST_DIR): ImageDataset {
  checkSplit(NAME, split);
  if (!existsSync(dir)) {
    throw new Error(`${NAME}: missing folder ${dir}; install it with: apt-get install dataset-fashion-mnist`);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const file = (kind: string) => {
    const f = join(dir, `${prefix}-${kind}-ubyte`);
    return firstExisting(NAME, [`${f}.gz`, f], `${split} ${kind.split('-')[0]} file`);
  };
  return idxDataset({
    name: NAME,
    split,
    classNames: FASHION_MNIST_CLASSES,
    templates: FASHION_MNIST_TEMPLATES,
    imagesFile: file('images-idx3'),
    labelsFile: file('labels-idx1'),
  });
}
