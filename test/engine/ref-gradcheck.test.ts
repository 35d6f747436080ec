/**
 * Backward kernels of the ref backend against central finite differences of their forward kernels.
 *
 * For a forward kernel y = f(x) and random weights w, the objective is L(x) = sum_i w_i y_i (summed in float64);
 * its gradient is the backward kernel applied to dy = w. Inputs are O(1) float32 values, the step h = 1e-2 is
 * divided by the step actually taken after rounding x +- h to float32, and a gradient element passes when
 * |analytic - numeric| <= 2e-3 + 1e-2 * |numeric|. A wrong term in a backward kernel is off by O(0.1) and fails.
 * The linear kernels (gathers, scatters, broadcasting sums) are checked through the exact adjoint identity
 * <F x, y> = <x, F^T y> instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActKind, AttentionParams, Storage } from '../../src/engine/backend.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { Rng } from '../../src/engine/rng.js';
import { randomArrays } from '../helpers/random.js';

const be = createRefBackend();
const rng = new Rng('ref-gradcheck');

const { randn } = randomArrays(rng);
const up = (a: ArrayLike<number>): Storage => be.upload(Float32Array.from(a));
const upI = (a: ArrayLike<number>): Storage => be.upload(Int32Array.from(a));
const down = (s: Storage): Float32Array => be.download(s) as Float32Array;

function weighted(y: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]! * y[i]!;
  return s;
}

const H = 1e-2;

/**
 * Central differences of `objective` w.r.t. x[positions[i]]: returns one derivative per position.
 * The objective receives the perturbed array (it uploads it itself).
 */
function numericGrad(x: Float32Array, positions: readonly number[], objective: (x: Float32Array) => number): number[] {
  const xp = x.slice();
  return positions.map((i) => {
    const x0 = x[i]!;
    xp[i] = x0 + H;
    const hi = xp[i]!;
    const fp = objective(xp);
    xp[i] = x0 - H;
    const lo = xp[i]!;
    const fm = objective(xp);
    xp[i] = x0;
    return (fp - fm) / (hi - lo);
  });
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function assertGrad(analytic: ArrayLike<number>, numeric: ArrayLike<number>, what: string): void {
  assert.equal(analytic.length, numeric.length, `${what}: length`);
  for (let i = 0; i < numeric.length; i++) {
    const a = analytic[i]!, n = numeric[i]!;
    assert.ok(Math.abs(a - n) <= 2e-3 + 1e-2 * Math.abs(n), `${what}[${i}]: analytic ${a}, numeric ${n}`);
  }
}

/** dx after an accumulating backward = prefill + dx after an overwriting one. */
function assertAccumulates(run: (dx: Storage, accumulate: boolean) => void, n: number, what: string): void {
  const prefill = randn(n);
  const over = be.alloc('f32', n);
  run(over, false);
  const acc = up(prefill);
  run(acc, true);
  const expected = Array.from(down(over), (v, i) => v + prefill[i]!);
  const got = down(acc);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-6, `${what} accumulate [${i}]`);
}

// ---------------------------------------------------------------------------------------------------------------

test('actBackward: every activation', () => {
  const n = 24;
  const x = randn(n, 2).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v)); // keep relu away from its kink
  const w = randn(n);
  for (const kind of ['none', 'gelu', 'gelu_tanh', 'quick_gelu', 'relu'] as ActKind[]) {
    const objective = (xs: Float32Array): number => {
      const out = be.alloc('f32', n);
      be.biasAct(up(xs), null, 1, n, kind, out);
      return weighted(down(out), w);
    };
    const run = (dx: Storage, accumulate: boolean): void => be.actBackward(kind, up(x), up(w), dx, n, accumulate);
    const dx = be.alloc('f32', n);
    run(dx, false);
    assertGrad(down(dx), numericGrad(x, all(n), objective), `actBackward ${kind}`);
    assertAccumulates(run, n, `actBackward ${kind}`);
  }
});

test('layerNormBackward: dx, dgamma, dbeta, with and without affine', () => {
  const rows = 3, cols = 7, eps = 1e-5;
  const x = randn(rows * cols, 2), gamma = randn(cols), beta = randn(cols), w = randn(rows * cols);
  for (const affine of [true, false]) {
    const forward = (xs: Float32Array, g: Float32Array, b: Float32Array): number => {
      const y = be.alloc('f32', rows * cols);
      be.layerNorm(up(xs), affine ? up(g) : null, affine ? up(b) : null, rows, cols, eps, y,
        be.alloc('f32', rows), be.alloc('f32', rows));
      return weighted(down(y), w);
    };
    const mean = be.alloc('f32', rows), rstd = be.alloc('f32', rows);
    be.layerNorm(up(x), affine ? up(gamma) : null, affine ? up(beta) : null, rows, cols, eps,
      be.alloc('f32', rows * cols), mean, rstd);
    const dgamma = up(new Float32Array(cols).fill(NaN)), dbeta = up(new Float32Array(cols).fill(NaN));
    const run = (dx: Storage, accumulate: boolean): void => be.layerNormBackward(up(w), up(x),
      affine ? up(gamma) : null, mean, rstd, rows, cols, dx, dgamma, dbeta, accumulate);
    const dx = be.alloc('f32', rows * cols);
    run(dx, false);
    assertGrad(down(dx), numericGrad(x, all(rows * cols), (xs) => forward(xs, gamma, beta)), `layerNorm dx affine=${affine}`);
    if (affine) {
      // dgamma/dbeta were NaN-filled: they must be overwritten, not accumulated.
      assertGrad(down(dgamma), numericGrad(gamma, all(cols), (g) => forward(x, g, beta)), 'layerNorm dgamma');
      assertGrad(down(dbeta), numericGrad(beta, all(cols), (b) => forward(x, gamma, b)), 'layerNorm dbeta');
    }
    assertAccumulates(run, rows * cols, 'layerNormBackward');
  }
});

test('softmaxBackward: softmax and log-softmax with a scale', () => {
  const rows = 3, cols = 7, scale = 0.7;
  const x = randn(rows * cols, 2), w = randn(rows * cols);
  for (const log of [false, true]) {
    const objective = (xs: Float32Array): number => {
      const y = be.alloc('f32', rows * cols);
      be.softmax(up(xs), rows, cols, scale, log, y);
      return weighted(down(y), w);
    };
    const y = be.alloc('f32', rows * cols);
    be.softmax(up(x), rows, cols, scale, log, y);
    const run = (dx: Storage, accumulate: boolean): void =>
      be.softmaxBackward(y, up(w), rows, cols, scale, log, dx, accumulate);
    const dx = be.alloc('f32', rows * cols);
    run(dx, false);
    assertGrad(down(dx), numericGrad(x, all(rows * cols), objective), `softmaxBackward log=${log}`);
    assertAccumulates(run, rows * cols, `softmaxBackward log=${log}`);
  }
});

test('l2NormalizeBackward: ordinary rows and rows whose norm is clamped to eps', () => {
  const rows = 4, cols = 5;
  const x = randn(rows * cols);
  for (let c = 0; c < cols; c++) { x[c]! *= 10; x[cols + c]! *= 0.1; } // row 0: norm >> eps; row 1: norm << eps
  const w = randn(rows * cols);
  for (const eps of [1e-6, 3]) {
    const objective = (xs: Float32Array): number => {
      const y = be.alloc('f32', rows * cols);
      be.l2Normalize(up(xs), rows, cols, eps, y, be.alloc('f32', rows));
      return weighted(down(y), w);
    };
    const y = be.alloc('f32', rows * cols), norms = be.alloc('f32', rows);
    be.l2Normalize(up(x), rows, cols, eps, y, norms);
    const run = (dx: Storage, accumulate: boolean): void =>
      be.l2NormalizeBackward(up(w), y, norms, rows, cols, dx, accumulate);
    const dx = be.alloc('f32', rows * cols);
    run(dx, false);
    assertGrad(down(dx), numericGrad(x, all(rows * cols), objective), `l2NormalizeBackward eps=${eps}`);
    assertAccumulates(run, rows * cols, 'l2NormalizeBackward');
  }
});

test('attentionBackward: dq, dk, dv with causal and key-padding masks, strided inputs', () => {
  const cases = [
    { batch: 2, heads: 2, tq: 4, tk: 4, headDim: 3, causal: true, mask: [1, 1, 1, 0, 0, 1, 1, 1], pad: 0, off: 0 },
    { batch: 1, heads: 3, tq: 3, tk: 5, headDim: 2, causal: false, mask: null, pad: 2, off: 3 },
    { batch: 2, heads: 1, tq: 1, tk: 6, headDim: 4, causal: false, mask: [1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0], pad: 1,
      off: 1 },
  ];
  for (const c of cases) {
    const W = c.heads * c.headDim, ld = W + c.pad;
    const q = randn(c.off + c.batch * c.tq * ld), k = randn(c.off + c.batch * c.tk * ld);
    const v = randn(c.off + c.batch * c.tk * ld);
    const w = randn(c.batch * c.tq * W);
    const keyMask = c.mask ? upI(c.mask) : null;
    const params = (qs: Float32Array, ks: Float32Array, vs: Float32Array): AttentionParams => ({
      batch: c.batch, heads: c.heads, tq: c.tq, tk: c.tk, headDim: c.headDim, scale: 1 / Math.sqrt(c.headDim),
      causal: c.causal, keyMask, q: up(qs), qOff: c.off, ldq: ld, k: up(ks), kOff: c.off, ldk: ld, v: up(vs),
      vOff: c.off, ldv: ld,
    });
    const forward = (qs: Float32Array, ks: Float32Array, vs: Float32Array): number => {
      const out = be.alloc('f32', c.batch * c.tq * W);
      be.attention(params(qs, ks, vs), out, be.alloc('f32', c.batch * c.heads * c.tq * c.tk));
      return weighted(down(out), w);
    };
    const p = params(q, k, v);
    const probs = be.alloc('f32', c.batch * c.heads * c.tq * c.tk);
    be.attention(p, be.alloc('f32', c.batch * c.tq * W), probs);
    const dq = be.alloc('f32', c.batch * c.tq * W), dk = be.alloc('f32', c.batch * c.tk * W);
    const dv = be.alloc('f32', c.batch * c.tk * W);
    be.attentionBackward(p, probs, up(w), dq, dk, dv);
    // Storage position of element (row, col) of a (batch * t, W) input with row stride ld.
    const positions = (rows: number): number[] =>
      Array.from({ length: rows * W }, (_, i) => c.off + Math.floor(i / W) * ld + (i % W));
    const tag = JSON.stringify(c);
    assertGrad(down(dq), numericGrad(q, positions(c.batch * c.tq), (qs) => forward(qs, k, v)), `dq ${tag}`);
    assertGrad(down(dk), numericGrad(k, positions(c.batch * c.tk), (ks) => forward(q, ks, v)), `dk ${tag}`);
    assertGrad(down(dv), numericGrad(v, positions(c.batch * c.tk), (vs) => forward(q, k, vs)), `dv ${tag}`);
  }
});

test('crossEntropyBackward: label smoothing and an ignored row', () => {
  const n = 4, c = 5, smoothing = 0.1;
  const logits = randn(n * c, 2), labels = upI([2, -1, 0, 4]), dLoss = randn(n);
  const objective = (xs: Float32Array): number => {
    const loss = be.alloc('f32', n);
    be.crossEntropy(up(xs), labels, n, c, smoothing, loss, be.alloc('f32', n * c));
    return weighted(down(loss), dLoss);
  };
  const probs = be.alloc('f32', n * c);
  be.crossEntropy(up(logits), labels, n, c, smoothing, be.alloc('f32', n), probs);
  const run = (dx: Storage, accumulate: boolean): void =>
    be.crossEntropyBackward(probs, labels, n, c, smoothing, up(dLoss), dx, accumulate);
  const dx = be.alloc('f32', n * c);
  run(dx, false);
  const got = down(dx);
  assertGrad(got, numericGrad(logits, all(n * c), objective), 'crossEntropyBackward');
  assert.deepEqual(Array.from(got.subarray(c, 2 * c)), [0, 0, 0, 0, 0], 'ignored row has zero gradient');
  assertAccumulates(run, n * c, 'crossEntropyBackward');
});

test('klDivBackward: student and teacher gradients with temperature', () => {
  const n = 3, c = 5, T = 2;
  const student = randn(n * c, 2), teacher = randn(n * c, 2), dLoss = randn(n);
  const forward = (s: Float32Array, t: Float32Array): number => {
    const loss = be.alloc('f32', n);
    be.klDiv(up(s), up(t), n, c, T, loss, be.alloc('f32', n * c), be.alloc('f32', n * c));
    return weighted(down(loss), dLoss);
  };
  const logP = be.alloc('f32', n * c), logQ = be.alloc('f32', n * c);
  be.klDiv(up(student), up(teacher), n, c, T, be.alloc('f32', n), logP, logQ);
  const dS = be.alloc('f32', n * c), dT = be.alloc('f32', n * c);
  be.klDivBackward(logP, logQ, n, c, T, up(dLoss), dS, dT, false);
  assertGrad(down(dS), numericGrad(student, all(n * c), (s) => forward(s, teacher)), 'klDiv dStudent');
  assertGrad(down(dT), numericGrad(teacher, all(n * c), (t) => forward(student, t)), 'klDiv dTeacher');
  assertAccumulates((dx, acc) => be.klDivBackward(logP, logQ, n, c, T, up(dLoss), dx, null, acc), n * c, 'klDiv dStudent');
  assertAccumulates((dx, acc) => be.klDivBackward(logP, logQ, n, c, T, up(dLoss), null, dx, acc), n * c, 'klDiv dTeacher');
});

// ---------------------------------------------------------------------------------------------------------------
// Linear kernels: the backward is the adjoint, <F x, y> = <x, F^T y>.

function assertAdjoint(x: Float32Array, fx: Float32Array, y: Float32Array, fty: Float32Array, what: string): void {
  const lhs = weighted(fx, y), rhs = weighted(x, fty);
  assert.ok(Math.abs(lhs - rhs) <= 1e-5 * (1 + Math.abs(lhs)), `${what}: <Fx, y> = ${lhs}, <x, F^T y> = ${rhs}`);
}

test('indexAdd is the adjoint of indexSelect', () => {
  const outer = 2, n = 6, inner = 3, idx = upI([5, 0, 5, 3, 1]);
  const x = randn(outer * n * inner), y = randn(outer * 5 * inner);
  const fx = be.alloc('f32', y.length);
  be.indexSelect(up(x), outer, n, inner, idx, 5, fx);
  const fty = up(new Float32Array(x.length));
  be.indexAdd(up(y), outer, n, inner, idx, 5, fty);
  assertAdjoint(x, down(fx), y, down(fty), 'indexSelect/indexAdd');
});

test('patch2im is the adjoint of im2patch', () => {
  const [B, C, Hh, W, p] = [2, 3, 4, 6, 2];
  const x = randn(B * C * Hh * W), y = randn(x.length);
  const fx = be.alloc('f32', x.length), fty = be.alloc('f32', x.length);
  be.im2patch(up(x), B, C, Hh, W, p, fx);
  be.patch2im(up(y), B, C, Hh, W, p, fty, false);
  assertAdjoint(x, down(fx), y, down(fty), 'im2patch/patch2im');
});

test('sumTo is the adjoint of broadcasting in binary add; sumRows of the bias broadcast', () => {
  const shape = [3, 4, 5], small = [1, 4, 1];
  const x = randn(4), y = randn(60);
  const fx = be.alloc('f32', 60);
  be.binary('add', up(x), [0, 1, 0], up(new Float32Array(1)), [0, 0, 0], fx, shape);
  const fty = be.alloc('f32', 4);
  be.sumTo(up(y), shape, fty, small, false);
  assertAdjoint(x, down(fx), y, down(fty), 'broadcast/sumTo');
  const bias = randn(5), z = randn(35);
  const withBias = be.alloc('f32', 35);
  be.fill(withBias, 0);
  be.biasAct(withBias, up(bias), 7, 5, 'none', withBias);
  const dBias = be.alloc('f32', 5);
  be.sumRows(up(z), 7, 5, dBias, false);
  assertAdjoint(bias, down(withBias), z, down(dBias), 'biasAct bias/sumRows');
});

test('copy2d with accumulate is the adjoint of copy2d (slice vs. scatter)', () => {
  // Slice a 3 x 4 block out of a 5 x 7 matrix at (1, 2), then scatter it back.
  const x = randn(35), y = randn(12);
  const fx = be.alloc('f32', 12);
  be.copy2d(up(x), 1 * 7 + 2, 7, fx, 0, 4, 3, 4, false);
  const fty = up(new Float32Array(35));
  be.copy2d(up(y), 0, 4, fty, 1 * 7 + 2, 7, 3, 4, true);
  assertAdjoint(x, down(fx), y, down(fty), 'copy2d');
});
