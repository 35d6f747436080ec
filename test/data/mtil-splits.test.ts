/**
 * ZSCL's random splits (Caltech101, EuroSAT, SUN397): the shipped permutations are checked against an independent
 * TypeScript copy of PyTorch's CPU generator (mt19937 seeded 42) and randperm, against the sha256 recorded by
 * scripts/make-splits.py, and applied end to end to full-size Caltech101 and EuroSAT layouts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { after, before, test } from 'node:test';
import { caltech101, caltech101All } from '../../src/data/mtil/caltech101.js';
import { eurosat, eurosatAll } from '../../src/data/mtil/eurosat.js';
import { mtilInfo } from '../../src/data/mtil/info.js';
import { indexListSha256, loadZsclSplit, zsclSplitIndices } from '../../src/data/mtil/splits.js';
import { tempRoot } from './helpers.js';
import { buildCaltech101Full, buildEurosatFull } from './layouts.js';

/** torch.randperm(n, generator=torch.Generator().manual_seed(seed)) on the CPU (mt19937, Fisher-Yates). */
function torchRandperm(n: number, seed: number): Uint32Array {
  const mt = new Uint32Array(624);
  mt[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) mt[i] = (Math.imul(1812433253, mt[i - 1]! ^ (mt[i - 1]! >>> 30)) + i) >>> 0;
  let idx = 624;
  const next = (): number => {
    if (idx >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      idx = 0;
    }
    let y = mt[idx++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
  const r = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n - 1; i++) {
    const z = next() % (n - i);
    const t = r[i]!;
    r[i] = r[z + i]!;
    r[z + i] = t;
  }
  return r;
}

const SIZES = { caltech101: [8677, 6941, 1736], eurosat: [27000, 21600, 5400], sun397: [108754, 87003, 21751] } as const;

test('torchRandperm reproduces values printed by PyTorch', () => {
  // /usr/bin/python3 -c "import torch; print(torch.randperm(10, generator=torch.Generator().manual_seed(42)).tolist())"
  assert.deepEqual([...torchRandperm(10, 42)], [2, 6, 1, 8, 4, 5, 0, 9, 3, 7]);
});

for (const [key, [n, nTrain, nTest]] of Object.entries(SIZES)) {
  test(`shipped split ${key}: sizes, checksums and the permutation itself`, () => {
    const s = loadZsclSplit(key);
    assert.equal(s.meta.n, n);
    assert.equal(s.train.length, nTrain);
    assert.equal(s.test.length, nTest);
    assert.equal(nTrain, Math.floor(0.8 * n), 'n_train = floor(0.8 N)');
    assert.equal(createHash('sha256').update(Array.from(s.train).join(',')).digest('hex'), s.meta.sha256.train);
    assert.equal(createHash('sha256').update(Array.from(s.test).join(',')).digest('hex'), s.meta.sha256.test);
    assert.equal(indexListSha256(s.train), s.meta.sha256.train);
    const perm = torchRandperm(n, 42);
    assert.deepEqual(s.train, perm.subarray(0, nTrain));
    assert.deepEqual(s.test, perm.subarray(nTrain));
    assert.equal(s.meta.matchesZSCL, key !== 'sun397');
  });
}

test('a copy with a different image count is refused with a clear message', () => {
  assert.throws(
    () => zsclSplitIndices('eurosat', 'EuroSAT', '/data/eurosat/2750', 26999, 'train'),
    /EuroSAT: found 26999 images under \/data\/eurosat\/2750, but ZSCL's train\/test split \(assets\/splits\/eurosat\.json\) is for the complete dataset of 27000/,
  );
});

let t: { root: string; done: () => void };
before(async () => {
  t = tempRoot('splits');
  await buildCaltech101Full(t.root);
  await buildEurosatFull(t.root);
});
after(() => t.done());

test('Caltech101 (full size): dataset order, excluded background, ZSCL split applied', () => {
  const info = mtilInfo('caltech101');
  const all = caltech101All(t.root);
  assert.equal(all.paths.length, 8677);
  assert.ok(!all.paths.some((p) => p.includes('BACKGROUND_Google')));
  assert.ok(all.paths[0]!.endsWith('/Faces/image_0001.jpg'));
  assert.ok(all.paths[435]!.endsWith('/Faces_easy/image_0001.jpg'));
  assert.ok(all.paths[8676]!.endsWith('/yin_yang/image_0060.jpg'));
  // label of dataset index i, from the per-folder counts
  const labelOf = (i: number) => {
    let acc = 0;
    for (let k = 0; k < info.imagesPerFolder!.length; k++) {
      acc += info.imagesPerFolder![k]!;
      if (i < acc) return k;
    }
    throw new Error('out of range');
  };
  const train = caltech101.load(t.root, 'train');
  const test2 = caltech101.load(t.root, 'test');
  assert.equal(train.length, 6941);
  assert.equal(test2.length, 1736);
  assert.equal(train.classNames.length, 101);
  assert.equal(train.classNames[29], 'head of a  crocodile');
  const split = loadZsclSplit('caltech101');
  for (const [ds, idx] of [[train, split.train], [test2, split.test]] as const) {
    for (const j of [0, 1, 100, ds.length - 1]) {
      assert.equal(ds.label(j), labelOf(idx[j]!));
      assert.deepEqual(ds.source(j), { kind: 'file', path: all.paths[idx[j]!] });
    }
  }
  // head of the split printed by make-splits.py: train starts with dataset index 8512
  assert.equal(split.train[0], 8512);
  assert.equal(train.label(0), labelOf(8512));
  // wild_cat holds dataset indices 8488..8521 (the last four folders have 34, 56, 39, 60 images)
  assert.equal(train.classNames[train.label(0)], 'wild cat');
});

test('EuroSAT (full size): sorted folders, files in code-point order, ZSCL split applied', () => {
  const all = eurosatAll(t.root);
  assert.equal(all.paths.length, 27000);
  assert.deepEqual(all.paths.slice(0, 5).map((p) => basename(p)), [
    'AnnualCrop_1.jpg',
    'AnnualCrop_10.jpg',
    'AnnualCrop_100.jpg',
    'AnnualCrop_1000.jpg',
    'AnnualCrop_1001.jpg',
  ]);
  assert.equal(basename(all.paths[3000]!), 'Forest_1.jpg');
  const train = eurosat.load(t.root, 'train');
  const test2 = eurosat.load(t.root, 'test');
  assert.equal(train.length, 21600);
  assert.equal(test2.length, 5400);
  // train[0] is dataset index 4542: the 1543rd Forest file in code-point order
  const forest = Array.from({ length: 3000 }, (_, k) => `Forest_${k + 1}.jpg`).sort();
  assert.equal(basename((train.source(0) as { path: string }).path), forest[1542]);
  assert.equal(train.label(0), 1);
  assert.equal(train.classNames[1], 'forest');
  const counts = new Array(10).fill(0);
  for (let i = 0; i < test2.length; i++) counts[test2.label(i)]++;
  assert.equal(counts.reduce((a, b) => a + b, 0), 5400);
  assert.ok(counts.every((c) => c > 300), 'every class is in the test split');
});
