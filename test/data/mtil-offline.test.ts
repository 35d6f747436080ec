import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { assetPath } from '../../src/assets.js';
import { clipArtAvailable, CLIPART_DIR, listClipArt } from '../../src/data/offline/clipart.js';
import { FASHION_MNIST_DIR } from '../../src/data/offline/fashion-mnist.js';
import {
  computeMtilOfflineSplits,
  idListSha256,
  loadMtilOfflineSplits,
  MTIL_OFFLINE_ORDERS,
  MTIL_OFFLINE_SIZES,
  MTIL_OFFLINE_TASKS,
  MTIL_OFFLINE_TEMPLATES,
  mtilOfflineTasks,
  type MtilOfflineTaskName,
} from '../../src/data/mtil-offline.js';
import { indexListSha256 } from '../../src/data/mtil/splits.js';
import { isHeldOutClipArt } from '../../src/data/synth/holdout.js';

const haveFashion = existsSync(FASHION_MNIST_DIR);
const haveClipArt = clipArtAvailable();
const debianMissing = [
  haveFashion ? '' : 'dataset-fashion-mnist (apt-get install dataset-fashion-mnist)',
  haveClipArt ? '' : 'openclipart-svg (apt-get install openclipart-svg)',
].filter((s) => s);
const allSources = debianMissing.length ? `not installed: ${debianMissing.join(', ')}` : false;

/**
 * sha256 of every shipped list, pinned here: changing a split (or the asset) must be a deliberate edit of this test.
 * Format: task/split -> first 16 hex digits.
 */
const PINNED: Record<string, string> = {
  'MNIST/train': 'ee25d23faf16a4f5',
  'MNIST/val': '9c4c282ddf4c6967',
  'MNIST/test': '0a574c085589916d',
  'FashionMNIST/train': 'eaae1deed0c2665d',
  'FashionMNIST/val': '6c7e2b7438829529',
  'FashionMNIST/test': '5ddeab621fcd9b46',
  'QuickDraw-1/train': '797c2bfc8d09678a',
  'QuickDraw-1/val': '77dd62b40467e899',
  'QuickDraw-1/test': '5691425facbd4d7f',
  'QuickDraw-2/train': 'fba4c233a1f60160',
  'QuickDraw-2/val': 'b7fdf88761219a7b',
  'QuickDraw-2/test': '5691425facbd4d7f',
  'QuickDraw-3/train': '41df8f1ea261add6',
  'QuickDraw-3/val': '6a829a55fd207e97',
  'QuickDraw-3/test': '5691425facbd4d7f',
  'Twemoji/train': '18fb8fb2bbee8fb6',
  'Twemoji/val': '4efd51198fcecb66',
  'Twemoji/test': '25f3fe213e847bd0',
  'ClipArt/train': '5c0d596e140e930b',
  'ClipArt/val': '59e3956516c6fe01',
  'ClipArt/test': 'ce33540ba526bae6',
};

test('the shipped splits load, match their checksums and the pinned ones, and have the documented sizes', () => {
  const a = loadMtilOfflineSplits();
  assert.deepEqual(Object.keys(a.tasks).sort(), [...MTIL_OFFLINE_TASKS].sort());
  const { train, val, test: nTest } = MTIL_OFFLINE_SIZES.idxPerClass;
  for (const name of MTIL_OFFLINE_TASKS) {
    const t = a.tasks[name];
    for (const split of ['train', 'val', 'test'] as const) {
      const s = t[split];
      const sha = s.indices ? indexListSha256(s.indices) : idListSha256(s.ids!, s.labels!);
      assert.equal(sha, s.sha256, `${name}/${split}`);
      assert.equal(sha.slice(0, 16), PINNED[`${name}/${split}`], `${name}/${split} is the pinned list`);
    }
    const k = t.classNames.length;
    if (name === 'MNIST' || name === 'FashionMNIST') {
      assert.deepEqual([t.train.count, t.val.count, t.test.count], [train * k, val * k, nTest * k], name);
    } else if (name.startsWith('QuickDraw')) {
      assert.deepEqual([t.train.count, t.val.count, t.test.count], [640, 160, 200], name);
    } else {
      assert.ok(t.train.count <= 2000 && t.val.count <= 500 && t.test.count <= 1000, name);
      assert.ok(t.test.count >= 250 && t.val.count >= 100 && t.train.count >= 400, `${name}: ${t.train.count}/${t.val.count}/${t.test.count}`);
      for (const split of ['train', 'val', 'test'] as const) {
        for (let c = 0; c < k; c++) assert.ok(t[split].labels!.includes(c), `${name}/${split} has class ${t.classNames[c]}`);
      }
    }
    assert.ok(MTIL_OFFLINE_TEMPLATES[name].length >= 2 && MTIL_OFFLINE_TEMPLATES[name].length <= 4, `${name}: 2-4 templates`);
    assert.ok(MTIL_OFFLINE_TEMPLATES[name].every((tp) => tp.includes('{c}')));
  }
});

test('splits are disjoint: val never overlaps train, test comes from elsewhere or other items', () => {
  const a = loadMtilOfflineSplits();
  for (const name of MTIL_OFFLINE_TASKS) {
    const t = a.tasks[name];
    const key = (s: (typeof t)['train']) => (s.indices ? s.indices.map((i) => `${s.from}:${i}`) : s.ids!);
    const [tr, va, te] = [key(t.train), key(t.val), key(t.test)].map((l) => new Set(l));
    assert.equal(tr!.size + va!.size + te!.size, t.train.count + t.val.count + t.test.count, `${name}: no repeats`);
    for (const x of va!) assert.ok(!tr!.has(x) && !te!.has(x), `${name}: ${x} in val and another split`);
    for (const x of te!) assert.ok(!tr!.has(x), `${name}: ${x} in train and test`);
    if (t.test.from) assert.equal(t.test.from, 'test', `${name}: test comes from the source's test split`);
  }
  // Variants of one picture stay in one split (Twemoji: "man cook" / "woman cook"; clip art: numbered files).
  const tw = a.tasks.Twemoji;
  assert.ok(!(tw.train.ids!.includes('1f468-200d-1f373') && tw.test.ids!.includes('1f469-200d-1f373')));
});

test('the splits are reproducible: recomputing them from the sources gives the shipped lists', { skip: allSources }, () => {
  const shipped = loadMtilOfflineSplits();
  const again = computeMtilOfflineSplits();
  for (const name of MTIL_OFFLINE_TASKS) {
    for (const split of ['train', 'val', 'test'] as const) {
      assert.equal(again.tasks[name][split].sha256, shipped.tasks[name][split].sha256, `${name}/${split}`);
    }
  }
});

test('every ClipArt task drawing is in a held-out category (so the corpus never sees it)', { skip: haveClipArt ? false : `openclipart-svg not installed (${CLIPART_DIR})` }, () => {
  const byRel = new Map(listClipArt().map((i) => [i.rel, i]));
  const t = loadMtilOfflineSplits().tasks.ClipArt;
  for (const split of [t.train, t.val, t.test]) {
    for (const id of split.ids!) {
      const item = byRel.get(id);
      assert.ok(item, `${id} exists`);
      assert.ok(isHeldOutClipArt(item), `${id} is held out`);
    }
  }
});

test('orders I and II hold every task once', () => {
  for (const order of ['I', 'II'] as const) {
    assert.deepEqual([...MTIL_OFFLINE_ORDERS[order]].sort(), [...MTIL_OFFLINE_TASKS].sort(), order);
  }
  assert.notDeepEqual(MTIL_OFFLINE_ORDERS.I, MTIL_OFFLINE_ORDERS.II);
  assert.throws(() => mtilOfflineTasks('III' as 'I'), /unknown order "III"/);
  assert.throws(() => mtilOfflineTasks('I', { exclude: ['CIFAR' as MtilOfflineTaskName] }), /unknown task "CIFAR"/);
});

test('mtilOfflineTasks: datasets with the split sizes, labels and images', { skip: allSources }, () => {
  const tasks = mtilOfflineTasks('II', { size: 32 });
  assert.deepEqual(tasks.map((t) => t.name), [...MTIL_OFFLINE_ORDERS.II]);
  const asset = loadMtilOfflineSplits();
  for (const t of tasks) {
    const a = asset.tasks[t.name];
    assert.deepEqual([t.train.length, t.val.length, t.test.length], [a.train.count, a.val.count, a.test.count], t.name);
    assert.deepEqual([t.train.split, t.val.split, t.test.split], ['train', 'val', 'test']);
    assert.equal(t.templates[0], MTIL_OFFLINE_TEMPLATES[t.name][0]);
    assert.ok(t.licence.length > 0);
    for (const ds of [t.train, t.val, t.test]) {
      assert.equal(ds.name, t.name);
      assert.deepEqual(ds.classNames, t.classNames);
      const counts = new Array<number>(t.classNames.length).fill(0);
      for (let i = 0; i < ds.length; i++) counts[ds.label(i)]!++;
      assert.ok(counts.every((c) => c > 0), `${t.name}/${ds.split}: every class present`);
      for (const i of [0, ds.length - 1]) {
        const src = ds.source(i);
        assert.equal(src.kind, 'raw');
        if (src.kind !== 'raw') continue;
        const side = t.name === 'Twemoji' || t.name === 'ClipArt' ? 32 : 28;
        assert.deepEqual([src.image.width, src.image.height], [side, side], t.name);
        const v = src.image.data;
        assert.ok(Math.max(...v) - Math.min(...v) > 50, `${t.name}: image ${i} is not blank`);
      }
      assert.throws(() => ds.label(ds.length), /out of range/);
    }
  }
  // Labels follow the shipped lists for the rendered tasks.
  const tw = tasks.find((t) => t.name === 'Twemoji')!;
  assert.deepEqual(Array.from({ length: tw.test.length }, (_, i) => tw.test.label(i)), asset.tasks.Twemoji.test.labels);
  // MNIST test labels are those of the t10k file at the listed indices (spot check against the class balance).
  const mnist = tasks.find((t) => t.name === 'MNIST')!;
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < mnist.test.length; i++) counts[mnist.test.label(i)]!++;
  assert.deepEqual(counts, new Array(10).fill(100));
});

test('an absent Debian source is skipped with a reason, or refused with the install command', () => {
  const reasons: string[] = [];
  const tasks = mtilOfflineTasks('I', {
    fashionMnistDir: '/nonexistent/fashion-mnist',
    clipArtDir: '/nonexistent/openclipart',
    missing: 'skip',
    onSkip: (name, why) => reasons.push(`${name}: ${why}`),
  });
  assert.deepEqual(tasks.map((t) => t.name), ['MNIST', 'QuickDraw-1', 'QuickDraw-2', 'QuickDraw-3', 'Twemoji']);
  assert.ok(tasks.length >= 5, 'the stream without Debian sources still has five tasks');
  assert.equal(reasons.length, 2);
  assert.match(reasons[0]!, /^ClipArt: .*apt-get install openclipart-svg/);
  assert.match(reasons[1]!, /^FashionMNIST: .*apt-get install dataset-fashion-mnist/);
  assert.throws(
    () => mtilOfflineTasks('I', { fashionMnistDir: '/nonexistent/fashion-mnist', exclude: ['ClipArt'] }),
    /apt-get install dataset-fashion-mnist.*missing: 'skip'/,
  );
  const fewer = mtilOfflineTasks('II', { exclude: ['FashionMNIST', 'ClipArt'] });
  assert.equal(fewer.length, 5);
  assert.ok(existsSync(assetPath('offline', 'mtil-offline-splits.json')));
});
