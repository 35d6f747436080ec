/** CIFAR-100 / CIFAR-10 (python pickles and binary version) and MNIST (IDX): raw-pixel datasets. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ImageSource } from '../../src/data/dataset.js';
import { cifar10 } from '../../src/data/mtil/cifar10.js';
import { cifar100 } from '../../src/data/mtil/cifar100.js';
import { mtilInfo } from '../../src/data/mtil/info.js';
import { mnist } from '../../src/data/mtil/mnist.js';
import { copyFixture, fixture, tempRoot, writeFile } from './helpers.js';
import { buildMnist, copyCifar100Python } from './layouts.js';

let t: { root: string; done: () => void };
before(() => {
  t = tempRoot('mtil-arrays');
  copyCifar100Python(t.root);
  for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch', 'batches.meta']) {
    copyFixture(`cifar-10-batches-py/${f}`, t.root);
  }
  buildMnist(t.root);
});
after(() => t.done());

function raw(s: ImageSource) {
  assert.equal(s.kind, 'raw');
  return (s as Extract<ImageSource, { kind: 'raw' }>).image;
}

test('CIFAR100 python pickles (Python 2 protocol 2): labels, names, raw RGB pixels', () => {
  const e = JSON.parse(readFileSync(fixture('cifar-100-python', 'expect.json'), 'utf8'));
  for (const split of ['train', 'test'] as const) {
    const ds = cifar100.load(t.root, split);
    assert.equal(ds.name, 'CIFAR100');
    assert.deepEqual(Array.from({ length: ds.length }, (_, i) => ds.label(i)), e[split].fine_labels);
    assert.deepEqual(ds.classNames, mtilInfo('cifar100').classNames, "meta's fine_label_names with _ -> space match the protocol");
    const img = raw(ds.source(0));
    assert.deepEqual([img.width, img.height, img.channels, img.data.length], [32, 32, 3, 3072]);
    assert.deepEqual([...img.data.subarray(0, 3)], e[split].first_rgb, 'pixel (0,0) interleaved from the planes');
    assert.deepEqual([...img.data.subarray(3069)], e[split].last_rgb, 'pixel (31,31)');
    let s = 0;
    for (let i = 0; i < ds.length; i++) for (const v of raw(ds.source(i)).data) s += v;
    assert.equal(s, e[split].sum);
    assert.equal(ds.templates.length, 18);
  }
});

test('CIFAR100 binary version: <coarse><fine><3072 planar bytes> records', () => {
  const b = tempRoot('cifar-bin');
  try {
    const rec = (coarse: number, fine: number, seed: number) => {
      const r = new Uint8Array(3074);
      r[0] = coarse;
      r[1] = fine;
      for (let i = 0; i < 3072; i++) r[2 + i] = (i * seed) % 251;
      return r;
    };
    const recs = [rec(3, 99, 7), rec(19, 0, 11), rec(0, 42, 13)];
    const file = new Uint8Array(3 * 3074);
    recs.forEach((r, i) => file.set(r, i * 3074));
    writeFile(join(b.root, 'cifar-100-binary', 'train.bin'), file);
    writeFile(join(b.root, 'cifar-100-binary', 'test.bin'), recs[1]!);
    const ds = cifar100.load(b.root, 'train');
    assert.deepEqual([ds.label(0), ds.label(1), ds.label(2)], [99, 0, 42], 'the fine label is the second byte');
    assert.deepEqual(ds.classNames, mtilInfo('cifar100').classNames, 'no fine_label_names.txt: the shipped names');
    const img = raw(ds.source(2));
    // pixel p = (y, x): R at plane 0, G at plane 1, B at plane 2
    const p = 5 * 32 + 7;
    assert.deepEqual([...img.data.subarray(3 * p, 3 * p + 3)], [p, 1024 + p, 2048 + p].map((i) => (i * 13) % 251));
    assert.equal(cifar100.load(b.root, 'test').length, 1);
    writeFile(join(b.root, 'cifar-100-binary', 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `class_${i}`).join('\n'));
    assert.equal(cifar100.load(b.root, 'test').classNames[5], 'class 5');
    writeFile(join(b.root, 'cifar-100-binary', 'test.bin'), new Uint8Array(3075));
    assert.throws(() => cifar100.load(b.root, 'test'), /CIFAR100: .*test\.bin: size 3075 is not a multiple of the 3074-byte record/);
  } finally {
    b.done();
  }
});

test('CIFAR10 python batches (five training files) and binary version', () => {
  const e = JSON.parse(readFileSync(fixture('cifar-10-batches-py', 'expect.json'), 'utf8'));
  const train = cifar10.load(t.root, 'train');
  assert.equal(train.length, 5);
  assert.deepEqual(
    Array.from({ length: 5 }, (_, i) => train.label(i)),
    [1, 2, 3, 4, 5].map((k) => e[`data_batch_${k}`].label),
  );
  assert.deepEqual([...raw(train.source(3)).data.subarray(0, 3)], e.data_batch_4.first_rgb);
  const test10 = cifar10.load(t.root, 'test');
  assert.equal(test10.label(0), e.test_batch.label);
  assert.deepEqual(test10.classNames, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  const b = tempRoot('cifar10-bin');
  try {
    for (let k = 1; k <= 5; k++) {
      const r = new Uint8Array(3073);
      r[0] = k;
      writeFile(join(b.root, 'cifar-10-batches-bin', `data_batch_${k}.bin`), r);
    }
    writeFile(join(b.root, 'cifar-10-batches-bin', 'test_batch.bin'), new Uint8Array(3073 * 2));
    const ds = cifar10.load(b.root, 'train');
    assert.deepEqual(Array.from({ length: ds.length }, (_, i) => ds.label(i)), [1, 2, 3, 4, 5]);
    assert.equal(cifar10.load(b.root, 'test').length, 2);
  } finally {
    b.done();
  }
});

test('MNIST: IDX files, plain and gzip, raw 28x28 grayscale', () => {
  const tr = mnist.load(t.root, 'train');
  assert.deepEqual(Array.from({ length: tr.length }, (_, i) => tr.label(i)), [5, 0, 4, 1, 9]);
  const img = raw(tr.source(3));
  assert.deepEqual([img.width, img.height, img.channels], [28, 28, 1]);
  assert.equal(img.data[0], 3);
  assert.equal(img.data[783], 252);
  assert.equal(img.data.buffer.byteLength, 784, 'each source owns its pixels (cheap to post to a worker)');
  const te = mnist.load(t.root, 'test');
  assert.deepEqual(Array.from({ length: te.length }, (_, i) => te.label(i)), [7, 2, 1]);
  assert.equal(raw(te.source(2)).data[0], 2);
  assert.deepEqual(tr.classNames.slice(0, 2), ['0 - zero', '1 - one']);
  assert.deepEqual(tr.templates, ['a photo of the number: "{c}".']);
});
