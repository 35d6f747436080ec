/**
 * `npm run bench:engine`: GEMM and attention-product GFLOP/s (bench/gemm.ts), then ms per training step (forward,
 * backward, AdamW) of the small CLIP of bench/clip-step.ts at batch 64 in mulki, and the same step in PyTorch in the
 * same job when a python3 with torch exists (bench/torch/tiny_clip_step.py), with the ratio.
 */
import { availableParallelism } from 'node:os';
import { getBackend } from '../src/engine/device.js';
import { timeClipStep } from './clip-step.js';
import { runGemmBench } from './gemm.js';
import { median, result, runTorchPeer, torchPython } from './peer.js';

const BATCH = 64;
const STEPS = Number(process.env.BENCH_STEPS ?? 10);
const WARMUP = 2;

await runGemmBench();

const threads = availableParallelism();
console.log(`\nsmall CLIP training step (ViT 32x32/4 w192 x6, text ctx16 w192 x4, 128-d), batch ${BATCH}: ${STEPS} timed steps after ${WARMUP}`);
const be = getBackend('cpu');
const ours = timeClipStep(be, { batch: BATCH, steps: STEPS, warmup: WARMUP });
const oursMs = median(ours.ms);
console.log(`mulki (${be.name} backend, ${threads} threads): median ${oursMs.toFixed(1)} ms/step (min ${Math.min(...ours.ms).toFixed(1)}, max ${Math.max(...ours.ms).toFixed(1)})`);
result('tiny_clip_step_ms', oursMs, 'ms');
if (torchPython()) {
  const t = runTorchPeer<{ torch: string; threads: number; ms: number[] }>('tiny_clip_step.py', [BATCH, Math.min(STEPS, 6), WARMUP, threads]);
  const theirs = median(t.ms);
  console.log(`PyTorch ${t.torch} (${t.threads} threads): median ${theirs.toFixed(1)} ms/step (min ${Math.min(...t.ms).toFixed(1)}, max ${Math.max(...t.ms).toFixed(1)})`);
  result('torch_tiny_clip_step_ms', theirs, 'ms');
  result('tiny_clip_step_speedup_vs_torch', theirs / oursMs, 'x');
} else {
  console.log('PyTorch not found (python3 -c "import torch" fails): no ratio');
}
