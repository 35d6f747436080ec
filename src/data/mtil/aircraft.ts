/**
 * FGVC-Aircraft (variant level, 100 classes): fgvc-aircraft-2013b/data/variants.txt (line index = label),
 * images_variant_{train,test}.txt with lines "<7-digit id> <variant>", images images/<id>.jpg.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileDataset } from './examples.js';
import { readLines, requireDir } from './fs.js';
import { mtilInfo, underscoreToSpace } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'Aircraft';

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('aircraft');
  const dir = join(root, 'fgvc-aircraft-2013b', 'data');
  requireDir(NAME, dir);
  const variantsFile = join(dir, 'variants.txt');
  const variants = existsSync(variantsFile)
    ? readLines(NAME, variantsFile, 'class list').map((l) => l.line.trim())
    : info.classNames!;
  const index = new Map(variants.map((v, i) => [v, i]));
  const listFile = join(dir, `images_variant_${split}.txt`);
  const paths: string[] = [];
  const labels: number[] = [];
  for (const { line, n } of readLines(NAME, listFile, 'split file')) {
    const t = line.trim();
    const sp = t.indexOf(' ');
    if (sp <= 0) throw new Error(`${NAME}: ${listFile}:${n}: expected "<image id> <variant>", got "${t}"`);
    const id = t.slice(0, sp);
    const variant = t.slice(sp + 1);
    const label = index.get(variant);
    if (label === undefined) throw new Error(`${NAME}: ${listFile}:${n}: unknown variant "${variant}"`);
    paths.push(join(dir, 'images', `${id}.jpg`));
    labels.push(label);
  }
  const meta = { name: NAME, split, classNames: variants.map(underscoreToSpace), templates: info.templates };
  return fileDataset(meta, paths, labels);
}

export const aircraft: MtilReader = {
  name: NAME,
  aliases: ['FGVCAircraft', 'FGVC-Aircraft', 'fgvc_aircraft'],
  key: 'aircraft',
  folders: ['fgvc-aircraft-2013b'],
  load,
};
