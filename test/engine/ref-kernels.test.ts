/**
 * Forward kernels of the ref backend against independent naive float64 computations on small random inputs
 * (sizes 1 and 7, transposed and batched GEMMs, leading dimensions wider than the matrices, offsets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActKind, BinaryOp, GemmParams, Storage, UnaryOp } from '../../src/engine/backend.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { erf } from '../../src/engine/backends/ref/erf.js';
import { Rng } from '../../src/engine/rng.js';
import { randomArrays } from '../helpers/random.js';

const be = createRefBackend();
const rng = new Rng('ref-kernels');

const { randn } = randomArrays(rng);
const up = (a: ArrayLike<number>): Storage => be.upload(Float32Array.from(a));
const upI = (a: ArrayLike<number>): Storage => be.upload(Int32Array.from(a));
const down = (s: Storage): Float32Array => be.download(s) as Float32Array;

/** |actual - expected| <= tol * (1 + |expected|) elementwise, reporting the first offender. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue; // also covers equal infinities
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// GEMM

interface GemmCase {
  transA: boolean; transB: boolean; m: number; n: number; k: number; batch: number;
  alpha: number; beta: number; padA: number; padB: number; padC: number; offset: number; broadcastB: boolean;
}

function runGemmCase(c: GemmCase): void {
  const rowsA = c.transA ? c.k : c.m, colsA = c.transA ? c.m : c.k;
  const rowsB = c.transB ? c.n : c.k, colsB = c.transB ? c.k : c.n;
  const lda = colsA + c.padA, ldb = colsB + c.padB, ldc = c.n + c.padC;
  const strideA = rowsA * lda + 1, strideB = c.broadcastB ? 0 : rowsB * ldb + 2, strideC = c.m * ldc + 3;
  const aHost = randn(c.offset + c.batch * strideA);
  const bHost = randn(c.offset + (c.broadcastB ? 1 : c.batch) * (rowsB * ldb + 2));
  const cHost = randn(c.offset + c.batch * strideC);
  if (c.beta === 0) {
    // beta = 0 must not read C: every element of the C matrices is NaN, padding keeps its random value.
    for (let b = 0; b < c.batch; b++) {
      for (let i = 0; i < c.m; i++) cHost.fill(NaN, c.offset + b * strideC + i * ldc, c.offset + b * strideC + i * ldc + c.n);
    }
  }
  const expected = Float64Array.from(cHost);
  for (let b = 0; b < c.batch; b++) {
    const a0 = c.offset + b * strideA, b0 = c.offset + b * strideB, c0 = c.offset + b * strideC;
    const opA = (i: number, p: number): number => (c.transA ? aHost[a0 + p * lda + i]! : aHost[a0 + i * lda + p]!);
    const opB = (p: number, j: number): number => (c.transB ? bHost[b0 + j * ldb + p]! : bHost[b0 + p * ldb + j]!);
    for (let i = 0; i < c.m; i++) {
      for (let j = 0; j < c.n; j++) {
        let s = 0;
        for (let p = 0; p < c.k; p++) s += opA(i, p) * opB(p, j);
        const ci = c0 + i * ldc + j;
        expected[ci] = c.alpha * s + (c.beta === 0 ? 0 : c.beta * cHost[ci]!);
      }
    }
  }
  const A = up(aHost), B = up(bHost), C = up(cHost);
  const p: GemmParams = {
    transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, beta: c.beta,
    a: A, aOff: c.offset, lda, strideA, b: B, bOff: c.offset, ldb, strideB,
    c: C, cOff: c.offset, ldc, strideC, batch: c.batch,
  };
  be.gemm(p);
  assertClose(down(C), expected, 2e-6, `gemm ${JSON.stringify(c)}`);
}

test('gemm: all transpose cases, sizes 1..17, padding, offsets, alpha/beta', () => {
  const sizes: [number, number, number][] = [[1, 1, 1], [7, 7, 7], [1, 7, 3], [7, 1, 5], [5, 9, 1], [8, 8, 8],
    [13, 6, 17], [4, 11, 0]];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const [m, n, k] of sizes) {
        for (const [alpha, beta] of [[1, 0], [0.7, 0.5], [-1.5, 1]] as const) {
          runGemmCase({ transA, transB, m, n, k, batch: 1, alpha, beta, padA: 0, padB: 0, padC: 0, offset: 0,
            broadcastB: false });
          runGemmCase({ transA, transB, m, n, k, batch: 1, alpha, beta, padA: 3, padB: 2, padC: 5, offset: 4,
            broadcastB: false });
        }
      }
    }
  }
});

test('gemm: batched, with a stride-0 broadcast B', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const broadcastB of [false, true]) {
        runGemmCase({ transA, transB, m: 7, n: 5, k: 6, batch: 3, alpha: 0.5, beta: 0, padA: 1, padB: 2, padC: 3,
          offset: 2, broadcastB });
        runGemmCase({ transA, transB, m: 9, n: 4, k: 3, batch: 2, alpha: 1, beta: 2, padA: 0, padB: 0, padC: 0,
          offset: 0, broadcastB });
      }
    }
  }
});

test('gemm: rejects storages too small and lda below the width', () => {
  const a = be.alloc('f32', 6), b = be.alloc('f32', 6), c = be.alloc('f32', 4);
  const p: GemmParams = { transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1, beta: 0, a, aOff: 0, lda: 3,
    strideA: 0, b, bOff: 0, ldb: 2, strideB: 0, c, cOff: 0, ldc: 2, strideC: 0, batch: 1 };
  be.gemm(p);
  assert.throws(() => be.gemm({ ...p, aOff: 1 }), /ref\.gemm: A .* reaches element 6 but its storage has 6/);
  assert.throws(() => be.gemm({ ...p, lda: 2 }), /ref\.gemm: A leading dimension 2 is smaller than its width 3/);
  assert.throws(() => be.gemm({ ...p, batch: 2, strideC: 0 }), /strideC = 0/);
  assert.throws(() => be.gemm({ ...p, a: be.alloc('i32', 6) }), /ref\.gemm: A must be f32, got i32/);
});

// ---------------------------------------------------------------------------------------------------------------
// Elementwise and reductions

test('binary: broadcasting strides over rank 0..4, every op', () => {
  const ops: [BinaryOp, (x: number, y: number) => number][] = [['add', (x, y) => x + y], ['sub', (x, y) => x - y],
    ['mul', (x, y) => x * y], ['div', (x, y) => x / y]];
  // out (2, 3, 1, 4); a is a transposed (4, 3, 2) tensor; b broadcasts over axes 0 and 3.
  const shape = [2, 3, 1, 4];
  const aHost = randn(24), bHost = randn(3);
  for (let i = 0; i < 3; i++) bHost[i] = 1.5 + i;
  const aStrides = [1, 2, 0, 6], bStrides = [0, 1, 0, 0];
  for (const [op, f] of ops) {
    const out = be.alloc('f32', 24);
    be.binary(op, up(aHost), aStrides, up(bHost), bStrides, out, shape);
    const expected: number[] = [];
    for (let i0 = 0; i0 < 2; i0++) for (let i1 = 0; i1 < 3; i1++) for (let i3 = 0; i3 < 4; i3++) {
      expected.push(Math.fround(f(aHost[i0 + 2 * i1 + 6 * i3]!, bHost[i1]!)));
    }
    assert.deepEqual(Array.from(down(out)), expected, op);
  }
  const out = be.alloc('f32', 1);
  be.binary('mul', up([3]), [], up([-2]), [], out, []);
  assert.deepEqual(Array.from(down(out)), [-6]);
  assert.throws(() => be.binary('add', up([1, 2]), [1], up([1]), [1], be.alloc('f32', 2), [2]),
    /ref\.binary: b strides \[1\] reach element 1 but its storage has 1/);
  assert.throws(() => be.binary('add', up([1]), new Array(9).fill(0), up([1]), new Array(9).fill(0),
    be.alloc('f32', 1), new Array(9).fill(1)), /rank 9, more than MAX_RANK = 8/);
});

test('unary, affine, axpy', () => {
  const x = Float32Array.from(randn(7), (v) => Math.abs(v) + 0.1);
  const ops: [UnaryOp, (v: number) => number][] = [['neg', (v) => -v], ['exp', Math.exp], ['log', Math.log],
    ['sqrt', Math.sqrt], ['rsqrt', (v) => 1 / Math.sqrt(v)], ['square', (v) => v * v], ['abs', Math.abs],
    ['recip', (v) => 1 / v]];
  for (const [op, f] of ops) {
    const out = be.alloc('f32', 7);
    be.unary(op, up(x), out, 7);
    assertClose(down(out), Array.from(x, f), 1e-7, op);
  }
  const out = be.alloc('f32', 7);
  be.affine(up(x), -2, 0.5, out, 7);
  assertClose(down(out), Array.from(x, (v) => -2 * v + 0.5), 1e-7, 'affine');
  const y = randn(10);
  const Y = up(y);
  be.axpy(0.25, up(x), 2, Y, 3, 4);
  const expected = Array.from(y);
  for (let i = 0; i < 4; i++) expected[3 + i] = y[3 + i]! + 0.25 * x[2 + i]!;
  assertClose(down(Y), expected, 1e-7, 'axpy');
});

test('sumTo: every reduction pattern of a rank-3 tensor, overwrite and accumulate', () => {
  const xs = [3, 4, 5];
  const x = randn(60);
  const X = up(x);
  for (let mask = 0; mask < 8; mask++) {
    const os = xs.map((d, i) => ((mask >> i) & 1 ? 1 : d));
    const expected = new Float64Array(os[0]! * os[1]! * os[2]!);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let l = 0; l < 5; l++) {
      const o = ((os[0] === 1 ? 0 : i) * os[1]! + (os[1] === 1 ? 0 : j)) * os[2]! + (os[2] === 1 ? 0 : l);
      expected[o]! += x[(i * 4 + j) * 5 + l]!;
    }
    const out = be.alloc('f32', expected.length);
    be.sumTo(X, xs, out, os, false);
    assertClose(down(out), expected, 1e-6, `sumTo ${os}`);
    be.sumTo(X, xs, out, os, true);
    assertClose(down(out), expected.map((v) => 2 * v), 1e-6, `sumTo accumulate ${os}`);
  }
  assert.throws(() => be.sumTo(X, xs, be.alloc('f32', 60), [3, 2, 5], false), /out dim 1 is 2: must be 1 or the x dim 4/);
});

test('sumRows, sumSquares, scalar', () => {
  const x = randn(21);
  const out = up([1, 2, 3]);
  be.sumRows(up(x), 7, 3, out, true);
  const expected = [1, 2, 3];
  for (let r = 0; r < 7; r++) for (let c = 0; c < 3; c++) expected[c]! += x[r * 3 + c]!;
  assertClose(down(out), expected, 1e-6, 'sumRows');
  let ss = 0;
  for (const v of x) ss += v * v;
  assert.ok(Math.abs(be.sumSquares(up(x), 21) - ss) < 1e-12 * ss);
  assert.equal(be.scalar(up(x), 5), x[5]);
  assert.equal(be.scalar(upI([4, -9]), 1), -9);
  assert.throws(() => be.scalar(up(x), 21), /ref\.scalar: index 21 is out of range/);
});

// ---------------------------------------------------------------------------------------------------------------
// Activations

/** erf by its everywhere-convergent series of positive terms: 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!. */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 400 && Math.abs(term) > 1e-18 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

test('erf matches tabulated values and an independent series to 1e-14', () => {
  const table: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
    [3, 0.9999779095030014], [-1, -0.8427007929497149]];
  for (const [x, e] of table) assert.ok(Math.abs(erf(x) - e) < 1e-15, `erf(${x}) = ${erf(x)}, expected ${e}`);
  for (let x = -6; x <= 6; x += 0.01) {
    assert.ok(Math.abs(erf(x) - erfSeries(x)) < 1e-14 * Math.max(1, Math.abs(erf(x))), `erf(${x})`);
  }
  assert.equal(erf(0), 0);
  assert.equal(erf(30), 1);
  assert.equal(erf(-30), -1);
});

const actReference: Record<ActKind, (x: number) => number> = {
  none: (x) => x,
  gelu: (x) => 0.5 * x * (1 + erfSeries(x / Math.SQRT2)),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  quick_gelu: (x) => x / (1 + Math.exp(-1.702 * x)),
  relu: (x) => Math.max(x, 0),
};

test('biasAct: bias added in place, then each activation', () => {
  const rows = 7, cols = 5;
  const x = randn(rows * cols, 2);
  const bias = randn(cols);
  for (const kind of Object.keys(actReference) as ActKind[]) {
    for (const withBias of [false, true]) {
      const X = up(x);
      const out = be.alloc('f32', rows * cols);
      be.biasAct(X, withBias ? up(bias) : null, rows, cols, kind, out);
      const pre = Array.from(x, (v, i) => Math.fround(v + (withBias ? bias[i % cols]! : 0)));
      assert.deepEqual(Array.from(down(X)), pre, `${kind}: x holds the pre-activation`);
      assertClose(down(out), pre.map(actReference[kind]), 2e-7, `biasAct ${kind}`);
    }
  }
  const X = up(x);
  be.biasAct(X, up(bias), rows, cols, 'none', X);
  assertClose(down(X), Array.from(x, (v, i) => v + bias[i % cols]!), 1e-7, 'biasAct none in place');
});

// ---------------------------------------------------------------------------------------------------------------
// Normalisation

test('layerNorm with and without affine parameters', () => {
  for (const [rows, cols] of [[1, 1], [1, 7], [7, 5], [3, 64]] as const) {
    const x = randn(rows * cols, 3).map((v) => v + 2);
    const gamma = randn(cols), beta = randn(cols);
    for (const affine of [false, true]) {
      const y = be.alloc('f32', rows * cols), mean = be.alloc('f32', rows), rstd = be.alloc('f32', rows);
      be.layerNorm(up(x), affine ? up(gamma) : null, affine ? up(beta) : null, rows, cols, 1e-5, y, mean, rstd);
      const ey: number[] = [], em: number[] = [], er: number[] = [];
      for (let r = 0; r < rows; r++) {
        const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
        const mu = row.reduce((s, v) => s + v, 0) / cols;
        const variance = row.reduce((s, v) => s + (v - mu) ** 2, 0) / cols;
        const rs = 1 / Math.sqrt(variance + 1e-5);
        em.push(mu);
        er.push(rs);
        row.forEach((v, c) => ey.push(affine ? (v - mu) * rs * gamma[c]! + beta[c]! : (v - mu) * rs));
      }
      assertClose(down(y), ey, 2e-6, 'layerNorm y');
      assertClose(down(mean), em, 1e-7, 'layerNorm mean');
      assertClose(down(rstd), er, 1e-6, 'layerNorm rstd');
    }
  }
});

test('softmax and log-softmax with scale; a fully -Infinity row gives zeros', () => {
  const rows = 4, cols = 7;
  const x = randn(rows * cols, 3);
  x.fill(-Infinity, 0, cols);
  x[cols + 2] = -Infinity;
  for (const log of [false, true]) {
    for (const scale of [1, 0.3, 2.5]) {
      const y = be.alloc('f32', rows * cols);
      be.softmax(up(x), rows, cols, scale, log, y);
      const expected: number[] = [];
      for (let r = 0; r < rows; r++) {
        const z = Array.from(x.subarray(r * cols, (r + 1) * cols), (v) => v * scale);
        if (r === 0) {
          z.forEach(() => expected.push(log ? -Infinity : 0));
          continue;
        }
        const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
        z.forEach((v) => expected.push(log ? v - lse : Math.exp(v - lse)));
      }
      assertClose(down(y), expected, 1e-6, `softmax log=${log} scale=${scale}`);
    }
  }
});

test('l2Normalize, including a zero row clamped to eps', () => {
  const rows = 3, cols = 7;
  const x = randn(rows * cols);
  x.fill(0, cols, 2 * cols);
  const y = be.alloc('f32', rows * cols), norms = be.alloc('f32', rows);
  be.l2Normalize(up(x), rows, cols, 1e-6, y, norms);
  const ey: number[] = [], en: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const norm = Math.max(Math.sqrt(row.reduce((s, v) => s + v * v, 0)), 1e-6);
    en.push(norm);
    row.forEach((v) => ey.push(v / norm));
  }
  assertClose(down(y), ey, 1e-6, 'l2Normalize y');
  assertClose(down(norms), en, 1e-6, 'l2Normalize norms');
  assert.ok(Math.abs(down(norms)[1]! - 1e-6) < 1e-12);
});

// ---------------------------------------------------------------------------------------------------------------
// Attention

interface AttnCase {
  batch: number; heads: number; tq: number; tk: number; headDim: number; causal: boolean;
  mask: number[] | null; pad: number; offset: number;
}

/** Naive attention straight from the definition, in float64. */
function naiveAttention(c: AttnCase, q: Float32Array, k: Float32Array, v: Float32Array): { out: number[]; probs: number[] } {
  const W = c.heads * c.headDim;
  const ld = W + c.pad;
  const at = (t: Float32Array, b: number, rowsPerBatch: number, i: number, h: number, d: number): number =>
    t[c.offset + b * rowsPerBatch * ld + i * ld + h * c.headDim + d]!;
  const out = new Array<number>(c.batch * c.tq * W).fill(0);
  const probs: number[] = [];
  const scale = 1 / Math.sqrt(c.headDim);
  for (let b = 0; b < c.batch; b++) for (let h = 0; h < c.heads; h++) for (let i = 0; i < c.tq; i++) {
    const ok = (j: number): boolean => !(c.causal && j > i) && (c.mask === null || c.mask[b * c.tk + j] === 1);
    const s: number[] = [];
    for (let j = 0; j < c.tk; j++) {
      let dot = 0;
      for (let d = 0; d < c.headDim; d++) dot += at(q, b, c.tq, i, h, d) * at(k, b, c.tk, j, h, d);
      s.push(ok(j) ? Math.exp(scale * dot) : 0);
    }
    const sum = s.reduce((x, y) => x + y, 0);
    const p = s.map((e) => (sum > 0 ? e / sum : 0));
    probs.push(...p);
    for (let d = 0; d < c.headDim; d++) {
      let o = 0;
      for (let j = 0; j < c.tk; j++) o += p[j]! * at(v, b, c.tk, j, h, d);
      out[(b * c.tq + i) * W + h * c.headDim + d] = o;
    }
  }
  return { out, probs };
}

test('attention: causal, key padding, fully masked rows, strided inputs', () => {
  const cases: AttnCase[] = [
    { batch: 1, heads: 1, tq: 1, tk: 1, headDim: 1, causal: false, mask: null, pad: 0, offset: 0 },
    { batch: 2, heads: 3, tq: 5, tk: 5, headDim: 4, causal: true, mask: null, pad: 0, offset: 0 },
    { batch: 2, heads: 2, tq: 3, tk: 7, headDim: 5, causal: false, mask: [1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
      pad: 3, offset: 2 },
    { batch: 2, heads: 2, tq: 6, tk: 6, headDim: 3, causal: true, mask: [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1], pad: 1,
      offset: 5 },
  ];
  for (const c of cases) {
    const W = c.heads * c.headDim, ld = W + c.pad;
    const q = randn(c.offset + c.batch * c.tq * ld), k = randn(c.offset + c.batch * c.tk * ld);
    const v = randn(c.offset + c.batch * c.tk * ld);
    const out = be.alloc('f32', c.batch * c.tq * W), probs = be.alloc('f32', c.batch * c.heads * c.tq * c.tk);
    be.attention({ batch: c.batch, heads: c.heads, tq: c.tq, tk: c.tk, headDim: c.headDim,
      scale: 1 / Math.sqrt(c.headDim), causal: c.causal, keyMask: c.mask ? upI(c.mask) : null,
      q: up(q), qOff: c.offset, ldq: ld, k: up(k), kOff: c.offset, ldk: ld, v: up(v), vOff: c.offset, ldv: ld },
    out, probs);
    const ref = naiveAttention(c, q, k, v);
    const got = down(out);
    assert.ok(got.every(Number.isFinite), 'no NaN, even for fully masked rows');
    assertClose(got, ref.out, 2e-6, `attention out ${JSON.stringify(c)}`);
    assertClose(down(probs), ref.probs, 2e-6, `attention probs ${JSON.stringify(c)}`);
  }
});

test('attention: causal needs tq == tk', () => {
  const s = be.alloc('f32', 64);
  assert.throws(() => be.attention({ batch: 1, heads: 1, tq: 2, tk: 3, headDim: 2, scale: 1, causal: true,
    keyMask: null, q: s, qOff: 0, ldq: 2, k: s, kOff: 0, ldk: 2, v: s, vOff: 0, ldv: 2 }, s, s), /tq == tk/);
});

// ---------------------------------------------------------------------------------------------------------------
// Indexing

test('indexSelect gathers rows and rejects an index out of range with its value', () => {
  const outer = 2, n = 5, inner = 3;
  const src = randn(outer * n * inner);
  const idx = [4, 0, 4, 2];
  const out = be.alloc('f32', outer * idx.length * inner);
  be.indexSelect(up(src), outer, n, inner, upI(idx), idx.length, out);
  const expected: number[] = [];
  for (let o = 0; o < outer; o++) for (const j of idx) for (let c = 0; c < inner; c++) {
    expected.push(src[(o * n + j) * inner + c]!);
  }
  assert.deepEqual(Array.from(down(out)), expected);
  assert.throws(() => be.indexSelect(up(src), outer, n, inner, upI([1, 5]), 2, out),
    /ref\.indexSelect: idx\[1\] = 5 is out of range \[0, 5\)/);
  assert.throws(() => be.indexAdd(out, outer, n, inner, upI([-1, 0]), 2, up(src)),
    /ref\.indexAdd: idx\[0\] = -1 is out of range/);
});

test('indexAdd scatters with repeated indices', () => {
  const outer = 2, n = 4, inner = 3;
  const idx = [3, 1, 3];
  const dOut = randn(outer * idx.length * inner);
  const base = randn(outer * n * inner);
  const dSrc = up(base);
  be.indexAdd(up(dOut), outer, n, inner, upI(idx), idx.length, dSrc);
  const expected = Array.from(base);
  for (let o = 0; o < outer; o++) idx.forEach((row, j) => {
    for (let c = 0; c < inner; c++) expected[(o * n + row) * inner + c]! += dOut[(o * idx.length + j) * inner + c]!;
  });
  assertClose(down(dSrc), expected, 1e-6, 'indexAdd');
});

test('im2patch matches the (channel, row, col) patch layout; patch2im scatters back', () => {
  const [B, C, H, W, p] = [2, 3, 6, 4, 2];
  const x = randn(B * C * H * W);
  const out = be.alloc('f32', x.length);
  be.im2patch(up(x), B, C, H, W, p, out);
  const got = down(out);
  const gw = W / p, np = (H / p) * gw;
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    const patch = Math.floor(y / p) * gw + Math.floor(xx / p);
    const inPatch = (c * p + (y % p)) * p + (xx % p);
    assert.equal(got[(b * np + patch) * C * p * p + inPatch], x[((b * C + c) * H + y) * W + xx]);
  }
  const back = up(new Float32Array(x.length).fill(1));
  be.patch2im(out, B, C, H, W, p, back, true);
  assertClose(down(back), Array.from(x, (v) => v + 1), 1e-7, 'patch2im accumulate');
  be.patch2im(out, B, C, H, W, p, back, false);
  assert.deepEqual(down(back), x);
  assert.throws(() => be.im2patch(up(x), B, C, H, W, 4, out), /6 x 4 is not divisible into 4 x 4 patches/);
});
