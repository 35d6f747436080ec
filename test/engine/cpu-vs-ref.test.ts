/**
 * The native cpu backend against the ref backend, kernel by kernel, on awkward shapes (sizes 1, 7, 65, 77, 197,
 * every transpose, batched strides including 0, offsets, leading dimensions wider than the rows, masks), for
 * every ISA path this CPU can run (avx512, avx2, generic: switched in-process with setIsa). Also: determinism
 * (bit-identical results run to run and for 1 or 2 threads), clear errors on bad input, and the MULKI_CPU_ISA /
 * MULKI_NUM_THREADS environment variables (in child processes). Skips when the addon is not built.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ActKind, AttentionParams, Backend, BinaryOp, GemmParams, Storage, UnaryOp } from '../../src/engine/backend.js';
import { createRefBackend } from '../../src/engine/backends/ref/index.js';
import { tryLoadCpuBackend, type CpuBackend, type CpuIsa } from '../../src/engine/backends/cpu/index.js';
import { Rng } from '../../src/engine/rng.js';
import { randomArrays } from '../helpers/random.js';

const loaded = tryLoadCpuBackend();
const cpu: CpuBackend | null = 'error' in loaded ? null : loaded.backend;
const unavailable = 'error' in loaded ? `native cpu backend unavailable: ${loaded.error}` : '';
const ref = createRefBackend();
const rng = new Rng('cpu-vs-ref');

type Host = Float32Array | Int32Array;

const { randn, uniform, ints } = randomArrays(rng);
/** |actual - expected| <= tol * (1 + |expected|) elementwise (NaN matches NaN), naming the first offender. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: cpu ${a}, ref ${e} (tol ${tol})`);
  }
}

/**
 * Runs `op` on both backends with copies of the same inputs; `op` gets an upload function and returns the
 * storages to compare (inputs modified in place count as outputs too).
 */
function same(what: string, tol: number, op: (be: Backend, up: (h: Host) => Storage) => Storage[]): void {
  const run = (be: Backend) => op(be, (h) => be.upload(h)).map((s) => be.download(s));
  const r = run(ref);
  const c = run(cpu!);
  assert.equal(c.length, r.length);
  for (let i = 0; i < r.length; i++) assertClose(c[i]!, r[i]!, tol, `${what} output ${i}`);
}

const ISAS: CpuIsa[] = ['avx512', 'avx2', 'generic'];

/** Runs body for one ISA, or skips with the reason. */
function withIsa(t: TestContext, isa: CpuIsa, body: () => void): void {
  if (!cpu) {
    t.skip(unavailable);
    return;
  }
  if (!cpu.info().supportedIsas.includes(isa)) {
    t.skip(`this CPU cannot run the ${isa} kernels`);
    return;
  }
  const prev = cpu.info().isa;
  cpu.setIsa(isa);
  try {
    body();
  } finally {
    cpu.setIsa(prev);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// GEMM

interface GemmCase {
  transA: boolean; transB: boolean; m: number; n: number; k: number; batch: number; alpha: number; beta: number;
  pad: number; off: number; sA: 'full' | 'zero'; sB: 'full' | 'zero';
}

const GEMM_DEFAULTS = { batch: 1, alpha: 1, beta: 0, pad: 0, off: 0, sA: 'full', sB: 'full' } as const;

function gemmCase(spec: Partial<GemmCase> & Pick<GemmCase, 'transA' | 'transB' | 'm' | 'n' | 'k'>): void {
  const c: GemmCase = { ...GEMM_DEFAULTS, ...spec };
  const rowsA = c.transA ? c.k : c.m, colsA = c.transA ? c.m : c.k;
  const rowsB = c.transB ? c.n : c.k, colsB = c.transB ? c.k : c.n;
  const lda = colsA + c.pad, ldb = colsB + 2 * c.pad, ldc = c.n + c.pad;
  const strideA = c.sA === 'zero' ? 0 : rowsA * lda + 3;
  const strideB = c.sB === 'zero' ? 0 : rowsB * ldb + 1;
  const strideC = c.m * ldc + 2;
  const a = randn(c.off + (c.sA === 'zero' ? 1 : c.batch) * (rowsA * lda + 3));
  const b = randn(c.off + (c.sB === 'zero' ? 1 : c.batch) * (rowsB * ldb + 1));
  const cc = randn(c.off + c.batch * strideC);
  if (c.beta === 0) cc.fill(NaN); // beta = 0 must not read C
  const tag = `gemm ${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'} m${c.m} n${c.n} k${c.k} b${c.batch} ` +
    `alpha${c.alpha} beta${c.beta} pad${c.pad} off${c.off} sA=${c.sA} sB=${c.sB}`;
  // float32 sums of k products against float64 ones: the error grows with k
  same(tag, 2e-5 + 1.5e-7 * c.k, (be, up) => {
    const C = up(cc);
    const p: GemmParams = {
      transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, beta: c.beta,
      a: up(a), aOff: c.off, lda, strideA, b: up(b), bOff: c.off, ldb, strideB,
      c: C, cOff: c.off, ldc, strideC, batch: c.batch,
    };
    be.gemm(p);
    if (c.beta === 0) {
      // compare only the C matrices (the padding stays NaN on both sides)
      const d = be.download(C) as Float32Array;
      const outs: number[] = [];
      for (let bi = 0; bi < c.batch; bi++) {
        for (let i = 0; i < c.m; i++) {
          for (let j = 0; j < c.n; j++) outs.push(d[c.off + bi * strideC + i * ldc + j]!);
        }
      }
      return [be.upload(Float32Array.from(outs))];
    }
    return [C];
  });
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [7, 7, 7], [1, 77, 65], [77, 1, 33], [3, 200, 70], [65, 65, 64], [65, 64, 65], [197, 7, 13],
  [16, 16, 16], [130, 4, 200], [5, 300, 130], [197, 300, 400],
  // several column blocks per thread tile (n >= 6 * 384), and a tall transposed-A product split by rows
  [30, 2400, 40], [400, 100, 300],
];

for (const isa of ISAS) {
  test(`cpu[${isa}] gemm: every transpose, awkward sizes, alpha/beta (beta = 0 never reads C)`, (t) => {
    withIsa(t, isa, () => {
      for (const [m, n, k] of SHAPES) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            gemmCase({ transA, transB, m, n, k });
            gemmCase({ transA, transB, m, n, k, alpha: -0.5, beta: 0.75, pad: 3, off: 5 });
          }
        }
      }
    });
  });

  test(`cpu[${isa}] gemm: batched, strides 0 (broadcast A or B), offsets, lda > width, k = 0`, (t) => {
    withIsa(t, isa, () => {
      for (const [m, n, k] of [[7, 9, 5], [65, 65, 64], [33, 130, 70], [1, 40, 300]] as [number, number, number][]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            gemmCase({ transA, transB, m, n, k, batch: 5, alpha: 1.5, pad: 1, off: 7, sB: 'zero' });
            gemmCase({ transA, transB, m, n, k, batch: 3, beta: 1, sA: 'zero' });
          }
        }
      }
      gemmCase({ transA: false, transB: false, m: 4, n: 5, k: 0, batch: 2, beta: 0.5, pad: 1 });
      gemmCase({ transA: false, transB: false, m: 4, n: 5, k: 0, batch: 2, pad: 1 });
      // many small products: the batch-parallel path
      gemmCase({ transA: false, transB: true, m: 65, n: 65, k: 64, batch: 12, alpha: 0.125 });
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // attention

  test(`cpu[${isa}] attention forward and backward: strided q/k/v, causal, key masks, empty rows`, (t) => {
    withIsa(t, isa, () => {
      const cases = [
        { batch: 2, heads: 3, tq: 7, tk: 7, hd: 8, causal: true, mask: false },
        { batch: 2, heads: 2, tq: 5, tk: 9, hd: 16, causal: false, mask: true },
        { batch: 1, heads: 1, tq: 1, tk: 1, hd: 1, causal: false, mask: false },
        { batch: 2, heads: 2, tq: 65, tk: 65, hd: 64, causal: false, mask: false },
        { batch: 3, heads: 2, tq: 77, tk: 77, hd: 32, causal: true, mask: true },
      ];
      for (const c of cases) {
        const width = c.heads * c.hd;
        const ld = 3 * width + 5; // q, k, v interleaved in one buffer, rows wider than the heads
        const t0 = c.tq > c.tk ? c.tq : c.tk;
        const qkv = randn(2 + c.batch * t0 * ld);
        const mask = c.mask ? ints(c.batch * c.tk, 0, 2) : null;
        if (mask) {
          mask.fill(0, 0, c.tk); // batch 0: every key hidden -> zero probabilities and output
          mask[c.tk] = 1;
        }
        const dOut = randn(c.batch * c.tq * width);
        const tag = `attention b${c.batch} h${c.heads} tq${c.tq} tk${c.tk} d${c.hd} causal=${c.causal} mask=${c.mask}`;
        // with tq == tk, q / k / v share one buffer (offsets 2, 2 + width, 2 + 2 width); otherwise q has its own
        // (batch, tq, ld) buffer
        const qOwn = randn(c.batch * c.tq * ld + 1);
        const withQ = (_be: Backend, up: (h: Host) => Storage): AttentionParams => {
          const s = up(qkv);
          const shared = c.tq === c.tk;
          return {
            batch: c.batch, heads: c.heads, tq: c.tq, tk: c.tk, headDim: c.hd, scale: 1 / Math.sqrt(c.hd),
            causal: c.causal, keyMask: mask ? up(mask) : null,
            q: shared ? s : up(qOwn), qOff: shared ? 2 : 1, ldq: ld,
            k: s, kOff: 2 + width, ldk: ld, v: s, vOff: 2 + 2 * width, ldv: ld,
          };
        };
        same(`${tag} forward`, 2e-5, (be, up) => {
          const out = be.alloc('f32', c.batch * c.tq * width);
          const probs = be.alloc('f32', c.batch * c.heads * c.tq * c.tk);
          be.attention(withQ(be, up), out, probs);
          return [out, probs];
        });
        // backward from the same probabilities (the ref forward's)
        const p0 = withQ(ref, (h) => ref.upload(h));
        const probsRef = ref.alloc('f32', c.batch * c.heads * c.tq * c.tk);
        ref.attention(p0, ref.alloc('f32', c.batch * c.tq * width), probsRef);
        const probsHost = ref.download(probsRef) as Float32Array;
        same(`${tag} backward`, 5e-5, (be, up) => {
          const dq = be.alloc('f32', c.batch * c.tq * width);
          const dk = be.alloc('f32', c.batch * c.tk * width);
          const dv = be.alloc('f32', c.batch * c.tk * width);
          be.attentionBackward(withQ(be, up), up(probsHost), up(dOut), dq, dk, dv);
          return [dq, dk, dv];
        });
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // activations, normalisations, softmax, losses

  test(`cpu[${isa}] biasAct and actBackward: every activation, tails, in place`, (t) => {
    withIsa(t, isa, () => {
      const kinds: ActKind[] = ['none', 'gelu', 'gelu_tanh', 'quick_gelu', 'relu'];
      for (const kind of kinds) {
        for (const [rows, cols] of [[1, 1], [7, 65], [3, 197], [65, 77]] as [number, number][]) {
          const x = uniform(rows * cols, -9, 9);
          if (x.length > 4) {
            x[0] = 0;
            x[1] = -30;
            x[2] = 30;
          }
          const bias = randn(cols);
          const dy = randn(rows * cols);
          for (const withBias of [false, true]) {
            same(`biasAct ${kind} ${rows}x${cols} bias=${withBias}`, 1e-5, (be, up) => {
              const X = up(x);
              const out = be.alloc('f32', rows * cols);
              be.biasAct(X, withBias ? up(bias) : null, rows, cols, kind, out);
              return [X, out];
            });
          }
          if (kind === 'none') {
            same(`biasAct none in place ${rows}x${cols}`, 1e-5, (be, up) => {
              const X = up(x);
              be.biasAct(X, up(bias), rows, cols, kind, X);
              return [X];
            });
          }
          for (const acc of [false, true]) {
            same(`actBackward ${kind} ${rows}x${cols} acc=${acc}`, 1e-5, (be, up) => {
              const dx = up(randnFixed(rows * cols));
              be.actBackward(kind, up(x), up(dy), dx, rows * cols, acc);
              return [dx];
            });
          }
        }
      }
    });
  });

  test(`cpu[${isa}] layerNorm forward and backward (affine or not, accumulate)`, (t) => {
    withIsa(t, isa, () => {
      for (const [rows, cols] of [[1, 1], [7, 7], [5, 77], [197, 65], [300, 768]] as [number, number][]) {
        const x = randn(rows * cols, 2);
        for (let i = 0; i < cols; i++) x[i] = x[i]! + 3; // a row with a large mean
        const gamma = randn(cols);
        const beta = randn(cols);
        const dy = randn(rows * cols);
        for (const affine of [false, true]) {
          same(`layerNorm ${rows}x${cols} affine=${affine}`, 1e-5, (be, up) => {
            const y = be.alloc('f32', rows * cols);
            const mean = be.alloc('f32', rows);
            const rstd = be.alloc('f32', rows);
            be.layerNorm(up(x), affine ? up(gamma) : null, affine ? up(beta) : null, rows, cols, 1e-5, y, mean, rstd);
            return [y, mean, rstd];
          });
          // backward from the ref statistics
          const mean = ref.alloc('f32', rows);
          const rstd = ref.alloc('f32', rows);
          ref.layerNorm(ref.upload(x), null, null, rows, cols, 1e-5, ref.alloc('f32', rows * cols), mean, rstd);
          const meanH = ref.download(mean), rstdH = ref.download(rstd);
          for (const acc of [false, true]) {
            same(`layerNormBackward ${rows}x${cols} affine=${affine} acc=${acc}`, 1e-4, (be, up) => {
              const dx = up(randnFixed(rows * cols));
              const dg = affine ? up(randnFixed(cols)) : null;
              const db = affine ? up(randnFixed(cols)) : null;
              be.layerNormBackward(up(dy), up(x), affine ? up(gamma) : null, up(meanH), up(rstdH), rows, cols, dx,
                dg, db, acc);
              return dg && db ? [dx, dg, db] : [dx];
            });
          }
        }
      }
    });
  });

  test(`cpu[${isa}] softmax / log-softmax forward and backward, scale, fully masked rows`, (t) => {
    withIsa(t, isa, () => {
      for (const [rows, cols] of [[1, 1], [7, 7], [5, 65], [3, 197], [65, 1000]] as [number, number][]) {
        const x = randn(rows * cols, 3);
        if (rows > 1) x.fill(-Infinity, cols, 2 * cols); // row 1 fully masked
        for (const scale of [1, 0.125, -2]) {
          for (const log of [false, true]) {
            same(`softmax ${rows}x${cols} scale ${scale} log=${log}`, 1e-5, (be, up) => {
              const y = be.alloc('f32', rows * cols);
              be.softmax(up(x), rows, cols, scale, log, y);
              return [y];
            });
            const finiteX = randn(rows * cols);
            const yRef = ref.alloc('f32', rows * cols);
            ref.softmax(ref.upload(finiteX), rows, cols, scale, log, yRef);
            const yH = ref.download(yRef);
            const dy = randn(rows * cols);
            for (const acc of [false, true]) {
              same(`softmaxBackward ${rows}x${cols} scale ${scale} log=${log} acc=${acc}`, 2e-5, (be, up) => {
                const dx = up(randnFixed(rows * cols));
                be.softmaxBackward(up(yH), up(dy), rows, cols, scale, log, dx, acc);
                return [dx];
              });
            }
          }
        }
        same(`softmax in place ${rows}x${cols}`, 1e-5, (be, up) => {
          const X = up(x);
          be.softmax(X, rows, cols, 0.5, true, X);
          return [X];
        });
      }
    });
  });

  test(`cpu[${isa}] l2Normalize forward and backward, including a clamped (tiny) row`, (t) => {
    withIsa(t, isa, () => {
      for (const [rows, cols] of [[1, 1], [7, 7], [4, 512], [65, 77]] as [number, number][]) {
        const x = randn(rows * cols);
        if (rows > 1) x.fill(1e-9, 0, cols); // norm below eps: clamped
        const dy = randn(rows * cols);
        same(`l2Normalize ${rows}x${cols}`, 1e-5, (be, up) => {
          const y = be.alloc('f32', rows * cols);
          const norms = be.alloc('f32', rows);
          be.l2Normalize(up(x), rows, cols, 1e-6, y, norms);
          return [y, norms];
        });
        const y = ref.alloc('f32', rows * cols);
        const norms = ref.alloc('f32', rows);
        ref.l2Normalize(ref.upload(x), rows, cols, 1e-6, y, norms);
        const yH = ref.download(y), nH = ref.download(norms);
        for (const acc of [false, true]) {
          same(`l2NormalizeBackward ${rows}x${cols} acc=${acc}`, 2e-5, (be, up) => {
            const dx = up(randnFixed(rows * cols));
            be.l2NormalizeBackward(up(dy), up(yH), up(nH), rows, cols, dx, acc);
            return [dx];
          });
        }
      }
    });
  });

  test(`cpu[${isa}] crossEntropy (label smoothing, ignored labels) and klDiv with temperature`, (t) => {
    withIsa(t, isa, () => {
      for (const [n, c] of [[1, 1], [7, 7], [5, 77], [9, 197], [33, 1000]] as [number, number][]) {
        const logits = randn(n * c, 4);
        const labels = ints(n, 0, c);
        labels[0] = -1;
        if (n > 3) labels[3] = -100;
        const dLoss = randn(n);
        for (const smoothing of [0, 0.1, 1]) {
          same(`crossEntropy ${n}x${c} eps ${smoothing}`, 1e-5, (be, up) => {
            const loss = be.alloc('f32', n);
            const probs = be.alloc('f32', n * c);
            be.crossEntropy(up(logits), up(labels), n, c, smoothing, loss, probs);
            return [loss, probs];
          });
          const probs = ref.alloc('f32', n * c);
          ref.crossEntropy(ref.upload(logits), ref.upload(labels), n, c, smoothing, ref.alloc('f32', n), probs);
          const pH = ref.download(probs);
          for (const acc of [false, true]) {
            same(`crossEntropyBackward ${n}x${c} eps ${smoothing} acc=${acc}`, 1e-5, (be, up) => {
              const dl = up(randnFixed(n * c));
              be.crossEntropyBackward(up(pH), up(labels), n, c, smoothing, up(dLoss), dl, acc);
              return [dl];
            });
          }
        }
        const teacher = randn(n * c, 3);
        for (const T of [1, 2, 0.5]) {
          same(`klDiv ${n}x${c} T ${T}`, 2e-5, (be, up) => {
            const loss = be.alloc('f32', n);
            const lp = be.alloc('f32', n * c);
            const lq = be.alloc('f32', n * c);
            be.klDiv(up(logits), up(teacher), n, c, T, loss, lp, lq);
            return [loss, lp, lq];
          });
          const lp = ref.alloc('f32', n * c);
          const lq = ref.alloc('f32', n * c);
          ref.klDiv(ref.upload(logits), ref.upload(teacher), n, c, T, ref.alloc('f32', n), lp, lq);
          const lpH = ref.download(lp), lqH = ref.download(lq);
          for (const [ds, dt] of [[true, true], [true, false], [false, true]]) {
            for (const acc of [false, true]) {
              same(`klDivBackward ${n}x${c} T ${T} student=${ds} teacher=${dt} acc=${acc}`, 2e-5, (be, up) => {
                const dS = ds ? up(randnFixed(n * c)) : null;
                const dT = dt ? up(randnFixed(n * c)) : null;
                be.klDivBackward(up(lpH), up(lqH), n, c, T, up(dLoss), dS, dT, acc);
                return [dS, dT].filter((s): s is Storage => s !== null);
              });
            }
          }
        }
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // elementwise and reductions

  test(`cpu[${isa}] binary with broadcast strides, unary, affine, axpy`, (t) => {
    withIsa(t, isa, () => {
      const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
      // [outShape, aStrides, bStrides, aSize, bSize]
      const cases: [number[], number[], number[], number, number][] = [
        [[], [], [], 1, 1],
        [[1], [1], [1], 1, 1],
        [[77], [1], [1], 77, 77],
        [[7, 65], [65, 1], [0, 1], 7 * 65, 65], // bias-like
        [[7, 65], [65, 1], [1, 0], 7 * 65, 7], // per-row scalar
        [[7, 65], [0, 0], [65, 1], 1, 7 * 65], // scalar a
        [[3, 5, 7], [35, 7, 1], [0, 7, 1], 105, 35],
        [[3, 5, 7], [1, 3, 15], [35, 7, 1], 105, 105], // a read transposed (non-contiguous inner)
        [[2, 3, 4, 197], [0, 4 * 197, 197, 1], [3, 1, 0, 0], 3 * 4 * 197, 6],
      ];
      for (const op of ops) {
        for (const [shape, as, bs, na, nb] of cases) {
          const a = randn(na);
          const b = op === 'div' ? uniform(nb, 0.5, 2) : randn(nb);
          const total = shape.reduce((p, q) => p * q, 1);
          same(`binary ${op} [${shape}] a[${as}] b[${bs}]`, 1e-6, (be, up) => {
            const out = be.alloc('f32', total);
            be.binary(op, up(a), as, up(b), bs, out, shape);
            return [out];
          });
        }
      }
      const uops: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'abs', 'recip'];
      for (const op of uops) {
        for (const n of [1, 7, 77, 100003]) {
          const pos = op === 'log' || op === 'sqrt' || op === 'rsqrt';
          const x = pos ? uniform(n, 0.01, 10) : uniform(n, -10, 10);
          same(`unary ${op} n${n}`, op === 'exp' ? 2e-6 : 1e-6, (be, up) => {
            const out = be.alloc('f32', n);
            be.unary(op, up(x), out, n);
            return [out];
          });
        }
      }
      for (const n of [1, 7, 100003]) {
        const x = randn(n);
        same(`affine n${n}`, 1e-6, (be, up) => {
          const out = be.alloc('f32', n);
          be.affine(up(x), -1.5, 0.25, out, n);
          return [out];
        });
        const y = randn(n + 9);
        same(`axpy n${n}`, 1e-6, (be, up) => {
          const Y = up(y);
          be.axpy(0.3, up(randnFixed(n + 5)), 5, Y, 9, n);
          return [Y];
        });
      }
    });
  });

  test(`cpu[${isa}] sumTo, sumRows, sumSquares, scalar`, (t) => {
    withIsa(t, isa, () => {
      const cases: [number[], number[]][] = [
        [[1], [1]],
        [[7], [1]],
        [[7], [7]],
        [[65, 77], [1, 77]],
        [[65, 77], [65, 1]],
        [[65, 77], [1, 1]],
        [[3, 5, 7], [1, 5, 1]],
        [[3, 5, 7], [3, 1, 7]],
        [[4, 1, 6, 5], [1, 1, 6, 1]],
        [[2, 3, 4, 5], [2, 1, 4, 1]],
        [[197, 2, 3], [1, 2, 3]],
        [[0, 3], [1, 3]],
      ];
      for (const [xs, os] of cases) {
        const nx = xs.reduce((p, q) => p * q, 1);
        const no = os.reduce((p, q) => p * q, 1);
        const x = randn(nx);
        for (const acc of [false, true]) {
          same(`sumTo [${xs}] -> [${os}] acc=${acc}`, 1e-6, (be, up) => {
            const out = up(randnFixed(no));
            be.sumTo(up(x), xs, out, os, acc);
            return [out];
          });
        }
      }
      for (const [rows, cols] of [[1, 7], [7, 1], [65, 197], [10000, 3], [300, 768], [0, 5]] as [number, number][]) {
        const x = randn(rows * cols);
        for (const acc of [false, true]) {
          same(`sumRows ${rows}x${cols} acc=${acc}`, 1e-6, (be, up) => {
            const out = up(randnFixed(cols));
            be.sumRows(up(x), rows, cols, out, acc);
            return [out];
          });
        }
      }
      for (const n of [0, 1, 77, 200003]) {
        const x = randn(n + 3);
        const r = ref.sumSquares(ref.upload(x), n);
        const c = cpu!.sumSquares(cpu!.upload(x), n);
        assert.ok(Math.abs(c - r) <= 1e-9 * (1 + r), `sumSquares n${n}: cpu ${c} ref ${r}`);
      }
      const s = cpu!.upload(Float32Array.from([1, 2.5, -3]));
      assert.equal(cpu!.scalar(s, 1), 2.5);
      assert.throws(() => cpu!.scalar(s, 3), /cpu\.scalar: index 3 is out of range/);
    });
  });

  test(`cpu[${isa}] adamw`, (t) => {
    withIsa(t, isa, () => {
      for (const n of [1, 7, 77, 100003]) {
        const p = randn(n), g = randn(n), m = randn(n, 0.1), v = uniform(n, 0, 0.1);
        for (const [wd, gs] of [[0, 1], [0.1, 0.5]]) {
          same(`adamw n${n} wd ${wd} gradScale ${gs}`, 1e-6, (be, up) => {
            const P = up(p), M = up(m), V = up(v);
            be.adamw(P, up(g), M, V, n, 1e-3, 0.9, 0.999, 1e-8, wd, 1 - 0.9 ** 3, 1 - 0.999 ** 3, gs);
            return [P, M, V];
          });
        }
      }
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  // memory movement, indexing, selection

  test(`cpu[${isa}] fill, copy, copy2d, permute, cast`, (t) => {
    withIsa(t, isa, () => {
      same('fill f32 / i32', 0, (be, up) => {
        const a = up(randnFixed(100));
        const b = up(intsFixed(50, -5, 5));
        be.fill(a, 2.5, 10, 77);
        be.fill(b, -7);
        return [a, b];
      });
      same('copy f32 / i32 with offsets, overlapping', 0, (be, up) => {
        const a = up(randnFixed(300));
        const b = up(randnFixed(300));
        const i = up(intsFixed(40, 0, 9));
        be.copy(a, 3, b, 100, 197);
        be.copy(b, 0, b, 7, 250); // overlapping ranges of one storage
        be.copy(i, 0, i, 20, 20);
        return [b, i];
      });
      for (const acc of [false, true]) {
        same(`copy2d acc=${acc}`, 0, (be, up) => {
          const dst = up(randnFixed(40 * 90));
          be.copy2d(up(randnFixed(65 * 77 + 3)), 3, 77, dst, 5, 90, 39, 65, acc);
          const di = up(intsFixed(7 * 12, -3, 3));
          be.copy2d(up(intsFixed(7 * 9, -3, 3)), 0, 9, di, 1, 12, 7, 9, acc);
          return [dst, di];
        });
      }
      for (const acc of [false, true]) {
        same(`copy2d inside one storage (overlapping blocks) acc=${acc}`, 1e-6, (be, up) => {
          const a = up(randnFixed(400));
          be.copy2d(a, 0, 10, a, 25, 10, 30, 10, acc);
          be.copy2d(a, 40, 12, a, 3, 12, 20, 11, acc);
          return [a];
        });
      }
      const shapes: [number[], number[]][] = [
        [[2, 3, 4], [0, 1, 2]], [[2, 3, 4], [2, 1, 0]], [[2, 3, 4], [1, 2, 0]], [[2, 3, 4], [0, 2, 1]],
        [[4, 33, 40], [0, 2, 1]], [[65, 77], [1, 0]], [[1, 5, 1, 3], [3, 2, 1, 0]], [[2, 7, 3, 8], [0, 2, 1, 3]],
        [[2, 7, 3, 8], [2, 0, 3, 1]], [[7], [0]], [[], []],
      ];
      for (const [shape, perm] of shapes) {
        const n = shape.reduce((p, q) => p * q, 1);
        same(`permute [${shape}] by [${perm}]`, 0, (be, up) => {
          const f = be.alloc('f32', n);
          const i = be.alloc('i32', n);
          be.permute(up(randnFixed(n)), shape, perm, f);
          be.permute(up(intsFixed(n, -100, 100)), shape, perm, i);
          return [f, i];
        });
      }
      same('cast f32 <-> i32', 0, (be, up) => {
        const i = be.alloc('i32', 9);
        be.cast(up(Float32Array.from([0, 0.9, -0.9, 1.5, -1.5, 2147483520, -2147483648, 7.999, -3])), i, 9);
        const f = be.alloc('f32', 6);
        be.cast(up(Int32Array.from([0, 1, -1, 16777217, -2147483648, 2147483647])), f, 6);
        return [i, f];
      });
    });
  });

  test(`cpu[${isa}] indexSelect / indexAdd (duplicates), im2patch / patch2im, topk`, (t) => {
    withIsa(t, isa, () => {
      for (const [outer, n, inner, nIdx] of [[1, 49, 512, 77], [3, 7, 5, 11], [2, 1, 1, 4], [1, 100, 65, 300]]) {
        const src = randn(outer! * n! * inner!);
        const idx = ints(nIdx!, 0, n!);
        idx[0] = n! - 1;
        if (nIdx! > 2) idx[2] = idx[1]!; // a duplicate
        same(`indexSelect ${outer}x${n}x${inner} nIdx ${nIdx}`, 0, (be, up) => {
          const out = be.alloc('f32', outer! * nIdx! * inner!);
          be.indexSelect(up(src), outer!, n!, inner!, up(idx), nIdx!, out);
          return [out];
        });
        same(`indexAdd ${outer}x${n}x${inner} nIdx ${nIdx}`, 1e-6, (be, up) => {
          const dSrc = up(randnFixed(outer! * n! * inner!));
          be.indexAdd(up(randnFixed(outer! * nIdx! * inner!)), outer!, n!, inner!, up(idx), nIdx!, dSrc);
          return [dSrc];
        });
      }
      for (const [b, c, h, w, p] of [[2, 3, 8, 12, 4], [1, 1, 1, 1, 1], [3, 3, 32, 32, 16]]) {
        const n = b! * c! * h! * w!;
        const x = randn(n);
        same(`im2patch ${b}x${c}x${h}x${w} p${p}`, 0, (be, up) => {
          const out = be.alloc('f32', n);
          be.im2patch(up(x), b!, c!, h!, w!, p!, out);
          return [out];
        });
        for (const acc of [false, true]) {
          same(`patch2im ${b}x${c}x${h}x${w} p${p} acc=${acc}`, 1e-6, (be, up) => {
            const dx = up(randnFixed(n));
            be.patch2im(up(x), b!, c!, h!, w!, p!, dx, acc);
            return [dx];
          });
        }
      }
      for (const [rows, cols, k] of [[1, 1, 1], [5, 7, 3], [4, 77, 20], [3, 1000, 5], [2, 65, 65]]) {
        const x = randn(rows! * cols!);
        for (let i = 0; i < x.length; i += 5) x[i] = Math.round(x[i]!); // ties
        if (x.length > 3) x[3] = NaN;
        same(`topk ${rows}x${cols} k${k}`, 0, (be, up) => {
          const v = be.alloc('f32', rows! * k!);
          const i = be.alloc('i32', rows! * k!);
          be.topk(up(x), rows!, cols!, k!, v, i);
          return [v, i];
        });
      }
    });
  });
}

/**
 * Random arrays that are the same on every call with the same arguments (a fixed stream, cached): for data made
 * inside the closures of `same`, which run once per backend.
 */
const fixedRng = new Rng('cpu-vs-ref-fixed');
const fixedCache = new Map<string, Host>();
function randnFixed(n: number): Float32Array {
  let a = fixedCache.get(`f${n}`);
  if (!a) {
    a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = fixedRng.normal();
    fixedCache.set(`f${n}`, a);
  }
  return (a as Float32Array).slice();
}
function intsFixed(n: number, lo: number, hi: number): Int32Array {
  const key = `i${n},${lo},${hi}`;
  let a = fixedCache.get(key);
  if (!a) {
    a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + fixedRng.int(hi - lo);
    fixedCache.set(key, a);
  }
  return (a as Int32Array).slice();
}

// ---------------------------------------------------------------------------------------------------------------
// determinism, threads, errors, environment

test('cpu results are bit-identical run to run and with 1 or 2 threads', (t) => {
  if (!cpu) return void t.skip(unavailable);
  const before = cpu.info().threads;
  const x = randn(300 * 768), dy = randn(300 * 768), a = randn(301 * 300), b = randn(300 * 299);
  const runAll = (): Float32Array[] => {
    const outs: Float32Array[] = [];
    const C = cpu.alloc('f32', 301 * 299);
    cpu.gemm({
      transA: false, transB: true, m: 301, n: 299, k: 300, alpha: 1, beta: 0, a: cpu.upload(a), aOff: 0, lda: 300,
      strideA: 0, b: cpu.upload(b), bOff: 0, ldb: 300, strideB: 0, c: C, cOff: 0, ldc: 299, strideC: 0, batch: 1,
    });
    outs.push(cpu.download(C) as Float32Array);
    const X = cpu.upload(x), mean = cpu.alloc('f32', 300), rstd = cpu.alloc('f32', 300);
    cpu.layerNorm(X, null, null, 300, 768, 1e-5, cpu.alloc('f32', 300 * 768), mean, rstd);
    const dx = cpu.alloc('f32', 300 * 768), dg = cpu.alloc('f32', 768), db = cpu.alloc('f32', 768);
    cpu.layerNormBackward(cpu.upload(dy), X, cpu.upload(randnFixed(768)), mean, rstd, 300, 768, dx, dg, db, false);
    outs.push(cpu.download(dx) as Float32Array, cpu.download(dg) as Float32Array, cpu.download(db) as Float32Array);
    const sr = cpu.alloc('f32', 768);
    cpu.sumRows(cpu.upload(x), 300, 768, sr, false);
    outs.push(cpu.download(sr) as Float32Array, Float32Array.of(cpu.sumSquares(cpu.upload(x), x.length)));
    return outs;
  };
  try {
    cpu.setNumThreads(2);
    const r1 = runAll();
    const r2 = runAll();
    cpu.setNumThreads(1);
    const r3 = runAll();
    for (let i = 0; i < r1.length; i++) {
      assert.deepEqual(r2[i], r1[i], `output ${i} differs between two runs`);
      assert.deepEqual(r3[i], r1[i], `output ${i} differs between 1 and 2 threads`);
    }
  } finally {
    cpu.setNumThreads(before);
  }
});

test('cpu kernels reject bad input with an error naming the kernel and the argument', (t) => {
  if (!cpu) return void t.skip(unavailable);
  const f = (n: number) => cpu.alloc('f32', n);
  const gemm = (over: Partial<GemmParams>) => cpu.gemm({
    transA: false, transB: false, m: 4, n: 5, k: 3, alpha: 1, beta: 0, a: f(12), aOff: 0, lda: 3, strideA: 0,
    b: f(15), bOff: 0, ldb: 5, strideB: 0, c: f(20), cOff: 0, ldc: 5, strideC: 0, batch: 1, ...over,
  });
  gemm({});
  assert.throws(() => gemm({ c: f(19) }), /cpu\.gemm: C is too small: the call touches elements \[0, 20\) but the storage has 19/);
  assert.throws(() => gemm({ aOff: 1 }), /cpu\.gemm: A is too small/);
  assert.throws(() => gemm({ lda: 2 }), /cpu\.gemm: lda \(2\) must be >= 3/);
  assert.throws(() => gemm({ m: 1.5 }), /cpu\.gemm: m must be an integer/);
  assert.throws(() => gemm({ batch: 2, strideC: 0, c: f(100), a: f(100), b: f(100) }), /strideC = 0/);
  assert.throws(() => gemm({ a: cpu.alloc('i32', 12) }), /cpu\.gemm: A must be f32/);
  const dead = f(12);
  cpu.release(dead);
  assert.throws(() => gemm({ a: dead }), /cpu\.gemm: A: use of a released storage/);
  assert.throws(() => cpu.indexSelect(f(10), 1, 5, 2, cpu.upload(Int32Array.of(0, 5)), 2, f(4)),
    /cpu\.indexSelect: idx\[1\] = 5 is out of range \[0, 5\)/);
  assert.throws(() => cpu.crossEntropy(f(6), cpu.upload(Int32Array.of(1, 3)), 2, 3, 0, f(2), f(6)),
    /cpu\.crossEntropy: labels\[1\] = 3 is out of range for 3 classes/);
  assert.throws(() => cpu.im2patch(f(30), 1, 1, 5, 6, 2, f(30)), /cpu\.im2patch: image size 5x6 is not a multiple of the patch size 2/);
  assert.throws(() => cpu.cast(cpu.upload(Float32Array.of(1, 3e9)), cpu.alloc('i32', 2), 2),
    /cpu\.cast: src element 1 \(3000000000\) is not representable as i32/);
  assert.throws(() => cpu.binary('pow' as BinaryOp, f(1), [1], f(1), [1], f(1), [1]), /cpu\.binary: unknown op 'pow'/);
  assert.throws(() => cpu.permute(f(6), [2, 3], [0, 0], f(6)), /cpu\.permute: perm is not a permutation/);
  assert.throws(() => cpu.topk(f(6), 2, 3, 4, f(8), cpu.alloc('i32', 8)), /cpu\.topk: k \(4\) must be <= cols \(3\)/);
  assert.throws(() => cpu.fill(cpu.alloc('i32', 4), 1.5), /cpu\.fill: value 1.5 is not an integer/);
  assert.throws(() => cpu.attention({
    batch: 1, heads: 1, tq: 2, tk: 3, headDim: 2, scale: 1, causal: true, keyMask: null,
    q: f(4), qOff: 0, ldq: 2, k: f(6), kOff: 0, ldk: 2, v: f(6), vOff: 0, ldv: 2,
  }, f(4), f(6)), /cpu\.attention: causal attention needs tq == tk/);
});

test('MULKI_CPU_ISA and MULKI_NUM_THREADS pick the kernel set and the thread count (child processes)', (t) => {
  if (!cpu) return void t.skip(unavailable);
  const index = fileURLToPath(new URL('../../src/engine/backends/cpu/index.js', import.meta.url));
  const probe = `import(${JSON.stringify(index)}).then((m) => { const r = m.tryLoadCpuBackend(); ` +
    `console.log('error' in r ? 'ERROR ' + r.error : r.backend.info().isa + ' ' + r.backend.info().threads); })`;
  const run = (env: Record<string, string>): string => {
    const r = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  for (const isa of cpu.info().supportedIsas) assert.match(run({ MULKI_CPU_ISA: isa }), new RegExp(`^${isa} `));
  assert.match(run({ MULKI_CPU_ISA: 'sse9' }), /^ERROR .*MULKI_CPU_ISA=sse9: unknown ISA 'sse9'/);
  assert.match(run({ MULKI_NUM_THREADS: '1' }), / 1$/);
  assert.match(run({ MULKI_NUM_THREADS: 'lots' }), /^ERROR .*MULKI_NUM_THREADS=lots/);
  if (!cpu.info().supportedIsas.includes('avx512')) {
    assert.match(run({ MULKI_CPU_ISA: 'avx512' }), /^ERROR .*cannot run the 'avx512' kernels/);
  }
});
