/**
 * EuroSAT (RGB JPEG version, 10 classes): eurosat/2750/<ClassName>/<ClassName>_<k>.jpg. Folders sorted, files
 * sorted by code point within each class (torchvision ImageFolder order). No official split: ZSCL's seeded 80/20
 * split ships in assets/splits/eurosat.json.
 */
import { join } from 'node:path';
import { fileDataset } from './examples.js';
import { expectFolders, listDirs, listFiles, requireDir } from './fs.js';
import { mtilInfo } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';
import { zsclSplitIndices } from './splits.js';

const NAME = 'EuroSAT';
/** torchvision's IMG_EXTENSIONS. */
const IMAGE = /\.(jpg|jpeg|png|ppm|bmp|pgm|tif|tiff|webp)$/i;

/** Every example of the full dataset, in ImageFolder order. */
export function eurosatAll(root: string): { paths: string[]; labels: number[]; dir: string } {
  const info = mtilInfo('eurosat');
  const dir = join(root, 'eurosat', '2750');
  requireDir(NAME, dir);
  const folders = listDirs(NAME, dir);
  expectFolders(NAME, dir, folders, info.folders!);
  const paths: string[] = [];
  const labels: number[] = [];
  folders.forEach((folder, label) => {
    for (const f of listFiles(NAME, join(dir, folder))) {
      if (!IMAGE.test(f)) continue;
      paths.push(join(dir, folder, f));
      labels.push(label);
    }
  });
  return { paths, labels, dir };
}

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('eurosat');
  const all = eurosatAll(root);
  const idx = zsclSplitIndices('eurosat', NAME, all.dir, all.paths.length, split);
  return fileDataset(
    { name: NAME, split, classNames: info.classNames!, templates: info.templates },
    Array.from(idx, (i) => all.paths[i]!),
    Array.from(idx, (i) => all.labels[i]!),
  );
}

export const eurosat: MtilReader = {
  name: NAME,
  aliases: ['Euro-SAT'],
  key: 'eurosat',
  folders: ['eurosat'],
  load,
};
