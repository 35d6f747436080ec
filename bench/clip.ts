/**
 * `npm run bench:clip`: ViT-B/16 image-encoder forward throughput on the CPU (random weights, real shapes), in
 * mulki and, when a python3 with torch exists, in PyTorch in the same job (bench/torch/vit_forward.py).
 */
import { availableParallelism } from 'node:os';
import { getBackend } from '../src/engine/device.js';
import { randn } from '../src/engine/ops/create.js';
import { scope } from '../src/engine/memory.js';
import { Rng } from '../src/engine/rng.js';
import { noGrad } from '../src/engine/tape.js';
import { loadConfig } from '../src/clip/config.js';
import { createClip } from '../src/clip/model.js';
import { median, result, runTorchPeer, torchPython } from './peer.js';

const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const WARMUP = 1;

function mulkiForward(): number[] {
  const be = getBackend('cpu');
  const model = createClip(be, loadConfig('ViT-B-16'), 0);
  const x = randn([BATCH, 3, 224, 224], new Rng(1), 1, { device: be });
  const ms: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const t0 = performance.now();
    noGrad(() => scope(() => model.encodeImage(x).toArray()));
    if (i >= WARMUP) ms.push(performance.now() - t0);
  }
  return ms;
}

const threads = availableParallelism();
console.log(`ViT-B/16 image encoder forward, batch ${BATCH}, ${STEPS} timed runs after ${WARMUP} warm-up, ${threads} threads`);
const ours = median(mulkiForward());
const oursIps = (1000 * BATCH) / ours;
console.log(`mulki (${getBackend('cpu').name}): ${ours.toFixed(0)} ms per batch = ${oursIps.toFixed(2)} images/s`);
result('vitb16_forward_images_per_s', oursIps, 'img/s');
if (torchPython()) {
  const t = runTorchPeer<{ torch: string; threads: number; ms: number[] }>('vit_forward.py', [BATCH, STEPS, WARMUP, threads]);
  const theirs = median(t.ms);
  const tIps = (1000 * BATCH) / theirs;
  console.log(`PyTorch ${t.torch} (${t.threads} threads): ${theirs.toFixed(0)} ms per batch = ${tIps.toFixed(2)} images/s`);
  result('torch_vitb16_forward_images_per_s', tIps, 'img/s');
  result('vitb16_forward_speedup_vs_torch', oursIps / tIps, 'x');
} else {
  console.log('PyTorch not found (python3 -c "import torch" fails): no ratio');
}
