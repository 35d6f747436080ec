#!/usr/bin/env node
// Benchmark design (docs/mtil-offline.md): picks the 10 members of each Quick, Draw! task from a pool of category
// names the pre-training corpus teaches, by the built-in model's zero-shot accuracy on TRAINING doodles only (the
// test doodles of every category stay unseen): starting from the whole pool, the class with the lowest accuracy in
// the pool-way zero-shot classification is dropped until 10 remain.
// Usage: node scripts/select-quickdraw-classes.mjs MODEL_DIR
import { openModel } from '../dist/src/clip/model-folder.js';
import { getBackend } from '../dist/src/engine/device.js';
import { loadQuickDraw } from '../dist/src/data/offline/quickdraw.js';
import { DataLoader, toTensors } from '../dist/src/data/loader.js';
import { buildClassifier } from '../dist/src/clip/zeroshot.js';
import { l2Normalize } from '../dist/src/engine/ops/norm.js';
import { matmul } from '../dist/src/engine/ops/matmul.js';
import { scope } from '../dist/src/engine/memory.js';
import { noGrad } from '../dist/src/engine/tape.js';
import { MTIL_OFFLINE_TEMPLATES } from '../dist/src/data/mtil-offline.js';

const POOLS_UNUSED = {
  'QuickDraw-Animals': ['ant', 'bear', 'bee', 'bird', 'butterfly', 'camel', 'cat', 'cow', 'crab', 'crocodile', 'dog', 'dolphin', 'dragon', 'duck',
    'elephant', 'fish', 'flamingo', 'frog', 'giraffe', 'hedgehog', 'horse', 'kangaroo', 'lion', 'lobster', 'monkey', 'mosquito', 'mouse',
    'octopus', 'owl', 'panda', 'parrot', 'penguin', 'pig', 'rabbit', 'raccoon', 'rhinoceros', 'scorpion', 'sea turtle', 'shark', 'sheep',
    'snail', 'snake', 'spider', 'squirrel', 'swan', 'tiger', 'whale', 'zebra'],
  'QuickDraw-Objects': ['alarm clock', 'axe', 'backpack', 'basket', 'bed', 'book', 'bucket', 'calculator', 'camera', 'candle', 'chair',
    'clock', 'compass', 'cup', 'diamond', 'door', 'drums', 'eyeglasses', 'fork', 'guitar', 'hammer', 'hat', 'headphones', 'key', 'knife',
    'ladder', 'light bulb', 'lipstick', 'microphone', 'paintbrush', 'paper clip', 'pencil', 'piano', 'saw', 'scissors', 'screwdriver',
    'shoe', 'sock', 'spoon', 'sword', 'teapot', 'telephone', 'toothbrush', 'umbrella', 'violin', 'wristwatch'],
  'QuickDraw-Vehicles': ['aircraft carrier', 'airplane', 'ambulance', 'bicycle', 'bulldozer', 'bus', 'canoe', 'car', 'cruise ship',
    'firetruck', 'flying saucer', 'helicopter', 'hot air balloon', 'motorbike', 'parachute', 'pickup truck', 'police car', 'rollerskates',
    'sailboat', 'school bus', 'skateboard', 'speedboat', 'submarine', 'tractor', 'train', 'truck', 'van'],
};

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/select-quickdraw-classes.mjs MODEL_DIR');
const be = getBackend('cpu');
const { model, tokenizer } = openModel(dir, be);
const S = model.config.vision.imageSize;
const out = {};
// Sequential selection over every Quick, Draw! category: task 1 takes the 10 best-transferring classes of the whole
// set (greedy elimination), task 2 the 10 best of the rest, task 3 likewise.
const { quickdrawCategories } = await import('../dist/src/data/offline/quickdraw.js');
let remaining = quickdrawCategories();
const all = loadQuickDraw('train', { classes: remaining });
const D = model.config.embedDim;
const feats = [];
const labels = [];
for await (const b of new DataLoader(all, { batchSize: 500, mode: 'eval', size: S, workers: 0 })) {
  noGrad(() => scope(() => {
    const { images } = toTensors(b, be);
    feats.push(l2Normalize(model.encodeImage(images)).toArray());
  }));
  labels.push(...b.labels);
}
const F = new Float32Array(labels.length * D);
let o = 0;
for (const f of feats) { F.set(f, o); o += f.length; }
const cls = noGrad(() => buildClassifier(model, tokenizer, all.classNames, MTIL_OFFLINE_TEMPLATES['QuickDraw-Animals']).toArray());
const scores = new Float32Array(labels.length * all.classNames.length);
for (let i = 0; i < labels.length; i++) for (let c = 0; c < all.classNames.length; c++) {
  let s = 0;
  for (let d = 0; d < D; d++) s += F[i * D + d] * cls[c * D + d];
  scores[i * all.classNames.length + c] = s;
}
const C = all.classNames.length;
const accOf = (set) => {
  const inSet = new Set(set);
  const per = new Map(set.map((c) => [c, [0, 0]]));
  for (let i = 0; i < labels.length; i++) {
    if (!inSet.has(labels[i])) continue;
    let best = -1, bv = -Infinity;
    for (const c of set) { const v = scores[i * C + c]; if (v > bv) { bv = v; best = c; } }
    const e = per.get(labels[i]); e[1]++; if (best === labels[i]) e[0]++;
  }
  return per;
};
let pool = all.classNames.map((_, i) => i);
for (const task of ['QuickDraw-1', 'QuickDraw-2', 'QuickDraw-3']) {
  let alive = [...pool];
  while (alive.length > 10) {
    const per = accOf(alive);
    // drop the lowest few at once while the set is large (speed), then one by one
    const k = alive.length > 60 ? Math.ceil(alive.length / 10) : 1;
    const order = [...alive].sort((a, b) => per.get(a)[0] / per.get(a)[1] - per.get(b)[0] / per.get(b)[1]);
    const drop = new Set(order.slice(0, Math.min(k, alive.length - 10)));
    alive = alive.filter((c) => !drop.has(c));
  }
  const per = accOf(alive);
  const tot = [...per.values()].reduce((a, [c, n]) => [a[0] + c, a[1] + n], [0, 0]);
  out[task] = { classes: alive.map((c) => all.classNames[c]).sort(), trainZeroShot: +(100 * tot[0] / tot[1]).toFixed(1) };
  console.error(`${task}: ${out[task].classes.join(', ')} -> ${out[task].trainZeroShot}% on training doodles (10-way)`);
  pool = pool.filter((c) => !alive.includes(c));
}
console.log(JSON.stringify(out, null, 2));
