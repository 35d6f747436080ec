/**
 * CIFAR-10 (evaluated sometimes, never in the MTIL metrics): cifar-10-batches-py/{data_batch_1..5,test_batch,
 * batches.meta} (labels 'labels', names 'label_names'), or cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin
 * with records <label u8><3072 bytes> and batches.meta.txt.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pyDictGet, pyText, readPickleFile } from '../formats/pickle.js';
import { cifarDataset, concatBatches, readBinaryBatch, readNamesFile, readPythonBatch } from './cifar-data.js';
import { mtilInfo, underscoreToSpace } from './info.js';
import { checkSplit, type MtilReader, type MtilSplit } from './reader.js';

const NAME = 'CIFAR10';
const TRAIN = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'];

function load(root: string, split: MtilSplit) {
  checkSplit(NAME, split);
  const info = mtilInfo('cifar10');
  const py = join(root, 'cifar-10-batches-py');
  const bin = join(root, 'cifar-10-batches-bin');
  const files = split === 'train' ? TRAIN : ['test_batch'];
  let names: string[];
  let batch;
  if (existsSync(py)) {
    const metaFile = join(py, 'batches.meta');
    if (existsSync(metaFile)) {
      const list = pyDictGet(readPickleFile(metaFile), 'label_names', metaFile);
      if (!Array.isArray(list)) throw new Error(`${NAME}: ${metaFile}: 'label_names' is not a list`);
      names = list.map((x, i) => pyText(x, `${metaFile}: label_names[${i}]`));
    } else {
      names = info.classNames!;
    }
    batch = concatBatches(files.map((f) => readPythonBatch(NAME, join(py, f), 'labels')));
  } else if (existsSync(bin)) {
    names = readNamesFile(join(bin, 'batches.meta.txt')) ?? info.classNames!;
    batch = concatBatches(files.map((f) => readBinaryBatch(NAME, join(bin, `${f}.bin`), 1, 0)));
  } else {
    throw new Error(`${NAME}: missing folder ${py} (or the binary version ${bin})`);
  }
  const meta = { name: NAME, split, classNames: names.map(underscoreToSpace), templates: info.templates };
  return cifarDataset(meta, batch);
}

export const cifar10: MtilReader = {
  name: NAME,
  aliases: ['CIFAR-10', 'cifar_10'],
  key: 'cifar10',
  folders: ['cifar-10-batches-py', 'cifar-10-batches-bin'],
  load,
};
