/** Readers of the file-based MTIL layouts, on miniature copies of each layout. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ImageDataset } from '../../src/data/dataset.js';
import { aircraft } from '../../src/data/mtil/aircraft.js';
import { dtd } from '../../src/data/mtil/dtd.js';
import { flowers } from '../../src/data/mtil/flowers.js';
import { food } from '../../src/data/mtil/food.js';
import { oxfordpet } from '../../src/data/mtil/oxfordpet.js';
import { stanfordcars } from '../../src/data/mtil/stanfordcars.js';
import { sun397, sun397All, sun397ClassName } from '../../src/data/mtil/sun397.js';
import { isImage, tempRoot } from './helpers.js';
import {
  buildAircraft,
  buildDtd,
  buildFlowers,
  buildFood,
  buildOxfordPet,
  buildStanfordCars,
  buildSun397,
  type Expected,
} from './layouts.js';

let t: { root: string; done: () => void };
const built = new Map<string, Expected>();

before(async () => {
  t = tempRoot('mtil-files');
  built.set('Aircraft', await buildAircraft(t.root));
  built.set('DTD', await buildDtd(t.root));
  built.set('Food', await buildFood(t.root));
  built.set('OxfordPet', await buildOxfordPet(t.root));
  built.set('Flowers', await buildFlowers(t.root));
  built.set('StanfordCars', await buildStanfordCars(t.root));
});
after(() => t.done());

function examples(ds: ImageDataset): { files: string[]; labels: number[] } {
  const files: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < ds.length; i++) {
    const s = ds.source(i);
    assert.equal(s.kind, 'file');
    if (s.kind === 'file') files.push(s.path);
    labels.push(ds.label(i));
  }
  return { files, labels };
}

const cases = [
  { reader: aircraft, classes: 100, first: '707-320', templates: 2 },
  { reader: dtd, classes: 47, first: 'banded', templates: 8 },
  { reader: food, classes: 3, first: 'apple pie', templates: 1 },
  { reader: oxfordpet, classes: 37, first: 'Abyssinian', templates: 1 },
  { reader: flowers, classes: 102, first: 'pink primrose', templates: 1 },
  { reader: stanfordcars, classes: 3, first: 'AM General Hummer SUV 2000', templates: 9 },
];

for (const c of cases) {
  test(`${c.reader.name}: classes, labels, files and templates of both splits`, async () => {
    const exp = built.get(c.reader.name)!;
    for (const split of ['train', 'test'] as const) {
      const ds = c.reader.load(t.root, split);
      assert.equal(ds.name, c.reader.name);
      assert.equal(ds.split, split);
      assert.equal(ds.classNames.length, c.classes);
      assert.equal(ds.classNames[0], c.first);
      assert.equal(ds.templates.length, c.templates);
      assert.deepEqual(examples(ds), exp[split]);
      assert.ok(await isImage((ds.source(0) as { path: string }).path), 'the listed file is a real image');
      assert.throws(() => ds.label(ds.length), /out of range/);
    }
  });
}

test('Aircraft: without variants.txt the shipped names (protocol order) are used', () => {
  const ds = aircraft.load(t.root, 'train');
  rmSync(join(t.root, 'fgvc-aircraft-2013b', 'data', 'variants.txt'));
  const shipped = aircraft.load(t.root, 'train');
  assert.deepEqual(shipped.classNames, ds.classNames);
  assert.deepEqual(examples(shipped), examples(ds));
  assert.equal(shipped.classNames[73], 'F/A-18');
});

test('Food: class names are the sorted keys with _ -> space', () => {
  assert.deepEqual(food.load(t.root, 'test').classNames, ['apple pie', 'baby back ribs', 'waffles']);
});

test('StanfordCars: test annotations in the root; names from cars_meta.mat', () => {
  const ds = stanfordcars.load(t.root, 'test');
  assert.deepEqual(ds.classNames, ['AM General Hummer SUV 2000', 'Acura RL Sedan 2012', 'smart fortwo Convertible 2012']);
  assert.equal(ds.templates[0], 'a photo of a {c}, a type of car.');
});

test('SUN397: ClassName.txt names, images sorted by relative path, ZSCL split needs the full dataset', async () => {
  const s = tempRoot('sun');
  try {
    const exp = await buildSun397(s.root);
    const all = sun397All(s.root);
    assert.deepEqual(all.paths, exp.files);
    assert.deepEqual(all.labels, exp.labels);
    assert.deepEqual(all.classPaths, ['a/abbey', 'a/apartment_building/outdoor', 'b/bedroom', 'y/youth_hostel']);
    assert.deepEqual(all.classPaths.map(sun397ClassName), ['abbey', 'apartment building/outdoor', 'bedroom', 'youth hostel']);
    assert.throws(
      () => sun397.load(s.root, 'train'),
      (e: Error) => /SUN397: found 6 images under .*SUN397, but ZSCL's train\/test split .* of 108754/.test(e.message),
    );
  } finally {
    s.done();
  }
});
