/**
 * Oxford-IIIT Pet (37 breeds): oxford-iiit-pet/images/<Breed>_<n>.jpg, annotations/{trainval,test}.txt with lines
 * "<image_id> <class 1..37> <species> <breed_id>"; label = class - 1.
 */
import { join } from 'node:path';
import { fileDataset } from './examples.js';
import { readLines, requireDir } from './fs.js';
import { mtilInfo } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'OxfordPet';

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('oxfordpet');
  const base = join(root, 'oxford-iiit-pet');
  requireDir(NAME, base);
  const listFile = join(base, 'annotations', split === 'train' ? 'trainval.txt' : 'test.txt');
  const k = info.classNames!.length;
  const paths: string[] = [];
  const labels: number[] = [];
  for (const { line, n } of readLines(NAME, listFile, 'split file')) {
    if (line.startsWith('#')) continue;
    const [id, cls] = line.trim().split(/\s+/);
    const c = Number(cls);
    if (!id || !Number.isInteger(c) || c < 1 || c > k) {
      throw new Error(`${NAME}: ${listFile}:${n}: expected "<image_id> <class 1..${k}> <species> <breed_id>", got "${line.trim()}"`);
    }
    paths.push(join(base, 'images', `${id}.jpg`));
    labels.push(c - 1);
  }
  return fileDataset({ name: NAME, split, classNames: info.classNames!, templates: info.templates }, paths, labels);
}

export const oxfordpet: MtilReader = {
  name: NAME,
  aliases: ['OxfordPets', 'Pets', 'OxfordIIITPet', 'Oxford-IIIT-Pet'],
  key: 'oxfordpet',
  folders: ['oxford-iiit-pet'],
  load,
};
