/**
 * MNIST: MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte (torchvision's layout; the .gz files are read as
 * well). Images are raw 28x28 grayscale (the preprocessing converts them to RGB).
 */
import { join } from 'node:path';
import { firstExisting, requireDir } from './fs.js';
import { idxDataset } from './idx-dataset.js';
import { mtilInfo } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'MNIST';

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('mnist');
  const raw = join(root, 'MNIST', 'raw');
  requireDir(NAME, raw);
  const prefix = split === 'train' ? 'train' : 't10k';
  const file = (kind: string) => {
    const f = join(raw, `${prefix}-${kind}-ubyte`);
    return firstExisting(NAME, [f, `${f}.gz`], `${split} ${kind.split('-')[0]} file`);
  };
  return idxDataset({
    name: NAME,
    split,
    classNames: info.classNames!,
    templates: info.templates,
    imagesFile: file('images-idx3'),
    labelsFile: file('labels-idx1'),
  });
}

export const mnist: MtilReader = {
  name: NAME,
  aliases: [],
  key: 'mnist',
  folders: ['MNIST'],
  load,
};
