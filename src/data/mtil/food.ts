/**
 * Food-101: food-101/images/<class>/<id>.jpg, food-101/meta/{train,test}.json (class -> list of "class/id").
 * Class names: sorted keys of meta/train.json with '_' -> space; examples in the JSON's order (torchvision).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileDataset } from './examples.js';
import { byCodePoint, readJson, requireDir } from './fs.js';
import { mtilInfo, underscoreToSpace } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'Food';

function readMeta(file: string): Record<string, string[]> {
  const j = readJson(NAME, file, 'split file');
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new Error(`${NAME}: ${file}: expected an object of class -> image list`);
  for (const [cls, list] of Object.entries(j)) {
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) {
      throw new Error(`${NAME}: ${file}: class "${cls}" must map to a list of "class/id" strings`);
    }
  }
  return j as Record<string, string[]>;
}

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('food');
  const base = join(root, 'food-101');
  requireDir(NAME, base);
  const metaFile = join(base, 'meta', `${split}.json`);
  const data = readMeta(metaFile);
  const trainFile = join(base, 'meta', 'train.json');
  const classes = Object.keys(split === 'train' || !existsSync(trainFile) ? data : readMeta(trainFile)).sort(byCodePoint);
  const index = new Map(classes.map((c, i) => [c, i]));
  const paths: string[] = [];
  const labels: number[] = [];
  for (const [cls, list] of Object.entries(data)) {
    const label = index.get(cls);
    if (label === undefined) throw new Error(`${NAME}: ${metaFile}: class "${cls}" is not in ${trainFile}`);
    for (const rel of list) {
      paths.push(join(base, 'images', ...`${rel}.jpg`.split('/')));
      labels.push(label);
    }
  }
  const meta = { name: NAME, split, classNames: classes.map(underscoreToSpace), templates: info.templates };
  return fileDataset(meta, paths, labels);
}

export const food: MtilReader = {
  name: NAME,
  aliases: ['Food101', 'Food-101'],
  key: 'food',
  folders: ['food-101'],
  load,
};
