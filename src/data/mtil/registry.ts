/**
 * The MTIL datasets by name: canonical names, aliases ("Cars", "Food101", ...) and the two task orders.
 */
import type { ImageDataset } from '../dataset.js';
import { aircraft } from './aircraft.js';
import { caltech101 } from './caltech101.js';
import { cifar10 } from './cifar10.js';
import { cifar100 } from './cifar100.js';
import { dtd } from './dtd.js';
import { eurosat } from './eurosat.js';
import { flowers } from './flowers.js';
import { food } from './food.js';
import { mnist } from './mnist.js';
import { oxfordpet } from './oxfordpet.js';
import type { MtilReader, MtilSplit } from './reader.js';
import { stanfordcars } from './stanfordcars.js';
import { sun397 } from './sun397.js';

/** The 11 MTIL datasets, in Order I (alphabetical). */
export const MTIL_DATASETS: readonly MtilReader[] = [
  aircraft,
  caltech101,
  cifar100,
  dtd,
  eurosat,
  flowers,
  food,
  mnist,
  oxfordpet,
  stanfordcars,
  sun397,
];

/** Readers outside the benchmark's metrics (CIFAR10 is sometimes evaluated too). */
export const EXTRA_DATASETS: readonly MtilReader[] = [cifar10];

export const MTIL_ORDER_I: readonly string[] = MTIL_DATASETS.map((r) => r.name);
export const MTIL_ORDER_II: readonly string[] = [
  'StanfordCars',
  'Food',
  'MNIST',
  'OxfordPet',
  'Flowers',
  'SUN397',
  'Aircraft',
  'Caltech101',
  'DTD',
  'EuroSAT',
  'CIFAR100',
];

/** Lower case without spaces, '-' and '_': "Stanford-Cars" and "stanford cars" both become "stanfordcars". */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

const byName = new Map<string, MtilReader>();
for (const r of [...MTIL_DATASETS, ...EXTRA_DATASETS]) {
  for (const n of [r.name, r.key, ...r.aliases]) {
    const k = normalise(n);
    const other = byName.get(k);
    if (other && other !== r) throw new Error(`MTIL registry: name "${n}" is used by ${other.name} and ${r.name}`);
    byName.set(k, r);
  }
}

/** The reader for a dataset name or alias; an unknown name is an error listing the known ones. */
export function mtilReader(name: string): MtilReader {
  const r = byName.get(normalise(name));
  if (!r) {
    const known = [...MTIL_DATASETS, ...EXTRA_DATASETS].map((x) => (x.aliases.length ? `${x.name} (${x.aliases.join(', ')})` : x.name));
    throw new Error(`unknown MTIL dataset "${name}"; known datasets: ${known.join('; ')}`);
  }
  return r;
}

/** Loads one split of a dataset by name from the data root. */
export function loadMtilDataset(name: string, root: string, split: MtilSplit): ImageDataset {
  return mtilReader(name).load(root, split);
}
