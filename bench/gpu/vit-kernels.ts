/**
 * A ViT-B/16 image-tower training step written directly against the cuda backend's kernels (no autograd, no
 * model code): patch embedding, 12 pre-LN blocks (768 wide, 12 heads, MLP 3072, quick_gelu), the CLS head and
 * projection to 512, a CLIP-style loss against 100 fixed text features (100 * cos, cross-entropy with label
 * smoothing 0.2), the full backward pass and AdamW on every parameter. 64 images at 224.
 * It measures what the backend's kernels cost on the real shapes, for comparison with bench/gpu/torch_step.py's
 * torch_vision_step_ms. `--profile` synchronises after every kernel and prints the time per kernel kind.
 *
 *   node dist/bench/gpu/vit-kernels.js [--steps 10] [--precision bf16|tf32|fp32|all] [--profile] [--tiny]
 */
import type { Backend, Storage } from '../../src/engine/backend.js';
import { tryLoadCudaBackend, type CudaBackend, type GemmBf16Mode, type GemmPrecision } from '../../src/engine/backends/cuda/index.js';
import { Rng } from '../../src/engine/rng.js';

// ViT-B/16 sizes; --tiny shrinks everything (a quick check of the code path, e.g. on the CPU emulation).
const TINY = process.argv.includes('--tiny');
const B = TINY ? 3 : 64, IMG = TINY ? 32 : 224, PATCH = 16, D = TINY ? 64 : 768, HEADS = TINY ? 1 : 12; // head dim 64 (the fused attention)
const MLP = 4 * D, LAYERS = TINY ? 2 : 12, E = TINY ? 32 : 512, CLASSES = TINY ? 10 : 100;
const NP = (IMG / PATCH) ** 2, T = NP + 1, HD = D / HEADS;
const LR = TINY ? 3e-4 : 1e-5;

interface Param { w: Storage; g: Storage; m: Storage; v: Storage; n: number }

function linear(b: Backend, x: Storage, w: Storage, bias: Storage | null, y: Storage, rows: number, inD: number,
  outD: number): void {
  gemm(b, false, false, rows, outD, inD, x, w, y, 0);
  if (bias) b.biasAct(y, bias, rows, outD, 'none', y);
}

/** dX = dY W^T (when dX is given), dW = X^T dY, db = sum_r dY. */
function linearBackward(b: Backend, x: Storage, w: Param, bias: Param | null, dy: Storage, dx: Storage | null,
  rows: number, inD: number, outD: number): void {
  if (dx) gemm(b, false, true, rows, inD, outD, dy, w.w, dx, 0);
  gemm(b, true, false, inD, outD, rows, x, dy, w.g, 0);
  if (bias) b.sumRows(dy, rows, outD, bias.g, false);
}

function gemm(b: Backend, tA: boolean, tB: boolean, m: number, n: number, k: number, A: Storage, Bm: Storage,
  C: Storage, beta: number, alpha = 1): void {
  b.gemm({ transA: tA, transB: tB, m, n, k, alpha, beta, a: A, aOff: 0, lda: tA ? m : k, strideA: 0, b: Bm, bOff: 0,
    ldb: tB ? k : n, strideB: 0, c: C, cOff: 0, ldc: n, strideC: 0, batch: 1 });
}

class Model {
  readonly params: Param[] = [];
  readonly patchW: Param; readonly cls: Param; readonly pos: Param; readonly lnPre: [Param, Param];
  readonly lnPost: [Param, Param]; readonly proj: Param;
  readonly layers: { ln1: [Param, Param]; qkv: [Param, Param]; out: [Param, Param]; ln2: [Param, Param];
    fc1: [Param, Param]; fc2: [Param, Param] }[] = [];

  constructor(private readonly b: Backend, rng: Rng) {
    const p = (n: number, scale: number, value?: number): Param => {
      const init = new Float32Array(n);
      for (let i = 0; i < n; i++) init[i] = value ?? scale * rng.normal();
      const w = b.upload(init), g = b.alloc('f32', n), m = b.alloc('f32', n), v = b.alloc('f32', n);
      b.fill(m, 0);
      b.fill(v, 0);
      const param = { w, g, m, v, n };
      this.params.push(param);
      return param;
    };
    const ln = (): [Param, Param] => [p(D, 0, 1), p(D, 0, 0)];
    this.patchW = p(3 * PATCH * PATCH * D, 0.02);
    this.cls = p(D, 0.02);
    this.pos = p(T * D, 0.01);
    this.lnPre = ln();
    for (let l = 0; l < LAYERS; l++) {
      this.layers.push({ ln1: ln(), qkv: [p(D * 3 * D, 0.02), p(3 * D, 0)], out: [p(D * D, 0.02), p(D, 0)], ln2: ln(),
        fc1: [p(D * MLP, 0.02), p(MLP, 0)], fc2: [p(MLP * D, 0.02), p(D, 0)] });
    }
    this.lnPost = ln();
    this.proj = p(D * E, 0.03);
  }

  /** One training step; returns the mean loss when `readLoss` (a synchronisation), else NaN. */
  step(images: Storage, text: Storage, labels: Storage, t: number, readLoss = false): number {
    const b = this.b, R = B * T;
    const tmp: Storage[] = [];
    const alloc = (n: number): Storage => { const s = b.alloc('f32', n); tmp.push(s); return s; };
    // ---- forward ----
    const patches = alloc(B * NP * 3 * PATCH * PATCH), emb = alloc(B * NP * D), x0 = alloc(R * D), xp = alloc(R * D);
    b.im2patch(images, B, 3, IMG, IMG, PATCH, patches);
    gemm(b, false, false, B * NP, D, 3 * PATCH * PATCH, patches, this.patchW.w, emb, 0);
    b.copy2d(this.cls.w, 0, 0, x0, 0, T * D, B, D, false);
    b.copy2d(emb, 0, NP * D, x0, D, T * D, B, NP * D, false);
    b.binary('add', x0, [T * D, 1], this.pos.w, [0, 1], xp, [B, T * D]);
    const preMean = alloc(R), preRstd = alloc(R);
    let r = alloc(R * D);
    b.layerNorm(xp, this.lnPre[0].w, this.lnPre[1].w, R, D, 1e-5, r, preMean, preRstd);
    const saved = [];
    for (const L of this.layers) {
      const a1 = alloc(R * D), m1 = alloc(R), s1 = alloc(R), qkv = alloc(R * 3 * D), o = alloc(R * D);
      const probs = alloc(B * HEADS * T * T), pr = alloc(R * D), r2 = alloc(R * D), a2 = alloc(R * D);
      const m2 = alloc(R), s2 = alloc(R), f1 = alloc(R * MLP), g1 = alloc(R * MLP), f2 = alloc(R * D), r3 = alloc(R * D);
      b.layerNorm(r, L.ln1[0].w, L.ln1[1].w, R, D, 1e-5, a1, m1, s1);
      linear(b, a1, L.qkv[0].w, L.qkv[1].w, qkv, R, D, 3 * D);
      const attn = this.attnParams(qkv);
      b.attention(attn, o, probs);
      linear(b, o, L.out[0].w, L.out[1].w, pr, R, D, D);
      b.binary('add', r, [1], pr, [1], r2, [R * D]);
      b.layerNorm(r2, L.ln2[0].w, L.ln2[1].w, R, D, 1e-5, a2, m2, s2);
      gemm(b, false, false, R, MLP, D, a2, L.fc1[0].w, f1, 0);
      b.biasAct(f1, L.fc1[1].w, R, MLP, 'quick_gelu', g1);
      linear(b, g1, L.fc2[0].w, L.fc2[1].w, f2, R, MLP, D);
      b.binary('add', r2, [1], f2, [1], r3, [R * D]);
      saved.push({ r, a1, m1, s1, qkv, o, probs, r2, a2, m2, s2, f1, g1 });
      r = r3;
    }
    const clsTok = alloc(B * D), pooled = alloc(B * D), pm = alloc(B), ps = alloc(B), feat = alloc(B * E);
    const fN = alloc(B * E), norms = alloc(B), logits = alloc(B * CLASSES), loss = alloc(B), probsCE = alloc(B * CLASSES);
    b.copy2d(r, 0, T * D, clsTok, 0, D, B, D, false);
    b.layerNorm(clsTok, this.lnPost[0].w, this.lnPost[1].w, B, D, 1e-5, pooled, pm, ps);
    gemm(b, false, false, B, E, D, pooled, this.proj.w, feat, 0);
    b.l2Normalize(feat, B, E, 1e-12, fN, norms);
    gemm(b, false, true, B, CLASSES, E, fN, text, logits, 0, 100);
    b.crossEntropy(logits, labels, B, CLASSES, 0.2, loss, probsCE);
    // ---- backward ----
    const dLoss = alloc(B), dLogits = alloc(B * CLASSES), dfN = alloc(B * E), dFeat = alloc(B * E), dPooled = alloc(B * D);
    const dCls = alloc(B * D);
    b.fill(dLoss, 1 / B);
    b.crossEntropyBackward(probsCE, labels, B, CLASSES, 0.2, dLoss, dLogits, false);
    gemm(b, false, false, B, E, CLASSES, dLogits, text, dfN, 0, 100);
    b.l2NormalizeBackward(dfN, fN, norms, B, E, dFeat, false);
    linearBackward(b, pooled, this.proj, null, dFeat, dPooled, B, D, E);
    b.layerNormBackward(dPooled, clsTok, this.lnPost[0].w, pm, ps, B, D, dCls, this.lnPost[0].g, this.lnPost[1].g, false);
    const dr = alloc(R * D);
    b.fill(dr, 0);
    b.copy2d(dCls, 0, D, dr, 0, T * D, B, D, false);
    const df1 = alloc(R * MLP), dg1 = alloc(R * MLP), da = alloc(R * D), dO = alloc(R * D);
    const dq = alloc(R * D), dk = alloc(R * D), dv = alloc(R * D), dqkv = alloc(R * 3 * D);
    for (let l = LAYERS - 1; l >= 0; l--) {
      const L = this.layers[l]!, s = saved[l]!;
      // MLP branch: dr holds d(r3); it becomes d(r2) by accumulating the LN2 path.
      linearBackward(b, s.g1, L.fc2[0], L.fc2[1], dr, dg1, R, MLP, D);
      b.actBackward('quick_gelu', s.f1, dg1, df1, R * MLP, false);
      linearBackward(b, s.a2, L.fc1[0], L.fc1[1], df1, da, R, D, MLP);
      b.layerNormBackward(da, s.r2, L.ln2[0].w, s.m2, s.s2, R, D, dr, L.ln2[0].g, L.ln2[1].g, true);
      // attention branch: dr holds d(r2); it becomes d(r) by accumulating the LN1 path.
      linearBackward(b, s.o, L.out[0], L.out[1], dr, dO, R, D, D);
      if (b.attentionBackwardInto) {
        // straight into the packed gradient, as the model's attentionPacked does
        b.attentionBackwardInto(this.attnParams(s.qkv), s.probs, dO, { dq: dqkv, dqOff: 0, ldq: 3 * D, dk: dqkv,
          dkOff: D, ldk: 3 * D, dv: dqkv, dvOff: 2 * D, ldv: 3 * D }, false);
      } else {
        b.attentionBackward(this.attnParams(s.qkv), s.probs, dO, dq, dk, dv);
        b.copy2d(dq, 0, D, dqkv, 0, 3 * D, R, D, false);
        b.copy2d(dk, 0, D, dqkv, D, 3 * D, R, D, false);
        b.copy2d(dv, 0, D, dqkv, 2 * D, 3 * D, R, D, false);
      }
      linearBackward(b, s.a1, L.qkv[0], L.qkv[1], dqkv, da, R, D, 3 * D);
      b.layerNormBackward(da, s.r, L.ln1[0].w, s.m1, s.s1, R, D, dr, L.ln1[0].g, L.ln1[1].g, true);
    }
    const dxp = alloc(R * D), dEmb = alloc(B * NP * D), dClsRows = alloc(B * D);
    b.layerNormBackward(dr, xp, this.lnPre[0].w, preMean, preRstd, R, D, dxp, this.lnPre[0].g, this.lnPre[1].g, false);
    b.sumTo(dxp, [B, T * D], this.pos.g, [1, T * D], false);
    b.copy2d(dxp, 0, T * D, dClsRows, 0, D, B, D, false);
    b.sumRows(dClsRows, B, D, this.cls.g, false);
    b.copy2d(dxp, D, T * D, dEmb, 0, NP * D, B, NP * D, false);
    gemm(b, true, false, 3 * PATCH * PATCH, D, B * NP, patches, dEmb, this.patchW.g, 0);
    // ---- AdamW ----
    const bc1 = 1 - 0.9 ** t, bc2 = 1 - 0.999 ** t;
    if (b.adamwMulti) {
      b.adamwMulti(this.params.map((p) => ({ p: p.w, g: p.g, m: p.m, v: p.v, n: p.n, weightDecay: 0 })), LR, 0.9, 0.999,
        1e-8, bc1, bc2, 1);
    } else {
      for (const p of this.params) b.adamw(p.w, p.g, p.m, p.v, p.n, LR, 0.9, 0.999, 1e-8, 0, bc1, bc2, 1);
    }
    let mean = NaN;
    if (readLoss) {
      const l = b.download(loss) as Float32Array;
      mean = l.reduce((a, v) => a + v, 0) / B;
    }
    for (const s of tmp) b.release(s);
    return mean;
  }

  private attnParams(qkv: Storage) {
    return { batch: B, heads: HEADS, tq: T, tk: T, headDim: HD, scale: 1 / Math.sqrt(HD), causal: false, keyMask: null,
      q: qkv, qOff: 0, ldq: 3 * D, k: qkv, kOff: D, ldk: 3 * D, v: qkv, vOff: 2 * D, ldv: 3 * D };
  }
}

/** Wraps every kernel so that it synchronises and adds its wall time to a per-kernel table. */
function profiled(b: CudaBackend, table: Map<string, { ms: number; calls: number }>): Backend {
  return new Proxy(b, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'synchronize') return v;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        target.synchronize();
        const e = table.get(String(prop)) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        table.set(String(prop), e);
        return r;
      };
    },
  });
}

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
  };
  const steps = Number(opt('--steps', '10'));
  const which = opt('--precision', 'all');
  const precisions: GemmPrecision[] = which === 'all' ? ['bf16', 'tf32', 'fp32'] : [which as GemmPrecision];
  const loaded = tryLoadCudaBackend({ precision: precisions[0]! });
  if ('error' in loaded) {
    console.log(`vit-kernels: cuda backend unavailable: ${loaded.error}`);
    process.exitCode = 1;
    return;
  }
  const cuda = loaded.backend;
  console.log(`device: ${cuda.deviceName} (sm ${cuda.info.computeCapability}, ${cuda.info.multiprocessors} SMs), cuBLAS: ${cuda.info.cublas}`);
  const rng = new Rng('vit-kernels');
  const model = new Model(cuda, rng);
  const img = new Float32Array(B * 3 * IMG * IMG);
  for (let i = 0; i < img.length; i++) img[i] = rng.normal();
  const txt = new Float32Array(CLASSES * E);
  for (let i = 0; i < txt.length; i++) txt[i] = rng.normal() / Math.sqrt(E);
  const lab = new Int32Array(B);
  for (let i = 0; i < B; i++) lab[i] = rng.int(CLASSES);
  const images = cuda.upload(img), text = cuda.upload(txt), labels = cuda.upload(lab);
  let t = 0;
  if (TINY) {  // the loss must fall when the model trains on one batch
    const losses = Array.from({ length: 8 }, () => model.step(images, text, labels, ++t, true));
    console.log(`tiny: loss ${losses.map((l) => l.toFixed(4)).join(' -> ')}`);
    if (!(losses[7]! < losses[0]!)) {
      console.log('tiny: FAIL the loss did not fall');
      process.exitCode = 1;
    }
  }
  const runs: { precision: GemmPrecision; mode?: GemmBf16Mode }[] = precisions.map((precision) => ({ precision }));
  // bf16 again with each GEMM variant forced (the default chooses per shape), when bf16 is measured at all
  if (precisions.includes('bf16') && !process.env.MULKI_GEMM_BF16) runs.push({ precision: 'bf16', mode: 'convert' }, { precision: 'bf16', mode: 'fast' });
  for (const { precision, mode } of runs) {
    cuda.setPrecision(precision);
    if (mode) cuda.setGemmBf16Mode(mode);
    for (let i = 0; i < 3; i++) model.step(images, text, labels, ++t);
    cuda.synchronize();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      model.step(images, text, labels, ++t);
      cuda.synchronize();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)]!;
    console.log(`RESULT mulki_vision_step_${precision}${mode ? `_${mode}` : ''}_ms ${med.toFixed(2)} ms   (min ${times[0]!.toFixed(2)}, ` +
      `max ${times[times.length - 1]!.toFixed(2)}, ${steps} steps)`);
  }
  if (!process.env.MULKI_GEMM_BF16) cuda.setGemmBf16Mode('tune');
  const g = cuda.gemmTuneStats();
  console.log(`kernels: attention ${cuda.lastAttentionKernel}; bf16 GEMM mode ${process.env.MULKI_GEMM_BF16 ?? 'tune'}: ` +
    `${g.shapes} shapes tuned, ${g.fast} chose FAST_16BF on f32 operands, the others explicit bf16 copies; GEMMs fused ` +
    `with their bias ${g.biasFused}; bf16 operand copies reused ${g.copiesReused}, written by their producers ${g.shadows}`);
  const mem = cuda.memoryStats();
  console.log(`memory: live ${(mem.liveBytes / 2 ** 30).toFixed(2)} GiB, pooled ${(mem.pooledBytes / 2 ** 30).toFixed(2)} GiB, ` +
    `${mem.allocations} cudaMalloc calls`);
  if (argv.includes('--profile')) {
    cuda.setPrecision(precisions[0]!);
    const table = new Map<string, { ms: number; calls: number }>();
    const pm = new Model(profiled(cuda, table), rng);
    pm.step(images, text, labels, 1);
    table.clear();
    const t0 = performance.now();
    pm.step(images, text, labels, 2);
    const total = performance.now() - t0;
    console.log(`profile (${precisions[0]}, synchronising after every kernel: ${total.toFixed(1)} ms in all; the ` +
      'synchronisations also stop the fusions across calls: GEMM + bias, bf16 copies for the next GEMM)');
    for (const [name, e] of [...table].sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`  ${name.padEnd(20)} ${e.ms.toFixed(2).padStart(9)} ms  ${String(e.calls).padStart(5)} calls`);
    }
  }
  const lossCheck = cuda.sumSquares(model.params[0]!.w, model.params[0]!.n);
  if (!Number.isFinite(lossCheck)) console.log('WARNING: parameters became non-finite');
}

main();
