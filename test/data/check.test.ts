import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkDatasets, formatDataCheck } from '../../src/data/check.js';
import { caltech101 } from '../../src/data/mtil/caltech101.js';
import { dtd } from '../../src/data/mtil/dtd.js';
import { food } from '../../src/data/mtil/food.js';
import { tempRoot } from './helpers.js';
import { buildCaltech101Full, buildDtd, buildFood } from './layouts.js';

test('data check of an empty root: every MTIL dataset is missing', () => {
  const t = tempRoot('check-empty');
  try {
    const r = checkDatasets(t.root);
    assert.equal(r.ok, false);
    assert.equal(r.datasets.length, 11);
    assert.ok(r.datasets.every((d) => d.status === 'missing'));
    const sun = r.datasets.find((d) => d.name === 'SUN397')!;
    assert.deepEqual(sun.problems, [`not found: ${join(t.root, 'SUN397')}`]);
    const cifar = r.datasets.find((d) => d.name === 'CIFAR100')!;
    assert.match(cifar.problems[0]!, /cifar-100-python or .*cifar-100-binary/);
    const text = formatDataCheck(r);
    assert.match(text, /missing {2}Aircraft/);
    assert.match(text, /0 of 11 datasets ready, 11 missing/);
    assert.equal(checkDatasets(t.root, { includeExtra: true }).datasets.length, 12);
  } finally {
    t.done();
  }
});

test('data check: a complete dataset is ok, short or broken ones are reported', async () => {
  const t = tempRoot('check');
  try {
    await buildCaltech101Full(t.root);
    await buildFood(t.root);
    const exp = await buildDtd(t.root);
    rmSync(exp.test.files[0]!);
    const r = checkDatasets(t.root, { readers: [caltech101, food, dtd] });
    const [cal, fd, tx] = r.datasets as [typeof r.datasets[0], typeof r.datasets[0], typeof r.datasets[0]];
    assert.equal(cal.status, 'ok');
    assert.deepEqual(cal.train, { expected: 6941, found: 6941 });
    assert.deepEqual(cal.classes, { expected: 101, found: 101 });
    assert.equal(cal.sampled, 6, 'first, middle and last image of both splits');
    assert.equal(fd.status, 'problem');
    assert.ok(fd.problems.includes('train: 4 images, the protocol has 75750'));
    assert.ok(fd.problems.includes('3 classes, the protocol has 101'));
    assert.equal(tx.status, 'problem');
    assert.ok(tx.problems.includes(`test: image file missing: ${exp.test.files[0]}`));
    assert.equal(r.ok, false);
    const text = formatDataCheck(r);
    assert.match(text, /ok {7}Caltech101 {2}train 6941 {2}test 1736 {2}classes 101/);
    assert.match(text, /problem {2}Food {8}train 4\/75750 {2}test 3\/25250 {2}classes 3\/101/);
    assert.match(text, /- test: image file missing: .*woven_0001\.jpg/);
    assert.match(text, /1 of 3 datasets ready, 2 with problems/);
  } finally {
    t.done();
  }
});

test('data check: an unreadable split is reported with the reader\'s message', async () => {
  const t = tempRoot('check-bad');
  try {
    await buildFood(t.root);
    rmSync(join(t.root, 'food-101', 'meta', 'test.json'));
    const [fd] = checkDatasets(t.root, { readers: [food] }).datasets;
    assert.equal(fd!.status, 'problem');
    assert.equal(fd!.test.found, null);
    assert.ok(fd!.problems.some((p) => p.startsWith('test: Food: missing split file') && p.endsWith('test.json')));
  } finally {
    t.done();
  }
});
