/**
 * Miniature copies of the MTIL on-disk layouts (torchvision's), written into a data root with real tiny JPEGs,
 * the committed .mat / pickle fixtures and IDX files made here. Each builder returns what a reader should find.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeIdx } from '../../src/data/formats/idx.js';
import { mtilInfo } from '../../src/data/mtil/info.js';
import { copyFixture, writeFile, writeJpegs } from './helpers.js';

export interface Expected {
  train: { files: string[]; labels: number[] };
  test: { files: string[]; labels: number[] };
}

export async function buildAircraft(root: string, withVariants = true): Promise<Expected> {
  const dir = join(root, 'fgvc-aircraft-2013b', 'data');
  if (withVariants) writeFile(join(dir, 'variants.txt'), mtilInfo('aircraft').classNames!.join('\n') + '\n');
  writeFile(join(dir, 'images_variant_train.txt'), '1025794 707-320\n0034309 F/A-18\n2233434 Boeing 717\n');
  writeFile(join(dir, 'images_variant_test.txt'), '0062765 Yak-42\r\n1514522 BAE 146-200\r\n');
  const exp: Expected = {
    train: { files: ['1025794', '0034309', '2233434'].map((id) => join(dir, 'images', `${id}.jpg`)), labels: [0, 73, 41] },
    test: { files: ['0062765', '1514522'].map((id) => join(dir, 'images', `${id}.jpg`)), labels: [99, 37] },
  };
  await writeJpegs([...exp.train.files, ...exp.test.files]);
  return exp;
}

export async function buildDtd(root: string): Promise<Expected> {
  const base = join(root, 'dtd', 'dtd');
  writeFile(join(base, 'labels', 'train1.txt'), 'banded/banded_0002.jpg\nzigzagged/zigzagged_0003.jpg\npolka-dotted/polka-dotted_0121.jpg\n');
  writeFile(join(base, 'labels', 'test1.txt'), 'woven/woven_0001.jpg\n');
  writeFile(join(base, 'labels', 'val1.txt'), 'banded/banded_0009.jpg\n');
  const img = (c: string, f: string) => join(base, 'images', c, f);
  const exp: Expected = {
    train: {
      files: [img('banded', 'banded_0002.jpg'), img('zigzagged', 'zigzagged_0003.jpg'), img('polka-dotted', 'polka-dotted_0121.jpg')],
      labels: [0, 46, 30],
    },
    test: { files: [img('woven', 'woven_0001.jpg')], labels: [44] },
  };
  await writeJpegs([...exp.train.files, ...exp.test.files, img('banded', 'banded_0009.jpg')]);
  return exp;
}

export async function buildFood(root: string): Promise<Expected> {
  const base = join(root, 'food-101');
  // JSON key order differs from the sorted class order: labels follow the sorted keys, examples the JSON order.
  const train = { waffles: ['waffles/1001', 'waffles/1002'], apple_pie: ['apple_pie/1005649'], baby_back_ribs: ['baby_back_ribs/7'] };
  const test = { apple_pie: ['apple_pie/2'], waffles: ['waffles/9'], baby_back_ribs: ['baby_back_ribs/8'] };
  writeFile(join(base, 'meta', 'train.json'), JSON.stringify(train));
  writeFile(join(base, 'meta', 'test.json'), JSON.stringify(test));
  const img = (rel: string) => join(base, 'images', ...`${rel}.jpg`.split('/'));
  const exp: Expected = {
    train: { files: ['waffles/1001', 'waffles/1002', 'apple_pie/1005649', 'baby_back_ribs/7'].map(img), labels: [2, 2, 0, 1] },
    test: { files: ['apple_pie/2', 'waffles/9', 'baby_back_ribs/8'].map(img), labels: [0, 2, 1] },
  };
  await writeJpegs([...exp.train.files, ...exp.test.files]);
  return exp;
}

export async function buildOxfordPet(root: string): Promise<Expected> {
  const base = join(root, 'oxford-iiit-pet');
  writeFile(join(base, 'annotations', 'trainval.txt'), 'Abyssinian_100 1 1 1\namerican_bulldog_100 2 2 1\nyorkshire_terrier_99 37 2 25\n');
  writeFile(join(base, 'annotations', 'test.txt'), 'Bengal_1 6 1 2\n');
  const img = (id: string) => join(base, 'images', `${id}.jpg`);
  const exp: Expected = {
    train: { files: ['Abyssinian_100', 'american_bulldog_100', 'yorkshire_terrier_99'].map(img), labels: [0, 1, 36] },
    test: { files: [img('Bengal_1')], labels: [5] },
  };
  await writeJpegs([...exp.train.files, ...exp.test.files]);
  return exp;
}

export async function buildFlowers(root: string): Promise<Expected> {
  copyFixture('flowers-102/imagelabels.mat', root);
  copyFixture('flowers-102/setid.mat', root);
  const img = (id: number) => join(root, 'flowers-102', 'jpg', `image_${String(id).padStart(5, '0')}.jpg`);
  // labels.mat: [1,1,2,2,3,3,77,77,102,102,5,5]; trnid [1,3,5,7,9]; tstid [6,8,10,12]
  const exp: Expected = {
    train: { files: [1, 3, 5, 7, 9].map(img), labels: [0, 1, 2, 76, 101] },
    test: { files: [6, 8, 10, 12].map(img), labels: [2, 76, 101, 4] },
  };
  await writeJpegs(Array.from({ length: 12 }, (_, i) => img(i + 1)));
  return exp;
}

export async function buildStanfordCars(root: string): Promise<Expected> {
  copyFixture('stanford_cars/devkit/cars_meta.mat', root);
  copyFixture('stanford_cars/devkit/cars_train_annos.mat', root);
  copyFixture('stanford_cars/cars_test_annos_withlabels.mat', root);
  const base = join(root, 'stanford_cars');
  const exp: Expected = {
    train: { files: ['00001', '00002', '00003', '00004'].map((f) => join(base, 'cars_train', `${f}.jpg`)), labels: [0, 2, 1, 2] },
    test: { files: ['00001', '00002', '00003'].map((f) => join(base, 'cars_test', `${f}.jpg`)), labels: [1, 0, 2] },
  };
  await writeJpegs([...exp.train.files, ...exp.test.files]);
  return exp;
}

/** A miniature SUN397 (4 classes): the file order and labels, not the split (that needs all 108,754 images). */
export async function buildSun397(root: string): Promise<{ files: string[]; labels: number[] }> {
  const base = join(root, 'SUN397');
  writeFile(join(base, 'ClassName.txt'), '/a/abbey\n/a/apartment_building/outdoor\n/b/bedroom\n/y/youth_hostel\n');
  const files = [
    ['a/abbey/sun_aaa.jpg', 0],
    ['a/abbey/sun_b.jpg', 0],
    ['a/apartment_building/outdoor/sun_a.jpg', 1],
    ['b/bedroom/sun_Z.jpg', 2],
    ['b/bedroom/sun_a.jpg', 2],
    ['y/youth_hostel/sun_x.jpg', 3],
  ] as const;
  await writeJpegs(files.map(([f]) => join(base, ...f.split('/'))));
  writeFile(join(base, 'a', 'abbey', 'notes.txt'), 'not an image');
  return { files: files.map(([f]) => join(base, ...f.split('/'))), labels: files.map(([, l]) => l) };
}

/** MNIST IDX files: 5 train (plain) and 3 test (gzip'd) images whose first pixel is the index. */
export function buildMnist(root: string): { train: number[]; test: number[] } {
  const raw = join(root, 'MNIST', 'raw');
  const make = (n: number, labels: number[], prefix: string, gz: boolean) => {
    const px = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++) {
      px[i * 784] = i;
      px[i * 784 + 783] = 255 - i;
    }
    const images = writeIdx({ dtype: 'uint8', dims: [n, 28, 28], data: px });
    const lab = writeIdx({ dtype: 'uint8', dims: [n], data: Uint8Array.from(labels) });
    writeFile(join(raw, `${prefix}-images-idx3-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(images) : images);
    writeFile(join(raw, `${prefix}-labels-idx1-ubyte${gz ? '.gz' : ''}`), gz ? gzipSync(lab) : lab);
  };
  const train = [5, 0, 4, 1, 9];
  const test = [7, 2, 1];
  make(5, train, 'train', false);
  make(3, test, 't10k', true);
  return { train, test };
}

export function copyCifar100Python(root: string): void {
  for (const f of ['train', 'test', 'meta']) copyFixture(`cifar-100-python/${f}`, root);
}

/** Writes a full-size Caltech101 layout (8,677 tiny JPEGs, counts per folder as in the real dataset). */
export async function buildCaltech101Full(root: string): Promise<void> {
  const info = mtilInfo('caltech101');
  const dir = join(root, 'caltech101', '101_ObjectCategories');
  const paths: string[] = [];
  info.folders!.forEach((f, i) => {
    for (let k = 1; k <= info.imagesPerFolder![i]!; k++) paths.push(join(dir, f, `image_${String(k).padStart(4, '0')}.jpg`));
  });
  paths.push(join(dir, 'BACKGROUND_Google', 'image_0001.jpg'));
  await writeJpegs(paths);
}

/** Writes a full-size EuroSAT layout (27,000 tiny JPEGs named <Class>_<k>.jpg). */
export async function buildEurosatFull(root: string): Promise<void> {
  const info = mtilInfo('eurosat');
  const dir = join(root, 'eurosat', '2750');
  const paths: string[] = [];
  info.folders!.forEach((f, i) => {
    for (let k = 1; k <= info.imagesPerFolder![i]!; k++) paths.push(join(dir, f, `${f}_${k}.jpg`));
  });
  await writeJpegs(paths);
}
