/**
 * CIFAR-100: cifar-100-python/{train,test,meta} (Python pickles; labels 'fine_labels'; names from meta
 * 'fine_label_names' with '_' -> space), or the binary version cifar-100-binary/{train,test}.bin with records
 * <coarse u8><fine u8><3072 bytes> and fine_label_names.txt. Images are raw 32x32 RGB.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pyDictGet, pyText, readPickleFile } from '../formats/pickle.js';
import { cifarDataset, readBinaryBatch, readNamesFile, readPythonBatch } from './cifar-data.js';
import { requireFile } from './fs.js';
import { mtilInfo, underscoreToSpace } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'CIFAR100';

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('cifar100');
  const py = join(root, 'cifar-100-python');
  const bin = join(root, 'cifar-100-binary');
  let names: string[];
  let batch;
  if (existsSync(py)) {
    const metaFile = join(py, 'meta');
    requireFile(NAME, metaFile, 'class list');
    const list = pyDictGet(readPickleFile(metaFile), 'fine_label_names', metaFile);
    if (!Array.isArray(list)) throw new Error(`${NAME}: ${metaFile}: 'fine_label_names' is not a list`);
    names = list.map((x, i) => pyText(x, `${metaFile}: fine_label_names[${i}]`));
    batch = readPythonBatch(NAME, join(py, split), 'fine_labels');
  } else if (existsSync(bin)) {
    names = readNamesFile(join(bin, 'fine_label_names.txt')) ?? info.classNames!;
    batch = readBinaryBatch(NAME, join(bin, `${split}.bin`), 2, 1);
  } else {
    throw new Error(`${NAME}: missing folder ${py} (or the binary version ${bin})`);
  }
  const meta = { name: NAME, split, classNames: names.map(underscoreToSpace), templates: info.templates };
  return cifarDataset(meta, batch);
}

export const cifar100: MtilReader = {
  name: NAME,
  aliases: ['CIFAR-100', 'cifar_100'],
  key: 'cifar100',
  folders: ['cifar-100-python', 'cifar-100-binary'],
  load,
};
