/**
 * Caltech101: caltech101/101_ObjectCategories/<Category>/image_%04d.jpg. Categories in code-point order minus
 * BACKGROUND_Google; dataset order = category-major, then image number (torchvision). No official split: ZSCL's
 * seeded 80/20 split ships in assets/splits/caltech101.json.
 */
import { join } from 'node:path';
import { fileDataset } from './examples.js';
import { expectFolders, listDirs, listFiles, requireDir } from './fs.js';
import { mtilInfo } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';
import { zsclSplitIndices } from './splits.js';

const NAME = 'Caltech101';
const IMAGE = /^image_(\d{4})\.jpg$/;

/** Every example of the full dataset, in torchvision's order. */
export function caltech101All(root: string): { paths: string[]; labels: number[]; dir: string } {
  const info = mtilInfo('caltech101');
  const dir = join(root, 'caltech101', '101_ObjectCategories');
  requireDir(NAME, dir);
  const folders = listDirs(NAME, dir).filter((f) => f !== 'BACKGROUND_Google');
  expectFolders(NAME, dir, folders, info.folders!);
  const paths: string[] = [];
  const labels: number[] = [];
  folders.forEach((folder, label) => {
    const numbers = new Set<number>();
    for (const f of listFiles(NAME, join(dir, folder))) {
      const m = IMAGE.exec(f);
      if (m) numbers.add(Number(m[1]));
    }
    // torchvision reads image_0001.jpg .. image_<count>.jpg; a gap would shift every later image.
    for (let k = 1; k <= numbers.size; k++) {
      if (!numbers.has(k)) {
        throw new Error(`${NAME}: missing ${join(dir, folder, `image_${String(k).padStart(4, '0')}.jpg`)} (images must be numbered 1..${numbers.size})`);
      }
      paths.push(join(dir, folder, `image_${String(k).padStart(4, '0')}.jpg`));
      labels.push(label);
    }
  });
  return { paths, labels, dir };
}

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('caltech101');
  const all = caltech101All(root);
  const idx = zsclSplitIndices('caltech101', NAME, all.dir, all.paths.length, split);
  const meta = { name: NAME, split, classNames: info.classNames!, templates: info.templates };
  return fileDataset(
    meta,
    Array.from(idx, (i) => all.paths[i]!),
    Array.from(idx, (i) => all.labels[i]!),
  );
}

export const caltech101: MtilReader = {
  name: NAME,
  aliases: ['Caltech', 'Caltech-101'],
  key: 'caltech101',
  folders: ['caltech101'],
  load,
};
