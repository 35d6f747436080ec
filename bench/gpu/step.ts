/**
 * The mulki side of bench/gpu/torch_step.py, on the cuda backend: a ViT-B/16 CLIP training step as in MTIL (64
 * random 224x224 images against 100 class prompts of 77 tokens; logits = 100 * img @ txt^T of L2-normalised features;
 * cross-entropy with label smoothing 0.2; backward; AdamW), and the same step plus two frozen teachers' forward
 * passes and the KL terms of the PyTorch "MulKI step". Median ms of >= 20 steps after warm-up, synchronised.
 *   RESULT mulki_vitb16_step_ms <v> ms     (precision bf16 unless MULKI_PRECISION says otherwise)
 *   RESULT mulki_mulki_step_ms <v> ms
 * Usage: node dist/bench/gpu/step.js [--steps 20] [--warmup 5]
 */
import { getBackend, setCudaPrecision, type Precision } from '../../src/engine/device.js';
import { tensor, randn } from '../../src/engine/ops/create.js';
import { add, affine, mul, scale } from '../../src/engine/ops/elementwise.js';
import { klDiv, crossEntropy } from '../../src/engine/ops/loss.js';
import { matmul } from '../../src/engine/ops/matmul.js';
import { l2Normalize } from '../../src/engine/ops/norm.js';
import { mean, sum } from '../../src/engine/ops/reduce.js';
import { transpose } from '../../src/engine/ops/shape.js';
import { scope } from '../../src/engine/memory.js';
import { AdamW } from '../../src/engine/optim/adamw.js';
import { Rng } from '../../src/engine/rng.js';
import { backward, noGrad } from '../../src/engine/tape.js';
import type { Tensor } from '../../src/engine/tensor.js';
import { loadConfig } from '../../src/clip/config.js';
import { createClip, type ClipModel } from '../../src/clip/model.js';
import { frozenCopy } from '../../src/cl/methods/common.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const STEPS = arg('steps', 20);
const WARMUP = arg('warmup', 5);
const SCALE = 100;
const TAU = 2;

const precision = (process.env.MULKI_PRECISION ?? 'bf16') as Precision;
setCudaPrecision(precision);
const be = getBackend('cuda');
const info = (be as unknown as { deviceName?: string }).deviceName ?? 'cuda';
// MULKI_STEP_ARCH=tiny-bench gives a quick smoke test (e.g. on the CPU emulation of the cuda backend).
const arch = loadConfig(process.env.MULKI_STEP_ARCH ?? 'ViT-B-16');
const S = arch.vision.imageSize;
const CTX = arch.text.contextLength;
const V = arch.text.vocabSize;
const model = createClip(be, arch, 0);
model.logitScale.requiresGrad = false;
const opt = new AdamW(model.parameters(), { lr: 1e-5, weightDecay: 0 });
const rng = new Rng(1);
const pixels = randn([64, 3, S, S], rng, 1, { device: be });
const ids = new Int32Array(100 * CTX);
for (let r = 0; r < 100; r++) {
  for (let t = 0; t < CTX; t++) ids[r * CTX + t] = rng.int(V - 3);
  ids[r * CTX] = V - 2;
  ids[r * CTX + CTX - 1] = V - 1;
}
const tokens = tensor(ids, [100, CTX], { device: be, dtype: 'i32' });
const labels = tensor(Int32Array.from({ length: 64 }, () => rng.int(100)), [64], { device: be, dtype: 'i32' });
console.log(`mulki cuda step on ${info}, precision ${precision}; ${arch.name} CLIP ${(model.parameterCount() / 1e6).toFixed(1)}M parameters`);

const features = (m: ClipModel): { img: Tensor; txt: Tensor } => ({
  img: l2Normalize(m.encodeImage(pixels)),
  txt: l2Normalize(m.encodeText(tokens)),
});

function clipStep(): void {
  scope(() => {
    const { img, txt } = features(model);
    const loss = crossEntropy(scale(matmul(img, txt, { transB: true }), SCALE), labels, 0.2);
    backward(loss);
    opt.step();
    opt.zeroGrad();
  });
}

const teachers = [frozenCopy(model), frozenCopy(model)];
const oneMinusCos = (a: Tensor, b: Tensor): Tensor => mean(affine(sum(mul(a, b), -1), -1, 1));
function mulkiStep(): void {
  scope(() => {
    const { img, txt } = features(model);
    const logits = scale(matmul(img, txt, { transB: true }), SCALE);
    let loss = crossEntropy(logits, labels, 0.2);
    for (const t of teachers) {
      const T = noGrad(() => {
        const f = features(t);
        return {
          img: f.img, txt: f.txt,
          logits: scale(matmul(f.img, f.txt, { transB: true }), SCALE),
          intraImg: scale(matmul(f.img, f.img, { transB: true }), SCALE),
          intraTxt: scale(matmul(f.txt, f.txt, { transB: true }), SCALE),
        };
      });
      loss = add(loss, add(oneMinusCos(img, T.img), oneMinusCos(txt, T.txt)));
      loss = add(loss, add(klDiv(logits, T.logits, TAU), klDiv(transpose(logits), transpose(T.logits), TAU)));
      loss = add(loss, add(klDiv(scale(matmul(img, img, { transB: true }), SCALE), T.intraImg, TAU),
        klDiv(scale(matmul(txt, txt, { transB: true }), SCALE), T.intraTxt, TAU)));
    }
    backward(loss);
    opt.step();
    opt.zeroGrad();
  });
}

function time(name: string, fn: () => void): void {
  for (let i = 0; i < WARMUP; i++) fn();
  be.synchronize();
  const ms: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    fn();
    be.synchronize();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const med = ms.length % 2 ? ms[ms.length >> 1]! : (ms[ms.length / 2 - 1]! + ms[ms.length / 2]!) / 2;
  console.log(`RESULT ${name} ${med.toFixed(2)} ms   (min ${ms[0]!.toFixed(2)}, max ${ms[ms.length - 1]!.toFixed(2)}, ${STEPS} steps)`);
}

time('mulki_vitb16_step_ms', clipStep);
time('mulki_mulki_step_ms', mulkiStep);
const stats = be.memoryStats();
console.log(`memory: live ${(stats.liveBytes / 2 ** 30).toFixed(2)} GiB, pooled ${(stats.pooledBytes / 2 ** 30).toFixed(2)} GiB`);
