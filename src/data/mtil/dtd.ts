/**
 * DTD (Describable Textures, 47 classes): dtd/dtd/images/<class>/<file>.jpg, split files
 * dtd/dtd/labels/{train,test}1.txt with lines "class/file.jpg" (partition 1, as torchvision's default).
 */
import { join } from 'node:path';
import { fileDataset } from './examples.js';
import { readLines, requireDir } from './fs.js';
import { mtilInfo } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'DTD';

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('dtd');
  const base = join(root, 'dtd', 'dtd');
  requireDir(NAME, base);
  // The class names are the sorted folder names (shipped, so a partial copy still gets the right labels).
  const classNames = info.classNames!;
  const index = new Map(classNames.map((c, i) => [c, i]));
  const listFile = join(base, 'labels', `${split}1.txt`);
  const paths: string[] = [];
  const labels: number[] = [];
  for (const { line, n } of readLines(NAME, listFile, 'split file')) {
    const parts = line.trim().split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new Error(`${NAME}: ${listFile}:${n}: expected "class/file.jpg", got "${line.trim()}"`);
    }
    const label = index.get(parts[0]);
    if (label === undefined) throw new Error(`${NAME}: ${listFile}:${n}: unknown class "${parts[0]}"`);
    paths.push(join(base, 'images', parts[0], parts[1]));
    labels.push(label);
  }
  return fileDataset({ name: NAME, split, classNames, templates: info.templates }, paths, labels);
}

export const dtd: MtilReader = {
  name: NAME,
  aliases: ['Textures', 'DescribableTextures'],
  key: 'dtd',
  folders: ['dtd'],
  load,
};
