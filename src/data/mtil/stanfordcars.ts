/**
 * Stanford Cars (196 classes): stanford_cars/devkit/cars_meta.mat (class_names), devkit/cars_train_annos.mat and
 * cars_test_annos_withlabels.mat (in the stanford_cars root) holding 'annotations' structs (bbox_*, class 1-based,
 * fname); images in cars_train/ and cars_test/. Images are not cropped to the boxes.
 */
import { join } from 'node:path';
import { matField, matGet, matScalar, matString, matStrings, readMatFile } from '../formats/matlab.js';
import { fileDataset } from './examples.js';
import { firstExisting, requireDir, requireFile } from './fs.js';
import { mtilInfo, underscoreToSpace } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'StanfordCars';

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('stanfordcars');
  const base = join(root, 'stanford_cars');
  requireDir(NAME, base);
  const metaFile = join(base, 'devkit', 'cars_meta.mat');
  requireFile(NAME, metaFile, 'class list');
  const classNames = matStrings(matGet(readMatFile(metaFile), 'class_names', metaFile), `${NAME}: ${metaFile}: class_names`);
  const annosFile =
    split === 'train'
      ? join(base, 'devkit', 'cars_train_annos.mat')
      : firstExisting(
          NAME,
          [join(base, 'cars_test_annos_withlabels.mat'), join(base, 'devkit', 'cars_test_annos_withlabels.mat')],
          'test annotation file',
        );
  requireFile(NAME, annosFile, 'annotation file');
  const images = join(base, split === 'train' ? 'cars_train' : 'cars_test');
  const annos = matGet(readMatFile(annosFile), 'annotations', annosFile);
  if (annos.type !== 'struct') throw new Error(`${NAME}: ${annosFile}: 'annotations' is a ${annos.type}, expected a struct array`);
  const what = `${NAME}: ${annosFile}: annotations`;
  const paths: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < annos.elements.length; i++) {
    const cls = matScalar(matField(annos, i, 'class', what), `${what}(${i + 1}).class`);
    const fname = matString(matField(annos, i, 'fname', what), `${what}(${i + 1}).fname`);
    if (!Number.isInteger(cls) || cls < 1 || cls > classNames.length) {
      throw new Error(`${what}(${i + 1}).class = ${cls} is outside 1..${classNames.length}`);
    }
    paths.push(join(images, fname));
    labels.push(cls - 1);
  }
  const meta = { name: NAME, split, classNames: classNames.map(underscoreToSpace), templates: info.templates };
  return fileDataset(meta, paths, labels);
}

export const stanfordcars: MtilReader = {
  name: NAME,
  aliases: ['Cars', 'StanfordCars196', 'Stanford-Cars', 'Cars196'],
  key: 'stanfordcars',
  folders: ['stanford_cars'],
  load,
};
