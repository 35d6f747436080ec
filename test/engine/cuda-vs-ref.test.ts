/**
 * Every kernel of the cuda backend against the ref backend on awkward shapes (1, 7, 65, 77, 197, 257),
 * transposes, batch strides (including 0), offsets, padded leading dimensions and masks. Outputs are poisoned
 * with NaN first, so an element a kernel forgets to write fails the comparison. The comparisons run in 'fp32'
 * GEMM precision; 'tf32' and 'bf16' GEMMs and attention are checked with loose tolerances.
 * The whole file skips (with the reason) where the addon is not built or no GPU is present.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type {
  ActKind, AttentionParams, Backend, BinaryOp, DType, GemmParams, Storage, UnaryOp,
} from '../../src/engine/backend.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { tryLoadCudaBackend, type CudaBackend } from '../../src/engine/backends/cuda/index.js';
import { Rng } from '../../src/engine/rng.js';
import { randomArrays } from '../helpers/random.js';

const loaded = tryLoadCudaBackend({ precision: 'fp32' });
const skip: string | false = 'error' in loaded ? `cuda backend unavailable: ${loaded.error}` : false;
const ref = createRefBackend();
const rng = new Rng('cuda-vs-ref');

function cudaBackend(): CudaBackend {
  if ('error' in loaded) throw new Error(loaded.error);
  return loaded.backend;
}

/** One tensor on both backends. */
interface Twin { ref: Storage; cuda: Storage; dtype: DType; size: number }

function twin(data: Float32Array | Int32Array): Twin {
  return { ref: ref.upload(data), cuda: cudaBackend().upload(data), dtype: data instanceof Float32Array ? 'f32' : 'i32', size: data.length };
}

/** An output tensor, poisoned (NaN, or -777 for i32) on both backends. */
function out(size: number, dtype: DType = 'f32'): Twin {
  return twin(dtype === 'f32' ? new Float32Array(size).fill(NaN) : new Int32Array(size).fill(-777));
}

const { randn, uniform, ints } = randomArrays(rng);
/** Runs the same kernel calls on both backends; `s` picks a twin's storage for the backend at hand. */
function both(fn: (b: Backend, s: (t: Twin) => Storage) => void): void {
  fn(ref, (t) => t.ref);
  fn(cudaBackend(), (t) => t.cuda);
}

/**
 * Normwise comparison max|got - want| / max|want| <= tol. NaN and infinities must match exactly; with
 * `finite` (the default) every element must be finite, which catches unwritten (NaN-poisoned) elements.
 */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, finite = true,
  floor = 1e-30): number {
  assert.equal(got.length, want.length, `${what}: length`);
  let maxDiff = 0, maxRef = 0, worst = -1;
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (finite) assert.ok(Number.isFinite(a), `${what}: element ${i} is ${a} (ref ${b})`);
    if (!Number.isFinite(b) || !Number.isFinite(a)) {
      assert.ok(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `${what}: element ${i} is ${a}, ref ${b}`);
      continue;
    }
    maxRef = Math.max(maxRef, Math.abs(b));
    const d = Math.abs(a - b);
    if (d > maxDiff) { maxDiff = d; worst = i; }
  }
  const rel = maxDiff / Math.max(maxRef, floor);
  assert.ok(rel <= tol, `${what}: normwise relative error ${rel.toExponential(2)} > ${tol} ` +
    `(worst element ${worst}: ${got[worst]} vs ref ${want[worst]})`);
  return rel;
}

/** Downloads a twin from both backends and compares (i32: exactly). */
function check(t: Twin, tol: number, what: string, finite = true, floor = 1e-30): number {
  const want = ref.download(t.ref), got = cudaBackend().download(t.cuda);
  if (t.dtype === 'i32') {
    assert.deepEqual(Array.from(got), Array.from(want), what);
    return 0;
  }
  return assertClose(got, want, tol, what, finite, floor);
}

const TOL = 2e-5; // fp32 kernels against a float64-accumulating reference
const GEMM_TOL = 1e-4;

function cudaTest(name: string, fn: (t: TestContext) => void | Promise<void>): void {
  test(`cuda vs ref: ${name}`, { skip }, async (t) => {
    const cuda = cudaBackend();
    cuda.setPrecision('fp32');
    await fn(t);
    cuda.synchronize(); // surfaces any asynchronous error of the test
  });
}

// ---------------------------------------------------------------------------------------------------------------
// memory

cudaTest('upload / download / fill / copy / copy2d / cast', () => {
  const cuda = cudaBackend();
  for (const n of [0, 1, 7, 65537]) {
    const f = randn(n), i = ints(n, -1000, 1000);
    assert.deepEqual(cuda.download(cuda.upload(f)), f, `f32 round trip of ${n}`);
    assert.deepEqual(cuda.download(cuda.upload(i)), i, `i32 round trip of ${n}`);
  }
  const x = twin(randn(1000));
  assert.deepEqual(cuda.download(x.cuda, 65, 77), ref.download(x.ref, 65, 77), 'download with offset');
  both((b, s) => b.fill(s(x), 2.5, 7, 65));
  check(x, 0, 'fill part');
  const xi = twin(ints(257, 0, 9));
  both((b, s) => b.fill(s(xi), -3));
  check(xi, 0, 'fill i32');
  // copy, including overlapping ranges of one storage
  const y = twin(randn(1000));
  both((b, s) => b.copy(s(x), 3, s(y), 100, 257));
  both((b, s) => b.copy(s(y), 100, s(y), 150, 257));
  both((b, s) => b.copy(s(y), 500, s(y), 450, 197));
  check(y, 0, 'copy');
  // copy2d: padded leading dimensions, accumulate, one row, i32
  const dst = twin(randn(2000));
  both((b, s) => b.copy2d(s(x), 5, 77, s(dst), 11, 80, 7, 65, false));
  both((b, s) => b.copy2d(s(x), 0, 65, s(dst), 700, 197, 7, 65, true));
  both((b, s) => b.copy2d(s(x), 9, 0, s(dst), 1500, 3, 1, 257, false));
  check(dst, TOL, 'copy2d');
  const di = out(300, 'i32');
  both((b, s) => b.copy2d(s(xi), 0, 20, s(di), 0, 30, 9, 20, false));
  const diWant = ref.download(di.ref), diGot = cuda.download(di.cuda);
  assert.deepEqual(Array.from(diGot), Array.from(diWant), 'copy2d i32');
  // casts
  const f = twin(Float32Array.from([0, 1.9, -1.9, 7.5, -0.5, 1e6, -2147483520]));
  const fi = out(7, 'i32');
  both((b, s) => b.cast(s(f), s(fi), 7));
  check(fi, 0, 'cast f32 -> i32');
  const back = out(7);
  both((b, s) => b.cast(s(fi), s(back), 7));
  check(back, 0, 'cast i32 -> f32');
});

cudaTest('permute', () => {
  const cases: [number[], number[]][] = [
    [[7], [0]], [[7, 65], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[3, 1, 5, 7], [3, 1, 0, 2]], [[2, 197, 12, 8], [0, 2, 1, 3]],
    [[0, 5], [1, 0]], [[], []],
  ];
  for (const [shape, perm] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = twin(randn(n)), y = out(n);
    both((b, s) => b.permute(s(x), shape, perm, s(y)));
    check(y, 0, `permute [${shape}] by [${perm}]`);
  }
  const xi = twin(ints(12, 0, 100)), yi = out(12, 'i32');
  both((b, s) => b.permute(s(xi), [3, 4], [1, 0], s(yi)));
  check(yi, 0, 'permute i32');
});

// ---------------------------------------------------------------------------------------------------------------
// GEMM

interface GemmCase { transA: boolean; transB: boolean; m: number; n: number; k: number; batch: number; alpha: number;
  beta: number; pad: number; off: number; broadcast: 'none' | 'a' | 'b' }

function gemmCase(c: GemmCase): { params: (s: (t: Twin) => Storage) => GemmParams; cOut: Twin } {
  const rowsA = c.transA ? c.k : c.m, colsA = c.transA ? c.m : c.k;
  const rowsB = c.transB ? c.n : c.k, colsB = c.transB ? c.k : c.n;
  const lda = colsA + c.pad, ldb = colsB + 2 * c.pad, ldc = c.n + c.pad;
  const strideA = c.broadcast === 'a' ? 0 : rowsA * lda + 3;
  const strideB = c.broadcast === 'b' ? 0 : rowsB * ldb + 1;
  const strideC = c.m * ldc + 2;
  const a = twin(randn(c.off + Math.max(1, c.batch) * (rowsA * lda + 3)));
  const b = twin(randn(c.off + Math.max(1, c.batch) * (rowsB * ldb + 1)));
  const cOut = c.beta === 0 ? out(c.off + c.batch * strideC) : twin(randn(c.off + c.batch * strideC));
  return {
    cOut,
    params: (s) => ({
      transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, beta: c.beta,
      a: s(a), aOff: c.off, lda, strideA, b: s(b), bOff: c.off, ldb, strideB, c: s(cOut), cOff: c.off, ldc, strideC,
      batch: c.batch,
    }),
  };
}

cudaTest('gemm: transposes, batch strides (incl. 0), offsets, padded leading dimensions', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 65, 77], [197, 64, 257], [65, 7, 1], [77, 257, 197], [1, 197, 64]];
  let i = 0;
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const c: GemmCase = {
          transA, transB, m, n, k, batch: [1, 3, 2][i % 3]!, alpha: [1, -1.5, 0.125][i % 3]!,
          beta: [0, 0.5, 1][(i + 1) % 3]!, pad: i % 4, off: (i * 7) % 13, broadcast: (['none', 'a', 'b'] as const)[i % 3]!,
        };
        i++;
        const g = gemmCase(c);
        both((b, s) => b.gemm(g.params(s)));
        // C's padding (between rows and batches) keeps its poison / random values on both: compare all.
        const want = ref.download(g.cOut.ref), got = cudaBackend().download(g.cOut.cuda);
        assertClose(got, want, GEMM_TOL, `gemm ${JSON.stringify(c)}`, false);
      }
    }
  }
  // k = 0: C = beta * C
  const g = gemmCase({ transA: false, transB: false, m: 7, n: 5, k: 0, batch: 2, alpha: 1, beta: 0, pad: 0, off: 0, broadcast: 'none' });
  both((b, s) => b.gemm(g.params(s)));
  assertClose(cudaBackend().download(g.cOut.cuda), ref.download(g.cOut.ref), 0, 'gemm k = 0', false);
});

cudaTest('gemm and attention in tf32 and bf16 (loose tolerances; bf16 must take effect)', (t) => {
  const cuda = cudaBackend();
  // bf16 operands are rounded explicitly, so their error must show; cuBLAS may or may not use TF32 for a shape.
  for (const [precision, tol, minErr, mode] of [['tf32', 3e-3, 0, 'tune'], ['bf16', 2e-2, 1e-5, 'convert'],
    ['bf16', 2e-2, 1e-5, 'fast'], ['bf16', 2e-2, 1e-5, 'tune']] as const) {
    cuda.setPrecision(precision);
    cuda.setGemmBf16Mode(mode);
    assert.equal(cuda.precision, precision);
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      // beta = 0.5: accumulating into C (tuning must not touch the caller's C)
      const g = gemmCase({ transA, transB, m: 65, n: 257, k: 768, batch: 2, alpha: 1, beta: 0.5, pad: 1, off: 3, broadcast: 'b' });
      both((b, s) => b.gemm(g.params(s)));
      const err = assertClose(cuda.download(g.cOut.cuda), ref.download(g.cOut.ref), tol, `${precision} gemm`, false);
      t.diagnostic(`${precision} (${mode}) gemm transA=${transA} transB=${transB}: normwise relative error ${err.toExponential(2)}`);
      assert.ok(err >= minErr, `${precision} gemm matches fp32 too closely (${err}): is the precision applied?`);
    }
    if (precision === 'bf16' && mode === 'tune') assert.ok(cuda.gemmTuneStats().shapes >= 4, 'bf16 GEMM shapes were tuned');
    // head dim 32: the GEMM path, whose probabilities are real in every precision
    const { p, outT, probs } = attentionCase(2, 3, 77, 77, 32, true, true);
    both((b, s) => b.attention(p(s), s(outT), s(probs)));
    assert.equal(cuda.lastAttentionKernel, 'gemm');
    check(outT, tol, `${precision} attention out`);
    check(probs, tol, `${precision} attention probs`);
  }
  cuda.setPrecision('fp32');
  assert.throws(() => cuda.setPrecision('fp16' as never), /unknown GEMM precision/);
  assert.throws(() => cuda.setGemmBf16Mode('auto' as never), /unknown bf16 GEMM mode/);
});

cudaTest('bf16 gemm followed by biasAct on its output: one fused call (cuBLASLt bias epilogue), same results', () => {
  const cuda = cudaBackend();
  cuda.setPrecision('bf16');
  const before = cuda.gemmTuneStats().biasFused;
  const mm = (b: Backend, A: Storage, W: Storage, C: Storage, m: number, n: number, k: number, beta = 0) =>
    b.gemm({ transA: false, transB: true, m, n, k, alpha: 1, beta, a: A, aOff: 0, lda: k, strideA: 0, b: W, bOff: 0,
      ldb: k, strideB: 0, c: C, cOff: 0, ldc: n, strideC: 0, batch: 1 });
  for (const [m, n, k] of [[65, 256, 128], [77, 192, 64], [1, 4, 3]] as const) {
    const x = twin(randn(m * k)), w = twin(randn(n * k, 0.1)), bias = twin(randn(n));
    // linear without activation: bias added in place
    const y0 = out(m * n);
    both((b, s) => { mm(b, s(x), s(w), s(y0), m, n, k); b.biasAct(s(y0), s(bias), m, n, 'none', s(y0)); });
    check(y0, 2e-2, `fused gemm + bias ${m}x${n}x${k}`);
    // with an activation: pre-activation (with bias) kept, activation written elsewhere
    const pre = out(m * n), act = out(m * n);
    both((b, s) => { mm(b, s(x), s(w), s(pre), m, n, k); b.biasAct(s(pre), s(bias), m, n, 'quick_gelu', s(act)); });
    check(pre, 2e-2, `fused gemm + bias (quick_gelu) ${m}x${n}x${k}: pre-activation`);
    check(act, 2e-2, `fused gemm + bias (quick_gelu) ${m}x${n}x${k}: activation`);
    // a biasAct on another buffer, a download, beta = 1: the GEMM runs unfused, in order
    const y1 = out(m * n), other = twin(randn(m * n)), y2 = twin(randn(m * n));
    both((b, s) => { mm(b, s(x), s(w), s(y1), m, n, k); b.biasAct(s(other), s(bias), m, n, 'relu', s(other)); });
    check(y1, 2e-2, `gemm then an unrelated biasAct ${m}x${n}x${k}: gemm`);
    check(other, TOL, `gemm then an unrelated biasAct ${m}x${n}x${k}: biasAct`);
    both((b, s) => { mm(b, s(x), s(w), s(y2), m, n, k, 1); b.biasAct(s(y2), s(bias), m, n, 'none', s(y2)); });
    check(y2, 2e-2, `gemm (beta 1) then biasAct ${m}x${n}x${k}`);
  }
  const fused = cuda.gemmTuneStats().biasFused - before;
  assert.ok(fused === 0 || fused >= 6, `fused ${fused} GEMMs (none where cuBLASLt is missing, else at least 6)`);
  if (cuda.deviceName.includes('emulation')) assert.ok(fused >= 6, 'the emulation has cuBLASLt: GEMMs must fuse');
  cuda.setPrecision('fp32');
});

// ---------------------------------------------------------------------------------------------------------------
// elementwise and reductions

cudaTest('binary with broadcasting and transposed strides', () => {
  const cases: { shape: number[]; sa: number[]; sb: number[]; na: number; nb: number }[] = [
    { shape: [197, 65], sa: [65, 1], sb: [65, 1], na: 197 * 65, nb: 197 * 65 }, // same shape
    { shape: [197, 65], sa: [65, 1], sb: [0, 1], na: 197 * 65, nb: 65 }, // row broadcast
    { shape: [7, 77], sa: [1, 7], sb: [1, 0], na: 7 * 77, nb: 7 }, // transposed a, column broadcast
    { shape: [], sa: [], sb: [], na: 1, nb: 1 }, // rank 0
    { shape: [2, 3, 5, 7], sa: [105, 35, 7, 1], sb: [0, 0, 0, 0], na: 210, nb: 1 }, // scalar b
    { shape: [2, 1, 5, 7], sa: [70, 9, 1, 5], sb: [0, 0, 7, 1], na: 200, nb: 35 }, // permuted strides
    { shape: [3, 0, 4], sa: [0, 0, 0], sb: [0, 0, 0], na: 1, nb: 1 }, // empty
    { shape: [7, 256], sa: [256, 1], sb: [256, 1], na: 7 * 256, nb: 7 * 256 }, // same shape, float4 path
    { shape: [9, 128], sa: [128, 1], sb: [0, 1], na: 9 * 128, nb: 128 }, // row broadcast, float4 path
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
    for (const c of cases) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const a = twin(randn(c.na)), b = twin(uniform(c.nb, 0.5, 2)), o = out(n);
      both((be, s) => be.binary(op, s(a), c.sa, s(b), c.sb, s(o), c.shape));
      check(o, TOL, `binary ${op} [${c.shape}]`);
    }
  }
});

cudaTest('unary, affine, axpy', () => {
  for (const op of ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'abs', 'recip'] as UnaryOp[]) {
    const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt' || op === 'recip';
    for (const n of [1, 7, 65537]) {
      const x = twin(positive ? uniform(n, 0.1, 5) : randn(n)), o = out(n);
      both((b, s) => b.unary(op, s(x), s(o), n));
      check(o, TOL, `unary ${op} (${n})`);
    }
  }
  const x = twin(randn(1000)), o = out(1000), y = twin(randn(1000));
  both((b, s) => b.affine(s(x), -1.5, 0.25, s(o), 999));
  both((b, s) => b.axpy(0.75, s(x), 13, s(y), 200, 777));
  assertClose(cudaBackend().download(o.cuda, 0, 999), ref.download(o.ref, 0, 999), TOL, 'affine');
  check(y, TOL, 'axpy');
  // aligned multiples of 4: the float4 paths
  const o4 = out(1000), y4 = twin(randn(1000));
  both((b, s) => b.affine(s(x), 2, -1, s(o4), 1000));
  both((b, s) => b.axpy(-0.5, s(x), 0, s(y4), 0, 1000));
  check(o4, TOL, 'affine (float4)');
  check(y4, TOL, 'axpy (float4)');
});

cudaTest('sumTo, sumRows, sumSquares, scalar', () => {
  const cases: [number[], number[]][] = [
    [[197, 768], [1, 768]], [[7, 65], [7, 1]], [[2, 3, 4, 5], [1, 3, 1, 5]], [[2, 3, 4, 5], [1, 1, 1, 1]],
    [[1, 1], [1, 1]], [[7, 77], [7, 77]], [[], []], [[3, 1, 257], [1, 1, 257]], [[65, 1, 7], [65, 1, 1]],
    [[4, 0, 3], [4, 1, 3]], [[100003], [1]], [[5, 197, 64], [1, 197, 64]],
  ];
  for (const [xs, os] of cases) {
    for (const acc of [false, true]) {
      const nx = xs.reduce((a, b) => a * b, 1), no = os.reduce((a, b) => a * b, 1);
      const x = twin(randn(nx)), o = acc ? twin(randn(no)) : out(no);
      both((b, s) => b.sumTo(s(x), xs, s(o), os, acc));
      check(o, 1e-5, `sumTo [${xs}] -> [${os}]${acc ? ' (accumulate)' : ''}`);
    }
  }
  for (const [rows, cols] of [[1, 7], [257, 65], [3000, 77], [0, 5], [12, 1], [1, 4], [3001, 2304], [197, 132]]) {
    for (const acc of [false, true]) {
      const x = twin(randn(rows * cols)), o = acc ? twin(randn(cols)) : out(cols);
      both((b, s) => b.sumRows(s(x), rows, cols, s(o), acc));
      check(o, 1e-5, `sumRows ${rows} x ${cols}`);
    }
  }
  const cuda = cudaBackend();
  for (const n of [0, 1, 7, 100003]) {
    const x = twin(randn(n + 5));
    const want = ref.sumSquares(x.ref, n), got = cuda.sumSquares(x.cuda, n);
    assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, want), `sumSquares(${n}): ${got} vs ${want}`);
  }
  const x = twin(randn(77)), xi = twin(ints(7, -50, 50));
  assert.equal(cuda.scalar(x.cuda, 76), ref.scalar(x.ref, 76));
  assert.equal(cuda.scalar(xi.cuda, 3), ref.scalar(xi.ref, 3));
  assert.throws(() => cuda.scalar(x.cuda, 77), /outside/);
});

// ---------------------------------------------------------------------------------------------------------------
// activations and normalisation

cudaTest('biasAct and actBackward', () => {
  for (const kind of ['none', 'gelu', 'gelu_tanh', 'quick_gelu', 'relu'] as ActKind[]) {
    for (const [rows, cols] of [[1, 1], [7, 65], [197, 257], [33, 128]]) {
      for (const withBias of [false, true]) {
        for (const inPlace of [false, true]) {
          const x = twin(randn(rows * cols, 2)), bias = withBias ? twin(randn(cols)) : null;
          const o = inPlace ? x : out(rows * cols);
          both((b, s) => b.biasAct(s(x), bias ? s(bias) : null, rows, cols, kind, s(o)));
          check(o, TOL, `biasAct ${kind} ${rows}x${cols} bias=${withBias} inPlace=${inPlace}`);
          check(x, TOL, `biasAct ${kind}: x after the bias add`);
        }
      }
      for (const acc of [false, true]) {
        const n = rows * cols;
        const x = twin(randn(n, 2)), dy = twin(randn(n)), dx = acc ? twin(randn(n)) : out(n);
        both((b, s) => b.actBackward(kind, s(x), s(dy), s(dx), n, acc));
        check(dx, TOL, `actBackward ${kind} ${rows}x${cols} acc=${acc}`);
      }
    }
  }
});

cudaTest('layerNorm forward and backward', () => {
  for (const [rows, cols] of [[1, 1], [7, 65], [197, 768], [3, 1000], [33, 128], [9, 1024], [4200, 64], [5, 4]]) {
    for (const affine of [false, true]) {
      const x = twin(randn(rows * cols, 3)), g = affine ? twin(randn(cols)) : null, be = affine ? twin(randn(cols)) : null;
      const y = out(rows * cols), mean = out(rows), rstd = out(rows);
      both((b, s) => b.layerNorm(s(x), g ? s(g) : null, be ? s(be) : null, rows, cols, 1e-5, s(y), s(mean), s(rstd)));
      check(y, 1e-5, `layerNorm ${rows}x${cols}`);
      check(mean, 1e-5, 'layerNorm mean');
      check(rstd, 1e-5, 'layerNorm rstd');
      for (const acc of [false, true]) {
        const dy = twin(randn(rows * cols)), dx = acc ? twin(randn(rows * cols)) : out(rows * cols);
        const dg = affine ? out(cols) : null, db = affine ? out(cols) : null;
        both((b, s) => b.layerNormBackward(s(dy), s(x), g ? s(g) : null, s(mean), s(rstd), rows, cols, s(dx),
          dg ? s(dg) : null, db ? s(db) : null, acc));
        check(dx, 1e-4, `layerNormBackward dx ${rows}x${cols} acc=${acc}`);
        if (dg && db) {
          check(dg, 1e-5, 'layerNormBackward dgamma');
          check(db, 1e-5, 'layerNormBackward dbeta');
        }
      }
    }
  }
});

cudaTest('softmax / log-softmax forward and backward (incl. a fully masked row)', () => {
  for (const [rows, cols] of [[1, 1], [7, 65], [197, 257], [2, 3000]]) {
    for (const log of [false, true]) {
      for (const scale of [1, 0.125, -2]) {
        const what = `softmax ${rows}x${cols} log=${log} scale=${scale}`;
        const masked = rows > 1 && scale > 0; // row 0 all -inf: zeros (log: -inf)
        const xh = randn(rows * cols, 3);
        if (masked) xh.fill(-Infinity, 0, cols);
        const x = twin(xh), y = out(rows * cols);
        both((b, s) => b.softmax(s(x), rows, cols, scale, log, s(y)));
        check(y, 1e-5, what, !masked);
        if (masked) continue; // no gradient through -inf inputs
        for (const acc of [false, true]) {
          const dy = twin(randn(rows * cols)), dx = acc ? twin(randn(rows * cols)) : out(rows * cols);
          both((b, s) => b.softmaxBackward(s(y), s(dy), rows, cols, scale, log, s(dx), acc));
          check(dx, 1e-5, `${what}: backward acc=${acc}`);
        }
      }
    }
  }
});

cudaTest('l2Normalize forward and backward (incl. a clamped zero row)', () => {
  for (const [rows, cols] of [[1, 1], [7, 65], [100, 512]]) {
    const xh = randn(rows * cols);
    if (rows > 1) xh.fill(0, 0, cols);
    const x = twin(xh), y = out(rows * cols), norms = out(rows);
    both((b, s) => b.l2Normalize(s(x), rows, cols, 1e-6, s(y), s(norms)));
    check(y, 1e-5, `l2Normalize ${rows}x${cols}`);
    check(norms, 1e-5, 'l2Normalize norms');
    for (const acc of [false, true]) {
      const dy = twin(randn(rows * cols)), dx = acc ? twin(randn(rows * cols)) : out(rows * cols);
      both((b, s) => b.l2NormalizeBackward(s(dy), s(y), s(norms), rows, cols, s(dx), acc));
      check(dx, 1e-5, `l2NormalizeBackward ${rows}x${cols} acc=${acc}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------
// attention

/**
 * q, k, v packed as one (batch, t, 3 * width) buffer for self-attention (tq == tk), as after a fused QKV
 * projection; separate padded buffers with offsets otherwise. keyMask hides a few keys, and all of batch 1's keys.
 */
function attentionCase(batch: number, heads: number, tq: number, tk: number, headDim: number, causal: boolean,
  masked: boolean) {
  const width = heads * headDim;
  let qT: Twin, kT: Twin, vT: Twin, qOff: number, kOff: number, vOff: number, ldq: number, ldk: number, ldv: number;
  if (tq === tk) {
    const qkv = twin(randn(batch * tq * 3 * width));
    qT = kT = vT = qkv;
    ldq = ldk = ldv = 3 * width;
    qOff = 0; kOff = width; vOff = 2 * width;
  } else {
    ldq = width + 3; ldk = width + 5; ldv = width;
    qOff = 2; kOff = 1; vOff = 0;
    qT = twin(randn(qOff + batch * tq * ldq));
    kT = twin(randn(kOff + batch * tk * ldk));
    vT = twin(randn(vOff + batch * tk * ldv));
  }
  let maskT: Twin | null = null;
  if (masked) {
    const m = new Int32Array(batch * tk).fill(1);
    for (let j = 0; j < tk; j++) if (j % 5 === 3) m[j] = 0;
    if (batch > 1) m.fill(0, tk, 2 * tk); // batch 1: every key hidden -> zero probabilities and output
    maskT = twin(m);
  }
  const outT = out(batch * tq * width), probs = out(batch * heads * tq * tk);
  const p = (s: (t: Twin) => Storage): AttentionParams => ({
    batch, heads, tq, tk, headDim, scale: 1 / Math.sqrt(headDim), causal, keyMask: maskT ? s(maskT) : null,
    q: s(qT), qOff, ldq, k: s(kT), kOff, ldk, v: s(vT), vOff, ldv,
  });
  return { p, outT, probs, width };
}

cudaTest('attention forward and backward: causal, key masks, cross-attention, T up to 257', () => {
  const cases: [number, number, number, number, number, boolean, boolean][] = [
    [1, 1, 1, 1, 1, false, false],
    [2, 3, 7, 7, 16, true, false],
    [2, 2, 1, 65, 8, false, true],
    [3, 8, 77, 77, 64, true, true],
    [2, 12, 197, 197, 64, false, false],
    [2, 2, 257, 257, 32, false, true],
    [2, 4, 65, 7, 16, false, false],
  ];
  for (const [batch, heads, tq, tk, hd, causal, masked] of cases) {
    const what = `attention b${batch} h${heads} tq${tq} tk${tk} d${hd} causal=${causal} mask=${masked}`;
    const { p, outT, probs, width } = attentionCase(batch, heads, tq, tk, hd, causal, masked);
    both((b, s) => b.attention(p(s), s(outT), s(probs)));
    check(outT, 1e-4, `${what}: out`);
    check(probs, 1e-5, `${what}: probs`);
    const dOut = twin(randn(batch * tq * width));
    const dq = out(batch * tq * width), dk = out(batch * tk * width), dv = out(batch * tk * width);
    both((b, s) => b.attentionBackward(p(s), s(probs), s(dOut), s(dq), s(dk), s(dv)));
    check(dq, 1e-4, `${what}: dq`);
    check(dk, 1e-4, `${what}: dk`);
    check(dv, 1e-4, `${what}: dv`);
  }
});

// The fused kernels (bf16, head dim 64): bf16 operands, so loose tolerances (normwise errors are about 1e-2 here,
// as for the bf16 GEMM path; a wrong fragment or mask gives O(1)); probs is their opaque scratch.
const FUSED_TOL = 4e-2;

cudaTest('fused attention (bf16, head dim 64): lengths 1..257, causal, key masks, cross-attention, fallback', (t) => {
  const cuda = cudaBackend();
  cuda.setPrecision('bf16');
  const cases: [number, number, number, number, number, boolean, boolean][] = [
    [1, 1, 1, 1, 64, false, false],
    [2, 3, 7, 7, 64, true, false],
    [2, 2, 65, 65, 64, false, true],
    [3, 2, 77, 77, 64, true, true],
    [2, 2, 197, 197, 64, false, false],
    [1, 2, 257, 257, 64, true, true],
    [2, 2, 1, 65, 64, false, true], // cross-attention, unaligned offsets and row strides
    [2, 3, 65, 7, 64, false, false],
    [2, 2, 77, 77, 32, true, true], // other head dims: the GEMM path, in bf16
    [2, 2, 7, 65, 16, false, true],
  ];
  let worst = 0;
  for (const [batch, heads, tq, tk, hd, causal, masked] of cases) {
    const what = `bf16 attention b${batch} h${heads} tq${tq} tk${tk} d${hd} causal=${causal} mask=${masked}`;
    const { p, outT, probs, width } = attentionCase(batch, heads, tq, tk, hd, causal, masked);
    both((b, s) => b.attention(p(s), s(outT), s(probs)));
    assert.equal(cuda.lastAttentionKernel, hd === 64 ? 'fused' : 'gemm', `${what}: kernel`);
    const eo = check(outT, FUSED_TOL, `${what}: out`);
    if (process.env.MULKI_TEST_VERBOSE) t.diagnostic(`${what}: out ${eo.toExponential(2)}`);
    worst = Math.max(worst, eo);
    if (hd !== 64) check(probs, FUSED_TOL, `${what}: probs`);
    const dOut = twin(randn(batch * tq * width));
    const dq = out(batch * tq * width), dk = out(batch * tk * width), dv = out(batch * tk * width);
    both((b, s) => b.attentionBackward(p(s), s(probs), s(dOut), s(dq), s(dk), s(dv)));
    for (const [g, name] of [[dq, 'dq'], [dk, 'dk'], [dv, 'dv']] as const) {
      // with one key, dq and dk are exactly 0 in the reference: errors count against the scale of dv (~1)
      const e = check(g, FUSED_TOL, `${what}: ${name}`, true, tk === 1 ? 1 : 1e-30);
      if (process.env.MULKI_TEST_VERBOSE) t.diagnostic(`${what}: ${name} ${e.toExponential(2)}`);
      worst = Math.max(worst, e);
    }
  }
  t.diagnostic(`fused attention: worst normwise relative error ${worst.toExponential(2)}`);
  assert.ok(worst > 1e-5, 'the fused kernels match fp32 too closely: are bf16 operands used?');
  // a backward after a precision change still reads the fused forward's scratch correctly
  const { p, outT, probs, width } = attentionCase(2, 2, 77, 77, 64, true, false);
  both((b, s) => b.attention(p(s), s(outT), s(probs)));
  cuda.setPrecision('fp32');
  const dOut = twin(randn(2 * 77 * width)), dq = out(2 * 77 * width), dk = out(2 * 77 * width), dv = out(2 * 77 * width);
  both((b, s) => b.attentionBackward(p(s), s(probs), s(dOut), s(dq), s(dk), s(dv)));
  check(dq, FUSED_TOL, 'fused forward, backward after setPrecision(fp32): dq');
  check(dv, FUSED_TOL, 'fused forward, backward after setPrecision(fp32): dv');
});

cudaTest('attentionBackwardInto: packed strided gradients, accumulate (fused and GEMM paths)', () => {
  const cuda = cudaBackend();
  for (const [precision, hd] of [['bf16', 64], ['fp32', 64], ['fp32', 16]] as const) {
    cuda.setPrecision(precision);
    const tol = precision === 'bf16' ? FUSED_TOL : 1e-4;
    const batch = 2, heads = 2, T = 77, width = heads * hd;
    const { p, outT, probs } = attentionCase(batch, heads, T, T, hd, true, true);
    both((b, s) => b.attention(p(s), s(outT), s(probs)));
    const dOut = twin(randn(batch * T * width));
    for (const acc of [false, true]) {
      // the ref: contiguous gradients copied (added) into the packed layout
      const packed = acc ? twin(randn(batch * T * 3 * width)) : out(batch * T * 3 * width);
      const dq = ref.alloc('f32', batch * T * width), dk = ref.alloc('f32', batch * T * width), dv = ref.alloc('f32', batch * T * width);
      ref.attentionBackward(p((t) => t.ref), probs.ref, dOut.ref, dq, dk, dv);
      [dq, dk, dv].forEach((d, i) => ref.copy2d(d, 0, width, packed.ref, i * width, 3 * width, batch * T, width, acc));
      cuda.attentionBackwardInto(p((t) => t.cuda), probs.cuda, dOut.cuda, { dq: packed.cuda, dqOff: 0, ldq: 3 * width,
        dk: packed.cuda, dkOff: width, ldk: 3 * width, dv: packed.cuda, dvOff: 2 * width, ldv: 3 * width }, acc);
      check(packed, tol, `attentionBackwardInto ${precision} d${hd} accumulate=${acc}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------
// indexing

cudaTest('indexSelect, indexAdd, im2patch, patch2im', () => {
  for (const [outer, n, inner, nIdx] of [[1, 49408 / 64, 512, 77], [3, 7, 5, 11], [2, 65, 1, 1]]) {
    const src = twin(randn(outer * n * inner)), idx = twin(ints(nIdx, 0, n)), o = out(outer * nIdx * inner);
    both((b, s) => b.indexSelect(s(src), outer, n, inner, s(idx), nIdx, s(o)));
    check(o, 0, `indexSelect ${outer}x${n}x${inner} by ${nIdx}`);
    const dOut = twin(randn(outer * nIdx * inner)), dSrc = twin(randn(outer * n * inner));
    both((b, s) => b.indexAdd(s(dOut), outer, n, inner, s(idx), nIdx, s(dSrc)));
    check(dSrc, 1e-5, `indexAdd ${outer}x${n}x${inner} by ${nIdx} (repeated indices)`);
  }
  for (const [batch, ch, h, w, p] of [[2, 3, 32, 48, 16], [1, 1, 7, 14, 7], [2, 3, 5, 5, 1], [1, 3, 224, 224, 16]]) {
    const n = batch * ch * h * w;
    const x = twin(randn(n)), patches = out(n);
    both((b, s) => b.im2patch(s(x), batch, ch, h, w, p, s(patches)));
    check(patches, 0, `im2patch ${batch}x${ch}x${h}x${w} p${p}`);
    for (const acc of [false, true]) {
      const dx = acc ? twin(randn(n)) : out(n);
      both((b, s) => b.patch2im(s(patches), batch, ch, h, w, p, s(dx), acc));
      check(dx, 1e-6, `patch2im ${batch}x${ch}x${h}x${w} p${p} acc=${acc}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------
// losses, top-k, AdamW

cudaTest('crossEntropy with label smoothing and ignored labels, and its backward', () => {
  for (const [n, c] of [[1, 1], [64, 100], [7, 1000], [100, 77]]) {
    for (const smoothing of [0, 0.2]) {
      const labels = ints(n, 0, c);
      if (n > 2) labels[1] = -1; // ignored
      const logits = twin(randn(n * c, 4)), y = twin(labels), loss = out(n), probs = out(n * c);
      both((b, s) => b.crossEntropy(s(logits), s(y), n, c, smoothing, s(loss), s(probs)));
      check(loss, 1e-5, `crossEntropy ${n}x${c} eps=${smoothing}: loss`);
      check(probs, 1e-5, `crossEntropy ${n}x${c}: probs`);
      for (const acc of [false, true]) {
        const dLoss = twin(randn(n)), dl = acc ? twin(randn(n * c)) : out(n * c);
        both((b, s) => b.crossEntropyBackward(s(probs), s(y), n, c, smoothing, s(dLoss), s(dl), acc));
        check(dl, 1e-5, `crossEntropyBackward ${n}x${c} eps=${smoothing} acc=${acc}`);
      }
    }
  }
});

cudaTest('klDiv with temperature, and its backward', () => {
  for (const [n, c] of [[1, 1], [64, 100], [7, 1000]]) {
    for (const T of [1, 2]) {
      const st = twin(randn(n * c, 3)), te = twin(randn(n * c, 3));
      const loss = out(n), logP = out(n * c), logQ = out(n * c);
      both((b, s) => b.klDiv(s(st), s(te), n, c, T, s(loss), s(logP), s(logQ)));
      check(loss, 1e-4, `klDiv ${n}x${c} T=${T}: loss`);
      check(logP, 1e-5, 'klDiv logP');
      check(logQ, 1e-5, 'klDiv logQ');
      for (const [withS, withT, acc] of [[true, true, false], [true, false, true], [false, true, true]] as const) {
        const dLoss = twin(randn(n));
        const dS = withS ? (acc ? twin(randn(n * c)) : out(n * c)) : null;
        const dT = withT ? (acc ? twin(randn(n * c)) : out(n * c)) : null;
        both((b, s) => b.klDivBackward(s(logP), s(logQ), n, c, T, s(dLoss), dS ? s(dS) : null, dT ? s(dT) : null, acc));
        if (dS) check(dS, 1e-5, `klDivBackward dStudent ${n}x${c} T=${T} acc=${acc}`);
        if (dT) check(dT, 1e-5, `klDivBackward dTeacher ${n}x${c} T=${T} acc=${acc}`);
      }
    }
  }
});

cudaTest('topk: ties to the lower index, k = 1 and k = cols, NaN ranks first', () => {
  for (const [rows, cols, k] of [[1, 1, 1], [7, 65, 5], [64, 1000, 1], [3, 77, 77], [100, 257, 10]]) {
    const xh = new Float32Array(rows * cols);
    for (let i = 0; i < xh.length; i++) xh[i] = rng.int(20) - 10; // many ties
    if (rows > 2) xh[cols + 3] = NaN;
    const x = twin(xh), values = out(rows * k), indices = out(rows * k, 'i32');
    both((b, s) => b.topk(s(x), rows, cols, k, s(values), s(indices)));
    check(indices, 0, `topk ${rows}x${cols} k=${k}: indices`);
    check(values, 0, `topk ${rows}x${cols} k=${k}: values`, false);
  }
});

cudaTest('adamwMulti matches adamw per tensor (own weight decays; empty tensors)', () => {
  const cuda = cudaBackend();
  const sizes = [1, 7, 100003, 0, 768, 4096, 4097];
  // more tensors than one launch takes (kAdamMultiMax = 48)
  for (let i = 0; i < 50; i++) sizes.push(1 + ((i * 37) % 300));
  const tensors = sizes.map((n) => ({ p: twin(randn(n)), m: twin(randn(n, 0.1)), v: twin(uniform(n, 0, 0.1)), n }));
  for (let t = 1; t <= 2; t++) {
    const grads = sizes.map((n) => twin(randn(n)));
    const bc1 = 1 - 0.9 ** t, bc2 = 1 - 0.999 ** t;
    tensors.forEach((x, i) => ref.adamw(x.p.ref, grads[i]!.ref, x.m.ref, x.v.ref, x.n, 1e-3, 0.9, 0.999, 1e-8,
      i % 2 ? 0.1 : 0, bc1, bc2, 0.5));
    cuda.adamwMulti(tensors.map((x, i) => ({ p: x.p.cuda, g: grads[i]!.cuda, m: x.m.cuda, v: x.v.cuda, n: x.n,
      weightDecay: i % 2 ? 0.1 : 0 })), 1e-3, 0.9, 0.999, 1e-8, bc1, bc2, 0.5);
  }
  tensors.forEach((x, i) => {
    if (x.n === 0) return;
    check(x.p, 1e-5, `adamwMulti p (tensor ${i}, ${x.n})`);
    check(x.m, 1e-5, `adamwMulti m (tensor ${i})`);
    check(x.v, 1e-5, `adamwMulti v (tensor ${i})`);
  });
  assert.throws(() => cuda.adamwMulti([{ p: tensors[0]!.p.cuda, g: tensors[0]!.p.cuda, m: tensors[0]!.m.cuda,
    v: tensors[0]!.v.cuda, n: 2, weightDecay: 0 }], 1e-3, 0.9, 0.999, 1e-8, 1, 1, 1), /tensor 0 p needs 2 elements/);
});

cudaTest('adamw, several steps', () => {
  for (const n of [1, 7, 100003]) {
    const p = twin(randn(n)), m = twin(new Float32Array(n)), v = twin(new Float32Array(n));
    for (let t = 1; t <= 3; t++) {
      const g = twin(randn(n));
      const bc1 = 1 - 0.9 ** t, bc2 = 1 - 0.999 ** t;
      both((b, s) => b.adamw(s(p), s(g), s(m), s(v), n, 1e-3, 0.9, 0.999, 1e-8, 0.1, bc1, bc2, 0.5));
    }
    check(p, 1e-5, `adamw p (${n})`);
    check(m, 1e-5, `adamw m (${n})`);
    check(v, 1e-5, `adamw v (${n})`);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// memory management, errors found on the device, and a chain of kernels without synchronisation

cudaTest('allocator: release recycles, stats add up, trimPool empties the pool', () => {
  const cuda = cudaBackend();
  cuda.synchronize();
  const before = cuda.memoryStats();
  const a = cuda.alloc('f32', 1 << 20);
  const mid = cuda.memoryStats();
  assert.ok(mid.liveBytes >= before.liveBytes + 4 * (1 << 20), 'live bytes grow by the allocation');
  cuda.release(a);
  assert.equal(a.alive, false);
  assert.throws(() => cuda.release(a), /already released/);
  assert.throws(() => cuda.fill(a, 1), /released/);
  const afterRelease = cuda.memoryStats();
  assert.ok(afterRelease.pooledBytes >= 4 * (1 << 20), 'the block went to the pool');
  const b = cuda.alloc('f32', 1 << 20);
  assert.equal(cuda.memoryStats().allocations, afterRelease.allocations, 'same size again: no new cudaMalloc');
  cuda.release(b);
  cuda.trimPool();
  assert.equal(cuda.memoryStats().pooledBytes, 0);
  assert.equal(cuda.alloc('i32', 0).size, 0);
  assert.throws(() => cuda.alloc('f32', -1), /invalid size/);
  assert.throws(() => cuda.fill(ref.alloc('f32', 4), 0), /must be a cuda storage/);
  const mem = cuda.deviceMemory();
  assert.ok(mem.total > 0 && mem.free <= mem.total);
  assert.ok(cuda.deviceName.length > 0);
});

cudaTest('storages dropped without release return to the pool (FinalizationRegistry; needs --expose-gc)', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    t.skip('run node with --expose-gc to check this');
    return;
  }
  const cuda = cudaBackend();
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await settle(); // earlier tests' garbage first
  const before = cuda.memoryStats();
  (() => {
    for (let i = 0; i < 8; i++) cuda.alloc('f32', 1 << 18);
  })();
  assert.ok(cuda.memoryStats().liveBytes >= before.liveBytes + 8 * 4 * (1 << 18));
  await settle();
  const after = cuda.memoryStats();
  assert.ok(after.liveBytes <= before.liveBytes, `live bytes ${after.liveBytes} > ${before.liveBytes}: storages leaked`);
  assert.ok(after.pooledBytes >= before.pooledBytes + 8 * 4 * (1 << 18), 'the blocks went to the pool');
});

cudaTest('errors found on the device surface at the next synchronising call, then clear', () => {
  const cuda = cudaBackend();
  const src = cuda.upload(randn(10)), idx = cuda.upload(Int32Array.from([0, 5, 10])), o = cuda.alloc('f32', 3);
  cuda.indexSelect(src, 1, 10, 1, idx, 3, o);
  assert.throws(() => cuda.download(o), /indexSelect: index out of range \(value 10, limit 10\)/);
  cuda.synchronize(); // cleared
  const f = cuda.upload(Float32Array.from([1, NaN])), i = cuda.alloc('i32', 2);
  cuda.cast(f, i, 2);
  assert.throws(() => cuda.synchronize(), /cast/);
  const logits = cuda.upload(randn(6)), labels = cuda.upload(Int32Array.from([0, 3])), loss = cuda.alloc('f32', 2);
  cuda.crossEntropy(logits, labels, 2, 3, 0, loss, cuda.alloc('f32', 6));
  assert.throws(() => cuda.scalar(loss, 0), /label >= number of classes/);
  // host-side checks name the kernel and the argument
  assert.throws(() => cuda.gemm({ transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, beta: 0, a: src, aOff: 8,
    lda: 2, strideA: 0, b: src, bOff: 0, ldb: 2, strideB: 0, c: o, cOff: 0, ldc: 2, strideC: 0, batch: 1 }), /gemm: a needs/);
  assert.throws(() => cuda.softmax(src, 3, 4, 1, false, o), /softmax: x needs 12 elements/);
});

cudaTest('a chain of kernels with temporaries released along the way (stream-ordered reuse)', () => {
  // A 2-layer MLP, forward and backward, 5 steps of AdamW; no synchronisation until the end.
  const B = 65, D = 77, H = 257, C = 7;
  const x = twin(randn(B * D)), w1 = twin(randn(D * H, 0.1)), w2 = twin(randn(H * C, 0.1)), b1 = twin(randn(H, 0.1));
  const labels = twin(ints(B, 0, C));
  const moments = [out(D * H), out(D * H), out(H * C), out(H * C)];
  both((b, s) => { for (const m of moments) b.fill(s(m), 0); });
  both((b, s) => {
    for (let step = 1; step <= 5; step++) {
      const h = b.alloc('f32', B * H), a = b.alloc('f32', B * H), logits = b.alloc('f32', B * C);
      const mm = (A: Storage, Bm: Storage, Cm: Storage, m: number, n: number, k: number, tA: boolean, tB: boolean) =>
        b.gemm({ transA: tA, transB: tB, m, n, k, alpha: 1, beta: 0, a: A, aOff: 0, lda: tA ? m : k, strideA: 0, b: Bm,
          bOff: 0, ldb: tB ? k : n, strideB: 0, c: Cm, cOff: 0, ldc: n, strideC: 0, batch: 1 });
      mm(s(x), s(w1), h, B, H, D, false, false);
      b.biasAct(h, s(b1), B, H, 'quick_gelu', a);
      mm(a, s(w2), logits, B, C, H, false, false);
      const loss = b.alloc('f32', B), probs = b.alloc('f32', B * C), dLoss = b.alloc('f32', B);
      b.crossEntropy(logits, s(labels), B, C, 0.2, loss, probs);
      b.fill(dLoss, 1 / B);
      const dLogits = b.alloc('f32', B * C), dA = b.alloc('f32', B * H), dW2 = b.alloc('f32', H * C), dW1 = b.alloc('f32', D * H);
      b.crossEntropyBackward(probs, s(labels), B, C, 0.2, dLoss, dLogits, false);
      mm(a, dLogits, dW2, H, C, B, true, false);
      mm(dLogits, s(w2), dA, B, H, C, false, true);
      b.actBackward('quick_gelu', h, dA, dA, B * H, false);
      mm(s(x), dA, dW1, D, H, B, true, false);
      const bc1 = 1 - 0.9 ** step, bc2 = 1 - 0.999 ** step;
      b.adamw(s(w1), dW1, s(moments[0]!), s(moments[1]!), D * H, 1e-2, 0.9, 0.999, 1e-8, 0.01, bc1, bc2, 1);
      b.adamw(s(w2), dW2, s(moments[2]!), s(moments[3]!), H * C, 1e-2, 0.9, 0.999, 1e-8, 0.01, bc1, bc2, 1);
      for (const t of [h, a, logits, loss, probs, dLoss, dLogits, dA, dW2, dW1]) b.release(t);
    }
  });
  check(w1, 1e-4, 'w1 after 5 steps');
  check(w2, 1e-4, 'w2 after 5 steps');
});

cudaTest('bf16 GEMMs in a row reuse operand copies, never stale ones', () => {
  const cuda = cudaBackend();
  cuda.setPrecision('bf16');
  cuda.setGemmBf16Mode('convert');
  const mm = (b: Backend, tA: boolean, tB: boolean, m: number, n: number, k: number, A: Storage, Bm: Storage,
    C: Storage, beta = 0) => b.gemm({ transA: tA, transB: tB, m, n, k, alpha: 1, beta, a: A, aOff: 0, lda: tA ? m : k,
    strideA: 0, b: Bm, bOff: 0, ldb: tB ? k : n, strideB: 0, c: C, cOff: 0, ldc: n, strideC: 0, batch: 1 });
  const m = 77, n = 96, k = 64;
  const x = twin(randn(m * k)), w = twin(randn(n * k)), dy = twin(randn(m * n));
  const dx = out(m * k), dw = out(n * k);
  const before = cuda.gemmTuneStats().copiesReused;
  // a linear layer's backward: dX = dY W, dW = dY^T X (dY converted once)
  both((b, s) => { mm(b, false, false, m, k, n, s(dy), s(w), s(dx)); mm(b, true, false, n, k, m, s(dy), s(x), s(dw)); });
  check(dx, 2e-2, 'dX = dY W');
  check(dw, 2e-2, 'dW = dY^T X (reusing the copy of dY)');
  assert.ok(cuda.gemmTuneStats().copiesReused > before, 'the copy of dY was reused');
  // an operand overwritten by the GEMM in between must be converted again
  const a = twin(randn(m * k)), bm = twin(randn(k * n)), c1 = out(m * n), c3 = out(m * n), e = twin(randn(k * k));
  both((b, s) => {
    mm(b, false, false, m, n, k, s(a), s(bm), s(c1));
    mm(b, false, false, m, k, k, s(x), s(e), s(a)); // a := x e
    mm(b, false, false, m, n, k, s(a), s(bm), s(c3));
  });
  check(c1, 2e-2, 'gemm before its operand is overwritten');
  check(a, 2e-2, 'the overwritten operand');
  check(c3, 2e-2, 'gemm after its operand was overwritten (no stale copy)');
  // and by another kernel in between
  const c4 = out(m * n);
  both((b, s) => {
    mm(b, false, false, m, n, k, s(a), s(bm), s(c1));
    b.affine(s(a), -2, 1, s(a), m * k);
    mm(b, false, false, m, n, k, s(a), s(bm), s(c4));
  });
  check(c4, 2e-2, 'gemm after a kernel rewrote its operand (no stale copy)');
  cuda.setGemmBf16Mode('tune');
  cuda.setPrecision('fp32');
});

cudaTest('bf16 copies written by the kernels that produce GEMM operands (layerNorm, biasAct, actBackward, attention)', () => {
  const cuda = cudaBackend();
  cuda.setPrecision('bf16');
  cuda.setGemmBf16Mode('convert');
  const mm = (b: Backend, tA: boolean, tB: boolean, m: number, n: number, k: number, A: Storage, Bm: Storage,
    C: Storage) => b.gemm({ transA: tA, transB: tB, m, n, k, alpha: 1, beta: 0, a: A, aOff: 0, lda: tA ? m : k,
    strideA: 0, b: Bm, bOff: 0, ldb: tB ? k : n, strideB: 0, c: C, cOff: 0, ldc: n, strideC: 0, batch: 1 });
  const before = cuda.gemmTuneStats();
  const rows = 2 * 77, W = 128, H = 2;
  const x = twin(randn(rows * W)), g = twin(randn(W)), be = twin(randn(W)), w = twin(randn(W * 3 * W, 0.1));
  const y = out(rows * W), mean = out(rows), rstd = out(rows), qkv = out(rows * 3 * W);
  // layerNorm -> gemm (the qkv projection)
  both((b, s) => {
    b.layerNorm(s(x), s(g), s(be), rows, W, 1e-5, s(y), s(mean), s(rstd));
    mm(b, false, true, rows, 3 * W, W, s(y), s(w), s(qkv));
  });
  check(qkv, 2e-2, 'layerNorm -> gemm');
  // attention (fused) -> gemm (the output projection)
  const probs = out(2 * H * 77 * 77), o = out(rows * W), wo = twin(randn(W * W, 0.1)), pr = out(rows * W);
  const ap = (s: (t: Twin) => Storage): AttentionParams => ({ batch: 2, heads: H, tq: 77, tk: 77, headDim: 64,
    scale: 0.125, causal: true, keyMask: null, q: s(qkv), qOff: 0, ldq: 3 * W, k: s(qkv), kOff: W, ldk: 3 * W, v: s(qkv),
    vOff: 2 * W, ldv: 3 * W });
  both((b, s) => {
    b.attention(ap(s), s(o), s(probs));
    mm(b, false, true, rows, W, W, s(o), s(wo), s(pr));
  });
  assert.equal(cuda.lastAttentionKernel, 'fused');
  check(pr, 3e-2, 'attention -> gemm');
  // biasAct with an activation -> gemm (fc1 -> fc2); actBackward -> two gemms (a linear layer's backward)
  const bias = twin(randn(W)), f = twin(randn(rows * W)), act = out(rows * W), f2 = out(rows * W);
  const dy = twin(randn(rows * W)), dpre = out(rows * W), dx = out(rows * W), dw = out(W * W);
  const spare = twin(randn(16));
  both((b, s) => {
    b.biasAct(s(f), s(bias), rows, W, 'quick_gelu', s(act));
    const tmp = b.alloc('f32', 1000); // allocations and frees in between (as the op layer does) keep the copy
    b.release(tmp);
    mm(b, false, true, rows, W, W, s(act), s(wo), s(f2));
    b.actBackward('quick_gelu', s(f), s(dy), s(dpre), rows * W, false);
    b.release(b.alloc('f32', 7));
    mm(b, false, false, rows, W, W, s(dpre), s(wo), s(dx));
    b.release(s(spare));
    mm(b, true, false, W, W, rows, s(dpre), s(act), s(dw));
  });
  check(f2, 2e-2, 'biasAct -> gemm');
  check(dx, 2e-2, 'actBackward -> gemm (dX)');
  check(dw, 2e-2, 'actBackward -> gemm (dW)');
  // fc1 of a linear layer with an activation: gemm, an allocation (the activation's output), then biasAct
  const h1 = out(rows * W), g1 = out(rows * W);
  both((b, s) => {
    mm(b, false, true, rows, W, W, s(x), s(wo), s(h1));
    const y1 = b.alloc('f32', rows * W);
    b.biasAct(s(h1), s(bias), rows, W, 'quick_gelu', y1);
    b.copy(y1, 0, s(g1), 0, rows * W);
    b.release(y1);
  });
  check(h1, 2e-2, 'gemm, alloc, biasAct: pre-activation');
  check(g1, 2e-2, 'gemm, alloc, biasAct: activation');
  const after = cuda.gemmTuneStats();
  assert.ok(after.biasFused > before.biasFused, 'a gemm then an allocation then biasAct still fuse');
  assert.ok(after.shadows - before.shadows >= 4, `bf16 copies written by producers: ${after.shadows - before.shadows}`);
  assert.ok(after.copiesReused - before.copiesReused >= 5, `copies reused: ${after.copiesReused - before.copiesReused}`);
  cuda.setGemmBf16Mode('tune');
  cuda.setPrecision('fp32');
});
