/**
 * Oxford Flowers-102: flowers-102/jpg/image_%05d.jpg; imagelabels.mat ('labels', 1..102) and setid.mat ('trnid',
 * 'valid', 'tstid'), MATLAB v5 files. Label of image id = labels[id - 1] - 1.
 */
import { join } from 'node:path';
import { matGet, matNumbers, readMatFile } from '../formats/matlab.js';
import { fileDataset } from './examples.js';
import { requireDir, requireFile } from './fs.js';
import { mtilInfo } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'Flowers';

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('flowers');
  const base = join(root, 'flowers-102');
  requireDir(NAME, base);
  const labelsFile = join(base, 'imagelabels.mat');
  const setFile = join(base, 'setid.mat');
  requireFile(NAME, labelsFile, 'label file');
  requireFile(NAME, setFile, 'split file');
  const all = matNumbers(matGet(readMatFile(labelsFile), 'labels', labelsFile), `${NAME}: ${labelsFile}: labels`);
  const key = split === 'train' ? 'trnid' : 'tstid';
  const ids = matNumbers(matGet(readMatFile(setFile), key, setFile), `${NAME}: ${setFile}: ${key}`);
  const k = info.classNames!.length;
  const paths: string[] = [];
  const labels: number[] = [];
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 1 || id > all.length) {
      throw new Error(`${NAME}: ${setFile}: ${key} holds image id ${id}, but ${labelsFile} labels ${all.length} images`);
    }
    const label = all[id - 1]! - 1;
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new Error(`${NAME}: ${labelsFile}: label ${label + 1} of image ${id} is outside 1..${k}`);
    }
    paths.push(join(base, 'jpg', `image_${String(id).padStart(5, '0')}.jpg`));
    labels.push(label);
  }
  return fileDataset({ name: NAME, split, classNames: info.classNames!, templates: info.templates }, paths, labels);
}

export const flowers: MtilReader = {
  name: NAME,
  aliases: ['Flowers102', 'Flowers-102', 'OxfordFlowers', 'OxfordFlowers102'],
  key: 'flowers',
  folders: ['flowers-102'],
  load,
};
