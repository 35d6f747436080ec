/** Bad input: a missing folder, split file or class file fails with a message naming the dataset and the file. */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { aircraft } from '../../src/data/mtil/aircraft.js';
import { caltech101 } from '../../src/data/mtil/caltech101.js';
import { cifar100 } from '../../src/data/mtil/cifar100.js';
import { dtd } from '../../src/data/mtil/dtd.js';
import { eurosat } from '../../src/data/mtil/eurosat.js';
import { flowers } from '../../src/data/mtil/flowers.js';
import { food } from '../../src/data/mtil/food.js';
import { mnist } from '../../src/data/mtil/mnist.js';
import { oxfordpet } from '../../src/data/mtil/oxfordpet.js';
import { mtilInfo } from '../../src/data/mtil/info.js';
import { EXTRA_DATASETS, MTIL_DATASETS } from '../../src/data/mtil/registry.js';
import { stanfordcars } from '../../src/data/mtil/stanfordcars.js';
import { sun397 } from '../../src/data/mtil/sun397.js';
import { tempRoot, writeFile } from './helpers.js';
import { buildAircraft, buildDtd, buildFlowers, buildFood, buildMnist, buildOxfordPet, buildStanfordCars, buildSun397, copyCifar100Python } from './layouts.js';

/** Asserts that fn throws an error whose message matches every pattern. */
function fails(fn: () => unknown, ...patterns: (RegExp | string)[]): void {
  assert.throws(fn, (e: Error) => {
    for (const p of patterns) {
      const ok = typeof p === 'string' ? e.message.includes(p) : p.test(e.message);
      if (!ok) assert.fail(`message ${JSON.stringify(e.message)} lacks ${p}`);
    }
    return true;
  });
}

test('every reader on an empty data root names itself and the folder it looked for', () => {
  const t = tempRoot('empty');
  try {
    for (const r of [...MTIL_DATASETS, ...EXTRA_DATASETS]) {
      fails(() => r.load(t.root, 'train'), `${r.name}: missing`, t.root);
    }
  } finally {
    t.done();
  }
});

test('missing split files, class files and bad lines', async () => {
  const t = tempRoot('errors');
  const R = t.root;
  try {
    await buildAircraft(R);
    rmSync(join(R, 'fgvc-aircraft-2013b', 'data', 'images_variant_test.txt'));
    fails(() => aircraft.load(R, 'test'), 'Aircraft: missing split file', 'images_variant_test.txt');
    writeFile(join(R, 'fgvc-aircraft-2013b', 'data', 'images_variant_test.txt'), '0000001 707-320\n0000002 Concorde\n');
    fails(() => aircraft.load(R, 'test'), /Aircraft: .*images_variant_test\.txt:2: unknown variant "Concorde"/);
    writeFile(join(R, 'fgvc-aircraft-2013b', 'data', 'images_variant_test.txt'), '0000001\n');
    fails(() => aircraft.load(R, 'test'), /images_variant_test\.txt:1: expected "<image id> <variant>"/);

    await buildDtd(R);
    rmSync(join(R, 'dtd', 'dtd', 'labels', 'test1.txt'));
    fails(() => dtd.load(R, 'test'), 'DTD: missing split file', join('labels', 'test1.txt'));
    writeFile(join(R, 'dtd', 'dtd', 'labels', 'test1.txt'), 'plaid/plaid_1.jpg\n');
    fails(() => dtd.load(R, 'test'), /DTD: .*test1\.txt:1: unknown class "plaid"/);

    await buildFood(R);
    writeFile(join(R, 'food-101', 'meta', 'test.json'), '{"apple_pie": ');
    fails(() => food.load(R, 'test'), /Food: split file .*test\.json is not valid JSON/);
    writeFile(join(R, 'food-101', 'meta', 'test.json'), '{"pizza": ["pizza/1"]}');
    fails(() => food.load(R, 'test'), /Food: .*test\.json: class "pizza" is not in .*train\.json/);
    rmSync(join(R, 'food-101', 'meta', 'train.json'));
    fails(() => food.load(R, 'train'), 'Food: missing split file', 'train.json');

    await buildOxfordPet(R);
    writeFile(join(R, 'oxford-iiit-pet', 'annotations', 'test.txt'), 'Bengal_1 38 1 2\n');
    fails(() => oxfordpet.load(R, 'test'), /OxfordPet: .*test\.txt:1: expected "<image_id> <class 1\.\.37>/);

    await buildFlowers(R);
    rmSync(join(R, 'flowers-102', 'setid.mat'));
    fails(() => flowers.load(R, 'train'), 'Flowers: missing split file', 'setid.mat');
    rmSync(join(R, 'flowers-102', 'imagelabels.mat'));
    fails(() => flowers.load(R, 'train'), 'Flowers: missing label file', 'imagelabels.mat');

    await buildStanfordCars(R);
    rmSync(join(R, 'stanford_cars', 'cars_test_annos_withlabels.mat'));
    fails(() => stanfordcars.load(R, 'test'), 'StanfordCars: missing test annotation file', 'cars_test_annos_withlabels.mat');
    rmSync(join(R, 'stanford_cars', 'devkit', 'cars_meta.mat'));
    fails(() => stanfordcars.load(R, 'train'), 'StanfordCars: missing class list', join('devkit', 'cars_meta.mat'));

    await buildSun397(R);
    rmSync(join(R, 'SUN397', 'b', 'bedroom'), { recursive: true });
    fails(() => sun397.load(R, 'train'), 'SUN397: missing folder', join('SUN397', 'b', 'bedroom'));
    writeFile(join(R, 'SUN397', 'ClassName.txt'), '/a/abbey\nbedroom\n');
    fails(() => sun397.load(R, 'train'), /SUN397: .*ClassName\.txt:2: expected a class like "\/a\/abbey", got "bedroom"/);
    rmSync(join(R, 'SUN397', 'ClassName.txt'));
    fails(() => sun397.load(R, 'train'), 'SUN397: missing class list', 'ClassName.txt');

    copyCifar100Python(R);
    rmSync(join(R, 'cifar-100-python', 'meta'));
    fails(() => cifar100.load(R, 'train'), 'CIFAR100: missing class list', join('cifar-100-python', 'meta'));
    writeFile(join(R, 'cifar-100-python', 'meta'), 'not a pickle');
    fails(() => cifar100.load(R, 'train'), join('cifar-100-python', 'meta'), /opcode|pickle/);

    buildMnist(R);
    rmSync(join(R, 'MNIST', 'raw', 't10k-images-idx3-ubyte.gz'));
    fails(() => mnist.load(R, 'test'), 'MNIST: missing test images file', 't10k-images-idx3-ubyte');
  } finally {
    t.done();
  }
});

test('Caltech101 and EuroSAT: wrong class folders and gaps in the numbering', async () => {
  const t = tempRoot('folders');
  try {
    const cal = join(t.root, 'caltech101', '101_ObjectCategories');
    for (const f of ['Faces', 'BACKGROUND_Google', 'dinosaur']) mkdirSync(join(cal, f), { recursive: true });
    fails(() => caltech101.load(t.root, 'train'), /Caltech101: the class folders in .*101_ObjectCategories differ from the expected 101: missing 100 \(Faces_easy, Leopards/, 'unexpected 1 (dinosaur)');
    rmSync(join(cal, 'dinosaur'), { recursive: true });
    for (const f of mtilInfo('caltech101').folders!) writeFile(join(cal, f, 'image_0001.jpg'), 'x');
    writeFile(join(cal, 'ant', 'image_0003.jpg'), 'x');
    fails(() => caltech101.load(t.root, 'train'), 'Caltech101: missing', join('ant', 'image_0002.jpg'), 'numbered 1..2');
    rmSync(join(cal, 'ant', 'image_0003.jpg'));
    fails(() => caltech101.load(t.root, 'train'), /Caltech101: found 101 images under .*, but ZSCL's train\/test split .* of 8677/);
    const eu = join(t.root, 'eurosat', '2750');
    mkdirSync(join(eu, 'AnnualCrop'), { recursive: true });
    fails(() => eurosat.load(t.root, 'test'), /EuroSAT: the class folders .* missing 9 \(Forest, HerbaceousVegetation/);
  } finally {
    t.done();
  }
});
