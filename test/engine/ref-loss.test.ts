/**
 * Losses, selection and the optimiser step of the ref backend: PyTorch semantics of cross entropy with label
 * smoothing on a hand-computed example and on the PyTorch golden outputs of the tiny CLIP fixture, KL with
 * temperature, top-k tie-breaking, and AdamW against its textbook definition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Storage } from '../../src/engine/backend.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { Rng } from '../../src/engine/rng.js';

const be = createRefBackend();
const rng = new Rng('ref-loss');
const up = (a: ArrayLike<number>): Storage => be.upload(Float32Array.from(a));
const upI = (a: ArrayLike<number>): Storage => be.upload(Int32Array.from(a));
const down = (s: Storage): Float32Array => be.download(s) as Float32Array;

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)),
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

test('crossEntropy with label smoothing follows PyTorch (eps / C on every class, the true one included)', () => {
  // torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.1, reduction='none'):
  // target t = (1 - eps) onehot(y) + eps / C, loss = -sum_c t_c log_softmax(x)_c.
  // Row 0: log_softmax([2, 1, 0.1]) = [-0.41703, -1.41703, -2.31703] (lse = log(e^2 + e + e^0.1) = 2.41703),
  //        t = [0.93333, 0.03333, 0.03333], loss = 0.9 * 0.41703 + 0.1 * (0.41703 + 1.41703 + 2.31703) / 3 = 0.51370.
  // The other common convention (eps / (C - 1) on the wrong classes only) would give 0.56203 and 0.42818.
  const logits = up([2, 1, 0.1, 0.5, 2.5, -1, 3, 0, 0]);
  const labels = upI([0, 1, -1]);
  const loss = be.alloc('f32', 3), probs = be.alloc('f32', 9);
  be.crossEntropy(logits, labels, 3, 3, 0.1, loss, probs);
  assertClose(down(loss), [0.5136966829445004, 0.3365115404556216, 0], 1e-7, 'loss');
  assertClose(down(probs).subarray(0, 6), [0.6590011388859677, 0.24243297070471387, 0.09856589040931815,
    0.11611453467414115, 0.8579768106084572, 0.025908654717401523], 1e-7, 'probs');
  const dLogits = be.alloc('f32', 9);
  be.crossEntropyBackward(probs, labels, 3, 3, 0.1, up([1, 2, 5]), dLogits, false);
  // d loss / d logits = p - t, scaled by dLoss per row; the ignored row (label -1) gets zeros.
  assertClose(down(dLogits), [-0.2743321944473657, 0.20909963737138054, 0.06523255707598483,
    2 * 0.08278120134080783, 2 * -0.07535652272487614, 2 * -0.0074246786159318096, 0, 0, 0], 1e-7, 'dLogits');
  // Without smoothing: plain -log p_y.
  be.crossEntropy(logits, labels, 3, 3, 0, loss, probs);
  assertClose(down(loss).subarray(0, 2), [-Math.log(0.6590011388859677), -Math.log(0.8579768106084572)], 1e-7, 'eps=0');
  assert.throws(() => be.crossEntropy(logits, upI([0, 3, 1]), 3, 3, 0.1, loss, probs),
    /ref\.crossEntropy: labels\[1\] = 3 is out of range for 3 classes/);
  assert.throws(() => be.crossEntropy(logits, up([0, 1, 1]), 3, 3, 0.1, loss, probs), /labels must be i32, got f32/);
});

/** Reads F32/I32 tensors of a safetensors file (header length, JSON header, little-endian data). */
function readSafetensors(file: string): Map<string, Float32Array | Int32Array> {
  const buf = readFileSync(file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as
    Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out = new Map<string, Float32Array | Int32Array>();
  for (const [name, t] of Object.entries(header)) {
    if (t.dtype !== 'F32' && t.dtype !== 'I32') continue;
    const bytes = buf.subarray(8 + headerLen + t.data_offsets[0], 8 + headerLen + t.data_offsets[1]);
    const copy = new Uint8Array(bytes).buffer;
    out.set(name, t.dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy));
  }
  return out;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const golden = resolve(repoRoot, '../shared/fixtures/hf-clip-tiny/golden.safetensors');

test('PyTorch golden: CLIP logits (scaled GEMM with transposed B) and the mean cross entropy', {
  skip: existsSync(golden) ? false : `fixture not found: ${golden}`,
}, () => {
  const g = readSafetensors(golden);
  const image = g.get('image_embeds')!, text = g.get('text_embeds')!, labels = g.get('labels')!;
  const n = 4, c = 5, d = 48;
  assert.equal(image.length, n * d);
  assert.equal(text.length, c * d);
  const logits = be.alloc('f32', n * c);
  be.gemm({ transA: false, transB: true, m: n, n: c, k: d, alpha: Math.exp(g.get('logit_scale')![0]!), beta: 0,
    a: up(image), aOff: 0, lda: d, strideA: 0, b: up(text), bOff: 0, ldb: d, strideB: 0,
    c: logits, cOff: 0, ldc: c, strideC: 0, batch: 1 });
  assertClose(down(logits), g.get('logits_per_image')!, 1e-5, 'logits_per_image');
  const loss = be.alloc('f32', n);
  be.crossEntropy(up(g.get('logits_per_image')!), upI(labels), n, c, 0, loss, be.alloc('f32', n * c));
  const mean = down(loss).reduce((s, v) => s + v, 0) / n;
  assertClose([mean], g.get('loss')!, 1e-6, 'loss');
});

test('klDiv with temperature on a hand-computed example; 0 log 0 = 0', () => {
  // p = softmax([3, 2, 1] / 2), q = softmax([1, 2, 3] / 2), loss = 4 * sum p (log p - log q) = 1.2806266713192258.
  const loss = be.alloc('f32', 2), logP = be.alloc('f32', 6), logQ = be.alloc('f32', 6);
  be.klDiv(up([1, 2, 3, 0, 1, 2]), up([3, 2, 1, -Infinity, 1, 2]), 2, 3, 2, loss, logP, logQ);
  const got = down(loss);
  assert.ok(Math.abs(got[0]! - 1.2806266713192258) < 1e-6, `kl ${got[0]}`);
  // Row 1: teacher gives class 0 probability 0; the remaining classes match the student's up to renormalisation.
  const q = [Math.exp(0), Math.exp(0.5), Math.exp(1)];
  const zq = q[0]! + q[1]! + q[2]!;
  const p1 = Math.exp(0.5) / (Math.exp(0.5) + Math.exp(1)), p2 = 1 - p1;
  const expected = 4 * (p1 * Math.log(p1 / (q[1]! / zq)) + p2 * Math.log(p2 / (q[2]! / zq)));
  assert.ok(Math.abs(got[1]! - expected) < 1e-6, `kl with a zero-probability class: ${got[1]} vs ${expected}`);
  const dT = be.alloc('f32', 6);
  be.klDivBackward(logP, logQ, 2, 3, 2, up([1, 1]), null, dT, false);
  assert.ok(down(dT).every(Number.isFinite), 'no NaN from 0 * -Infinity');
});

test('topk: descending, ties to the lower index, NaN first; matches a sort on random ties', () => {
  const x = up([0.5, 2, 2, -1, 2, 1, NaN, 5, 0, -3]);
  const values = be.alloc('f32', 6), indices = be.alloc('i32', 6);
  be.topk(x, 2, 5, 3, values, indices);
  assert.deepEqual(Array.from(be.download(indices)), [1, 2, 4, 1, 2, 0]);
  assert.deepEqual(Array.from(down(values)), [2, 2, 2, NaN, 5, 1]);
  const rows = 6, cols = 11;
  const r = Float32Array.from({ length: rows * cols }, () => rng.int(4));
  for (const k of [0, 1, 4, cols]) {
    const v = be.alloc('f32', rows * k), ix = be.alloc('i32', rows * k);
    be.topk(up(r), rows, cols, k, v, ix);
    const expected: number[] = [];
    for (let row = 0; row < rows; row++) {
      const order = Array.from({ length: cols }, (_, j) => j)
        .sort((a, b) => r[row * cols + b]! - r[row * cols + a]! || a - b);
      expected.push(...order.slice(0, k));
    }
    assert.deepEqual(Array.from(be.download(ix)), expected, `topk k=${k}`);
  }
  assert.throws(() => be.topk(x, 2, 5, 6, values, indices), /k = 6 is larger than the row length 5/);
});

test('adamw: two steps against the textbook AdamW update', () => {
  const n = 7, lr = 1e-2, beta1 = 0.9, beta2 = 0.98, eps = 1e-6, wd = 0.2, gradScale = 0.5;
  const p0 = Float32Array.from({ length: n }, () => rng.normal());
  const grads = [Float32Array.from({ length: n }, () => rng.normal()), Float32Array.from({ length: n }, () => rng.normal())];
  const P = up(p0), M = up(new Float32Array(n)), V = up(new Float32Array(n));
  const p = Array.from(p0), m = new Array<number>(n).fill(0), v = new Array<number>(n).fill(0);
  for (let t = 1; t <= 2; t++) {
    const g = grads[t - 1]!;
    const gStorage = up(g);
    be.adamw(P, gStorage, M, V, n, lr, beta1, beta2, eps, wd, 1 - beta1 ** t, 1 - beta2 ** t, gradScale);
    assert.deepEqual(down(gStorage), g, 'the gradient is not modified');
    for (let i = 0; i < n; i++) {
      const gi = gradScale * g[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * gi;
      v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
      p[i] = p[i]! - lr * wd * p[i]!;
      p[i] = p[i]! - (lr * m[i]! / (1 - beta1 ** t)) / (Math.sqrt(v[i]! / (1 - beta2 ** t)) + eps);
    }
    if (t === 1) {
      // First step: m/bc1 = g, v/bc2 = g^2, so the update is lr * g / (|g| + eps), about lr * sign(g).
      for (let i = 0; i < n; i++) {
        const gi = gradScale * g[i]!;
        const expected = p0[i]! * (1 - lr * wd) - (lr * gi) / (Math.abs(gi) + eps);
        assert.ok(Math.abs(down(P)[i]! - expected) < 1e-6, `first step [${i}]`);
      }
    }
    assertClose(down(P), p, 1e-6, `p after step ${t}`);
    assertClose(down(M), m, 1e-6, `m after step ${t}`);
    assertClose(down(V), v, 1e-6, `v after step ${t}`);
  }
});
