/**
 * MulKI's pieces on tiny tensors against independent float64 computations written out in this file:
 * teacher re-weighting, the eliciting loss, the relation-distillation terms, prototypes (initialisation and
 * update), the weight ensemble and interpolation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { tensor } from '../../src/engine/ops/create.js';
import { l2Normalize } from '../../src/engine/ops/norm.js';
import { scope } from '../../src/engine/memory.js';
import { Rng } from '../../src/engine/rng.js';
import { classWeights, teacherWeights } from '../../src/cl/methods/mulki/distinguishing.js';
import { elicitingLoss } from '../../src/cl/methods/mulki/eliciting.js';
import { relationTerms } from '../../src/cl/methods/mulki/adding.js';
import { RunningPrototypes, classGroups, computePrototypes } from '../../src/cl/methods/mulki/prototypes.js';
import { WeightAverage, interpolateInto, snapshotPeriod } from '../../src/cl/methods/common.js';
import { mtilOfflineStream } from '../../src/cl/mtil-offline-stream.js';
import { resolveConfig } from '../../src/cl/config.js';
import { createClip } from '../../src/clip/model.js';
import { TINY_CONFIG } from '../helpers/tiny-run.js';
import type { MethodContext } from '../../src/cl/method.js';

const be = createRefBackend();
const close = (a: number, b: number, tol = 1e-5, what = ''): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

// ---- independent float64 helpers ----
type M = number[][];
const norm = (v: number[]): number[] => { const n = Math.hypot(...v); return v.map((x) => x / n); };
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const mm = (a: M, b: M): M => a.map((r) => b.map((c) => dot(r, c))); // a @ b^T
const logSoftmax = (r: number[]): number[] => { const m = Math.max(...r); const z = Math.log(r.reduce((s, x) => s + Math.exp(x - m), 0)) + m; return r.map((x) => x - z); };
const kl = (student: number[], teacher: number[], T: number): number => {
  const lp = logSoftmax(teacher.map((x) => x / T));
  const lq = logSoftmax(student.map((x) => x / T));
  return T * T * lp.reduce((s, l, i) => s + Math.exp(l) * (l - lq[i]!), 0);
};
const ce = (row: number[], y: number): number => -logSoftmax(row)[y]!;
const randM = (rng: Rng, r: number, c: number, normalize = true): M => Array.from({ length: r }, () => { const v = Array.from({ length: c }, () => rng.normal()); return normalize ? norm(v) : v; });
const T = (m: M, shape?: number[]) => tensor(m.flat(), shape ?? [m.length, m[0]!.length], { device: be });

test('teacher weights: ce, confidence, entropy and fixed modes against hand values', () => {
  // Two teachers, one sample, three classes, label 0.
  // Teacher A logits [2, 0, 0]: p_A(0) = e^2/(e^2+2) = 0.78699; CE_A = 0.23954.
  // Teacher B logits [0, 0, 0]: p_B(0) = 1/3; CE_B = 1.09861.
  const a = new Float32Array([2, 0, 0]);
  const b = new Float32Array([0, 0, 0]);
  const y = new Int32Array([0]);
  // ce, gamma 1: w_A = e^{-0.23954} / (e^{-0.23954} + e^{-1.09861}) = 1 / (1 + e^{-0.85907}) = 0.702466
  const wce = teacherWeights('ce', [a, b], y, 3, 1);
  close(wce[0]![0]!, 0.702466, 1e-5, 'ce w_A');
  close(wce[0]![0]! + wce[1]![0]!, 1, 1e-6, 'ce sums to 1');
  // confidence: 0.78699 / (0.78699 + 0.33333) = 0.70248
  close(teacherWeights('confidence', [a, b], y, 3, 1)[0]![0]!, 0.786986 / (0.786986 + 1 / 3), 1e-5, 'confidence');
  // entropy: H_A = -(0.78699 ln 0.78699 + 2 * 0.10651 ln 0.10651) = 0.66557, H_B = ln 3 = 1.09861
  const hA = -(0.786986 * Math.log(0.786986) + 2 * 0.106507 * Math.log(0.106507));
  close(teacherWeights('entropy', [a, b], y, 3, 1)[0]![0]!, Math.exp(-hA) / (Math.exp(-hA) + Math.exp(-Math.log(3))), 1e-4, 'entropy');
  assert.deepEqual([...teacherWeights('fixed', [a, b], y, 3, 1).map((w) => w[0])], [0.5, 0.5]);
  // gamma scales the contrast: larger gamma -> closer to 1/2.
  assert.ok(teacherWeights('ce', [a, b], y, 3, 10)[0]![0]! < wce[0]![0]!);
  // Class weights: mean over the class's samples.
  assert.deepEqual([...classWeights(new Float32Array([0.2, 0.4, 0.9]), new Int32Array([1, 1, 3]), new Int32Array([1, 3]))].map((x) => +x.toFixed(6)), [0.3, 0.9]);
});

test('eliciting loss equals the symmetric CE of blended prototypes against text features', () => {
  const rng = new Rng(5);
  const B = 5, C = 4, D = 6, s = 10, beta = 0.3;
  const f = randM(rng, B, D), G = randM(rng, C, D), V = randM(rng, C, D);
  const labels = new Int32Array([2, 0, 2, 3, 0]);
  const got = scope(() => {
    const { classes, average } = classGroups(labels, be);
    assert.deepEqual([...classes], [0, 2, 3]);
    return elicitingLoss({ imageFeatures: T(f), textFeatures: T(G), prototypes: T(V), classes, average, scale: s, blend: beta }).item();
  });
  const K = [0, 2, 3];
  const P = K.map((c) => {
    const rows = f.filter((_, i) => labels[i] === c);
    const mean = rows[0]!.map((_, d) => rows.reduce((a, r) => a + r[d]!, 0) / rows.length);
    return norm(V[c]!.map((v, d) => beta * v + (1 - beta) * mean[d]!));
  });
  const Gk = K.map((c) => G[c]!);
  const L = mm(P, Gk).map((r) => r.map((x) => s * x));
  const Lt = L[0]!.map((_, j) => L.map((r) => r[j]!));
  const want = 0.5 * (L.reduce((a, r, k) => a + ce(r, k), 0) / 3 + Lt.reduce((a, r, k) => a + ce(r, k), 0) / 3);
  close(got, want, 1e-5, 'L_EI');
});

test('relation terms (feature, inter-modal, intra-modal) equal their definitions', () => {
  const rng = new Rng(9);
  const B = 4, C = 3, D = 5, s = 10, tau = 2;
  const S = { f: randM(rng, B, D), G: randM(rng, C, D), V: randM(rng, C, D) };
  const Tc = { f: randM(rng, B, D), G: randM(rng, C, D), V: randM(rng, C, D) };
  const K = [0, 2];
  const wI = [0.1, 0.5, 0.9, 0.3];
  const wC = [0.25, 0.75];
  const got = scope(() => {
    const r = relationTerms({ f: T(S.f), G: T(S.G), V: T(S.V) }, { f: T(Tc.f), G: T(Tc.G), V: T(Tc.V) },
      tensor(new Int32Array(K), [2], { device: be, dtype: 'i32' }), tensor(wI, [B], { device: be }), tensor(wC, [2], { device: be }), s, tau);
    return { feat: r.feat.item(), inter: r.inter.item(), intra: r.intra.item() };
  });
  const wmean = (xs: number[], w: number[]): number => xs.reduce((a, x, i) => a + x * w[i]!, 0) / xs.length;
  const gS = K.map((c) => S.G[c]!), gT = K.map((c) => Tc.G[c]!);
  const rel = (x: M, p: M): M => mm(x, p).map((r) => r.map((v) => s * v));
  const klRows = (a: M, b: M): number[] => a.map((r, i) => kl(r, b[i]!, tau));
  const feat = wmean(S.f.map((r, i) => 1 - dot(r, Tc.f[i]!)), wI) + wmean(gS.map((r, k) => 1 - dot(r, gT[k]!)), wC);
  const inter = wmean(klRows(rel(S.f, S.G), rel(Tc.f, Tc.G)), wI) + wmean(klRows(rel(gS, S.V), rel(gT, Tc.V)), wC);
  const intra = wmean(klRows(rel(S.f, S.V), rel(Tc.f, Tc.V)), wI) + wmean(klRows(rel(gS, S.G), rel(gT, Tc.G)), wC);
  close(got.feat, feat, 1e-5, 'feature level');
  close(got.inter, inter, 1e-4, 'inter-modal');
  close(got.intra, intra, 1e-4, 'intra-modal');
  assert.ok(got.inter > 0 && got.intra > 0);
});

test('prototypes: initialisation from a model over training images, and the momentum update', async () => {
  const model = createClip(be, TINY_CONFIG, 2);
  const rng = new Rng(3);
  const S = TINY_CONFIG.vision.imageSize;
  const imgs = Array.from({ length: 6 }, () => Array.from({ length: 3 * S * S }, () => rng.normal()));
  const labels = new Int32Array([1, 0, 1, 2, 1, 0]);
  const ctx = {
    cost: { teacherForwards: 0, extraStorageBytes: 0 },
    log: () => {},
    trainImages: async function* () {
      for (let i = 0; i < 6; i += 4) {
        const n = Math.min(4, 6 - i);
        yield { images: tensor(imgs.slice(i, i + n).flat(), [n, 3, S, S], { device: be }), labels: labels.slice(i, i + n) };
      }
    },
  } as unknown as MethodContext;
  const V = await computePrototypes(model, ctx, 4, 0);
  assert.equal(ctx.cost.teacherForwards, 6);
  const feats = scope(() => {
    return imgs.map((x) => [...(l2Normalize(model.encodeImage(tensor(x, [1, 3, S, S], { device: be }))).toArray() as Float32Array)]);
  });
  const Vh = V.toArray() as Float32Array;
  const D = TINY_CONFIG.embedDim;
  for (const c of [0, 1, 2]) {
    const rows = feats.filter((_, i) => labels[i] === c);
    const want = norm(rows[0]!.map((_, d) => rows.reduce((a, r) => a + r[d]!, 0)));
    want.forEach((w, d) => close(Vh[c * D + d]!, w, 1e-4, `prototype ${c}[${d}]`));
  }
  assert.ok(Vh.slice(3 * D, 4 * D).every((x) => x === 0), 'a class without images has a zero prototype');

  // Update: v_c <- normalize(m v_c + (1-m) batch mean of f_c) for classes in the batch only.
  const m = 0.9;
  const run = new RunningPrototypes(V, m);
  const f = randM(rng, 3, D);
  const bl = new Int32Array([2, 0, 2]);
  scope(() => run.update(T(f), bl));
  const after = run.value.toArray() as Float32Array;
  const mean2 = f[0]!.map((x, d) => (x + f[2]![d]!) / 2);
  norm(Vh.slice(2 * D, 3 * D).map((v, d) => m * v + (1 - m) * mean2[d]!) as unknown as number[]).forEach((w, d) => close(after[2 * D + d]!, w, 1e-5, 'updated prototype 2'));
  norm(Array.from(Vh.slice(0, D)).map((v, d) => m * v + (1 - m) * f[1]![d]!)).forEach((w, d) => close(after[d]!, w, 1e-5, 'updated prototype 0'));
  assert.deepEqual([...after.slice(D, 2 * D)], [...Vh.slice(D, 2 * D)], 'absent class unchanged');
});

test('weight ensemble is the uniform average of its seed and snapshots; interpolation mixes weights', () => {
  const a = createClip(be, TINY_CONFIG, 1);
  const b = createClip(be, TINY_CONFIG, 2);
  const c = createClip(be, TINY_CONFIG, 3);
  const avg = new WeightAverage(a);
  avg.add(b);
  avg.add(c);
  assert.equal(avg.count, 3);
  const pick = (m: typeof a) => m.stateDict().get('vision_model.encoder.layers.0.mlp.fc1.weight')!.toArray() as Float32Array;
  const [pa, pb, pc, pm] = [pick(a), pick(b), pick(c), pick(avg.model)];
  for (let i = 0; i < 50; i++) close(pm[i]!, (pa[i]! + pb[i]! + pc[i]!) / 3, 1e-5, 'average');
  const out = createClip(be, TINY_CONFIG, 4);
  interpolateInto(out, a, b, 0.25);
  const po = pick(out);
  for (let i = 0; i < 50; i++) close(po[i]!, 0.25 * pa[i]! + 0.75 * pb[i]!, 1e-6, 'interpolation');
  // In place, as WiSE-FT does (target = a), and with target = b.
  const a2 = createClip(be, TINY_CONFIG, 1);
  interpolateInto(a2, a2, b, 0.25);
  const pa2 = pick(a2);
  for (let i = 0; i < 50; i++) close(pa2[i]!, 0.25 * pa[i]! + 0.75 * pb[i]!, 1e-6, 'interpolation into a');
  const b2 = createClip(be, TINY_CONFIG, 2);
  interpolateInto(b2, a, b2, 0.25);
  const pb2 = pick(b2);
  for (let i = 0; i < 50; i++) close(pb2[i]!, 0.25 * pa[i]! + 0.75 * pb[i]!, 1e-6, 'interpolation into b');
  avg.reset(c);
  assert.equal(avg.count, 1);
  assert.deepEqual([...pick(avg.model).slice(0, 20)], [...pc.slice(0, 20)]);
});

test('weight-ensemble snapshot period: the option when set, else the stream (MTIL 100, MTIL-Offline ten per task)', () => {
  const task = (snapshotEvery?: number) => ({ snapshotEvery }) as unknown as Parameters<typeof snapshotPeriod>[1];
  assert.equal(snapshotPeriod(25, task(10)), 25);
  assert.equal(snapshotPeriod(0, task(10)), 10);
  assert.equal(snapshotPeriod(0, task()), 100);
  assert.throws(() => snapshotPeriod(-1, task()), /avgEvery must be an integer >= 0/);
  assert.throws(() => snapshotPeriod(2.5, task()), /avgEvery must be an integer >= 0/);
  const stream = mtilOfflineStream(resolveConfig({ benchmark: 'mtil-offline', method: 'mulki' }));
  assert.ok(stream.tasks.length >= 5);
  for (const t of stream.tasks) assert.equal(t.snapshotEvery, t.iterations / 10, t.name);
  const short = mtilOfflineStream(resolveConfig({ benchmark: 'mtil-offline', method: 'mulki', train: { iterations: 40 } }));
  for (const t of short.tasks) assert.equal(t.snapshotEvery, 4, t.name);
});
