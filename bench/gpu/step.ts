/**
 * The mulki side of bench/gpu/torch_step.py, on the cuda backend: a ViT-B/16 CLIP training step as in MTIL (64
 * random 224x224 images against 100 class prompts of 77 tokens; logits = 100 * img @ txt^T of L2-normalised features;
 * cross-entropy with label smoothing 0.2; backward; AdamW), and the same step plus two frozen teachers' forward
 * passes and the KL terms of the PyTorch "MulKI step". Median ms of >= 20 steps after warm-up, synchronised.
 *   RESULT mulki_vitb16_step_ms <v> ms     (precision bf16 unless MULKI_PRECISION says otherwise)
 *   RESULT mulki_mulki_step_ms <v> ms
 * First (unless --no-check) it checks the precision against fp32 on the same weights and inputs: the CLIP loss, every
 * parameter's gradient (as one vector) and the teachers' features, computed on the device; a relative error above
 * 0.25 (a broken kernel, not bf16 rounding: about 2e-2 on tiny-bench) prints "CHECK ... FAIL" and makes the exit code 1.
 * --profile then times one CLIP and one MulKI step kernel by kernel (synchronising after each call).
 * Usage: node dist/bench/gpu/step.js [--steps 20] [--warmup 5] [--profile] [--no-check]
 */
import type { Backend, Storage } from '../../src/engine/backend.js';
import type { CudaBackend } from '../../src/engine/backends/cuda/index.js';
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
const PROFILE = argv.includes('--profile');
/** $MULKI_STEP_LABEL=x names the results mulki_vitb16_step_x_ms etc. (a second run with other settings) */
const LABEL = process.env.MULKI_STEP_LABEL ? `_${process.env.MULKI_STEP_LABEL}` : '';
const CHECK = !argv.includes('--no-check');
const SCALE = 100;
const TAU = 2;

const precision = (process.env.MULKI_PRECISION ?? 'bf16') as Precision;
setCudaPrecision(precision);
const be = getBackend('cuda');
const cuda = be as CudaBackend;
const info = cuda.deviceName ?? 'cuda';
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

/** ||a - b|| / ||b|| over n elements, on the device (a temporary holds a - b). */
function relDiff(a: Storage, b: Storage, n: number): { diff: number; ref: number } {
  const t = be.alloc('f32', n);
  be.copy(a, 0, t, 0, n);
  be.axpy(-1, b, 0, t, 0, n);
  const diff = be.sumSquares(t, n), ref = be.sumSquares(b, n);
  be.release(t);
  return { diff, ref };
}

/**
 * The configured precision against fp32 on the same weights and inputs: loss, all gradients, teacher features.
 * Returns false when an error is far beyond bf16 rounding.
 */
function checkAgainstFp32(): boolean {
  if (precision === 'fp32') return true;
  const params = model.parameters().filter((p) => p.requiresGrad);
  const run = (): { loss: number; grads: Storage[]; tImg: Storage; tTxt: Storage } => {
    let loss = NaN;
    const feats = scope(() => {
      const { img, txt } = features(model);
      const l = crossEntropy(scale(matmul(img, txt, { transB: true }), SCALE), labels, 0.2);
      loss = l.item();
      backward(l);
      const t = noGrad(() => features(teachers[0]!));
      const keepT = (x: Tensor): Storage => {
        const s = be.alloc('f32', x.size);
        be.copy(x.storage, 0, s, 0, x.size);
        return s;
      };
      return { tImg: keepT(t.img), tTxt: keepT(t.txt) };
    });
    const grads = params.map((p) => {
      const s = be.alloc('f32', p.size);
      if (p.grad) be.copy(p.grad.storage, 0, s, 0, p.size);
      else be.fill(s, 0);
      return s;
    });
    opt.zeroGrad();
    return { loss, grads, ...feats };
  };
  cuda.setPrecision('fp32');
  const ref = run();
  cuda.setPrecision(precision);
  const got = run();
  let gd = 0, gr = 0;
  params.forEach((p, i) => {
    const r = relDiff(got.grads[i]!, ref.grads[i]!, p.size);
    gd += r.diff;
    gr += r.ref;
  });
  const errs = {
    loss: Math.abs(got.loss - ref.loss) / Math.abs(ref.loss),
    grads: Math.sqrt(gd / gr),
    teacherImg: Math.sqrt(((d) => d.diff / d.ref)(relDiff(got.tImg, ref.tImg, 64 * arch.embedDim))),
    teacherTxt: Math.sqrt(((d) => d.diff / d.ref)(relDiff(got.tTxt, ref.tTxt, 100 * arch.embedDim))),
  };
  for (const s of [...ref.grads, ...got.grads, ref.tImg, ref.tTxt, got.tImg, got.tTxt]) be.release(s);
  const ok = Object.values(errs).every((e) => Number.isFinite(e) && e < 0.25);
  console.log(`CHECK ${precision} vs fp32 (same weights and inputs): loss ${got.loss.toFixed(5)} vs ${ref.loss.toFixed(5)}, ` +
    `relative errors: loss ${errs.loss.toExponential(2)}, all gradients ${errs.grads.toExponential(2)}, teacher image ` +
    `features ${errs.teacherImg.toExponential(2)}, teacher text features ${errs.teacherTxt.toExponential(2)}: ${ok ? 'ok' : 'FAIL'}`);
  return ok;
}

/** Replaces every method of the backend by one that synchronises and adds its wall time to `table`. */
function profileBackend(b: Backend, table: Map<string, { ms: number; calls: number }>): () => void {
  const obj = b as unknown as Record<string, unknown>;
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) if (typeof obj[k] === 'function' && k !== 'constructor') names.add(k);
  }
  const saved = new Map<string, unknown>();
  for (const k of names) {
    if (k === 'synchronize') continue;
    const f = obj[k] as (...a: unknown[]) => unknown;
    saved.set(k, Object.prototype.hasOwnProperty.call(obj, k) ? f : undefined);
    obj[k] = (...args: unknown[]) => {
      const t0 = performance.now();
      const r = f.apply(b, args);
      b.synchronize();
      const e = table.get(k) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      table.set(k, e);
      return r;
    };
  }
  return () => {
    for (const [k, f] of saved) {
      if (f === undefined) delete obj[k];
      else obj[k] = f;
    }
  };
}

function profile(name: string, fn: () => void): void {
  fn();
  be.synchronize();
  const table = new Map<string, { ms: number; calls: number }>();
  const restore = profileBackend(be, table);
  const t0 = performance.now();
  try {
    fn();
  } finally {
    restore();
  }
  const total = performance.now() - t0;
  console.log(`profile of one ${name} (synchronising after every call: ${total.toFixed(1)} ms in all; the ` +
    'synchronisations also stop the fusions across calls: GEMM + bias, bf16 copies for the next GEMM)');
  for (const [k, e] of [...table].sort((a, b) => b[1].ms - a[1].ms)) {
    if (e.ms < 0.05) continue;
    console.log(`  ${k.padEnd(22)} ${e.ms.toFixed(2).padStart(9)} ms  ${String(e.calls).padStart(5)} calls`);
  }
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

const checked = CHECK ? checkAgainstFp32() : true;
time(`mulki_vitb16_step${LABEL}_ms`, clipStep);
time(`mulki_mulki_step${LABEL}_ms`, mulkiStep);
const stats = be.memoryStats();
console.log(`memory: live ${(stats.liveBytes / 2 ** 30).toFixed(2)} GiB, pooled ${(stats.pooledBytes / 2 ** 30).toFixed(2)} GiB`);
if (typeof cuda.gemmTuneStats === 'function') {
  const g = cuda.gemmTuneStats();
  console.log(`kernels: attention ${cuda.lastAttentionKernel}; bf16 GEMM mode ${process.env.MULKI_GEMM_BF16 ?? 'tune'}: ` +
    `${g.shapes} shapes tuned, ${g.fast} chose FAST_16BF on f32 operands, the others explicit bf16 copies; GEMMs fused ` +
    `with their bias ${g.biasFused}; bf16 operand copies reused ${g.copiesReused}, written by their producers ${g.shadows}`);
}
if (PROFILE) {
  profile('CLIP step', clipStep);
  profile('MulKI step', mulkiStep);
}
if (!checked) process.exitCode = 1;
