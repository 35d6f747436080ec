/** Matrix products (2-D and batched, either operand transposed) and their gradients. */
import type { Backend, Storage } from '../backend.js';
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { common, prod, sameShape } from './util.js';

/** One GEMM call on contiguous matrices: C = alpha op(A) op(B) + beta C, over `batch` matrices. */
export function gemm(be: Backend, o: {
  transA: boolean; transB: boolean; m: number; n: number; k: number;
  a: Storage; b: Storage; c: Storage; aOff?: number; bOff?: number; cOff?: number;
  batch?: number; strideA?: number; strideB?: number; strideC?: number; alpha?: number; beta?: number;
}): void {
  be.gemm({
    transA: o.transA, transB: o.transB, m: o.m, n: o.n, k: o.k,
    alpha: o.alpha ?? 1, beta: o.beta ?? 0,
    a: o.a, aOff: o.aOff ?? 0, lda: o.transA ? o.m : o.k, strideA: o.strideA ?? 0,
    b: o.b, bOff: o.bOff ?? 0, ldb: o.transB ? o.k : o.n, strideB: o.strideB ?? 0,
    c: o.c, cOff: o.cOff ?? 0, ldc: o.n, strideC: o.strideC ?? o.m * o.n,
    batch: o.batch ?? 1,
  });
}

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * op(a) @ op(b) over the last two axes. Leading (batch) axes must be equal, or one operand is 2-D and is
 * broadcast over the other's batch.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const be = common('matmul', a, b);
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands must be at least 2-D, got [${a.shape}] and [${b.shape}]`);
  const m = a.dim(transA ? -1 : -2);
  const k = a.dim(transA ? -2 : -1);
  const kb = b.dim(transB ? -1 : -2);
  const n = b.dim(transB ? -2 : -1);
  if (k !== kb) throw new Error(`matmul: inner dims differ: [${a.shape}]${transA ? 'T' : ''} @ [${b.shape}]${transB ? 'T' : ''}`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const aB = prod(aBatch);
  const bB = prod(bBatch);
  let batchShape: number[];
  if (sameShape(aBatch, bBatch)) batchShape = [...aBatch];
  else if (bBatch.length === 0) batchShape = [...aBatch];
  else if (aBatch.length === 0) batchShape = [...bBatch];
  else throw new Error(`matmul: batch dims [${aBatch}] and [${bBatch}] differ`);
  const batch = prod(batchShape);
  const out = empty(be, [...batchShape, m, n]);

  // A batched, B shared and A not transposed: one big GEMM with the batch folded into m.
  const fold = bB === 1 && bBatch.length === 0 && !transA && aB > 1;
  if (fold) {
    gemm(be, { transA, transB, m: m * batch, n, k, a: a.storage, b: b.storage, c: out.storage });
  } else {
    gemm(be, {
      transA, transB, m, n, k, a: a.storage, b: b.storage, c: out.storage, batch,
      strideA: aB === 1 ? 0 : m * k, strideB: bB === 1 ? 0 : k * n, strideC: m * n,
    });
  }

  return record(out, 'matmul', [a, b], (g, sink) => {
    const ta = sink.target(a);
    if (ta) {
      if (fold) {
        // dA (batch*m x k) = dC op(B)^T
        gemm(be, { transA: false, transB: !transB, m: m * batch, n: k, k: n, a: g.storage, b: b.storage, c: ta.s, beta: ta.acc ? 1 : 0 });
      } else {
        gradOperandA(be, { transA, transB, m, n, k, batch, g: g.storage, b: b.storage, bShared: bB === 1, aShared: aB === 1, out: ta.s, acc: ta.acc });
      }
    }
    const tb = sink.target(b);
    if (tb) {
      if (fold) {
        // dB: transB ? dC^T A (n x k) : A^T dC (k x n), summed over the folded batch by the GEMM itself.
        if (transB) gemm(be, { transA: true, transB: false, m: n, n: k, k: m * batch, a: g.storage, b: a.storage, c: tb.s, beta: tb.acc ? 1 : 0 });
        else gemm(be, { transA: true, transB: false, m: k, n, k: m * batch, a: a.storage, b: g.storage, c: tb.s, beta: tb.acc ? 1 : 0 });
      } else {
        gradOperandB(be, { transA, transB, m, n, k, batch, g: g.storage, a: a.storage, aShared: aB === 1, bShared: bB === 1, out: tb.s, acc: tb.acc });
      }
    }
  });
}

interface GradArgs { transA: boolean; transB: boolean; m: number; n: number; k: number; batch: number; g: Storage; out: Storage; acc: boolean }

/** Gradient of A. A shared over the batch accumulates the batch's contributions one GEMM at a time. */
function gradOperandA(be: Backend, o: GradArgs & { b: Storage; bShared: boolean; aShared: boolean }): void {
  const { transA, transB, m, n, k, batch } = o;
  const sB = o.bShared ? 0 : k * n;
  const one = (i0: number, cnt: number, beta: number, strideOut: number): void => {
    if (!transA) {
      // dA (m x k) = dC (m x n) op(B)^T
      gemm(be, { transA: false, transB: !transB, m, n: k, k: n, a: o.g, aOff: i0 * m * n, b: o.b, bOff: i0 * sB, c: o.out, cOff: strideOut ? i0 * m * k : 0,
        batch: cnt, strideA: m * n, strideB: sB, strideC: strideOut, beta });
    } else {
      // dA (k x m) = op(B) (k x n) dC^T
      gemm(be, { transA: transB, transB: true, m: k, n: m, k: n, a: o.b, aOff: i0 * sB, b: o.g, bOff: i0 * m * n, c: o.out, cOff: strideOut ? i0 * m * k : 0,
        batch: cnt, strideA: sB, strideB: m * n, strideC: strideOut, beta });
    }
  };
  if (!o.aShared || batch === 1) one(0, batch, o.acc ? 1 : 0, m * k);
  else for (let i = 0; i < batch; i++) one(i, 1, o.acc || i > 0 ? 1 : 0, 0);
}

function gradOperandB(be: Backend, o: GradArgs & { a: Storage; aShared: boolean; bShared: boolean }): void {
  const { transA, transB, m, n, k, batch } = o;
  const sA = o.aShared ? 0 : m * k;
  const one = (i0: number, cnt: number, beta: number, strideOut: number): void => {
    if (!transB) {
      // dB (k x n) = op(A)^T (k x m) dC (m x n)
      gemm(be, { transA: !transA, transB: false, m: k, n, k: m, a: o.a, aOff: i0 * sA, b: o.g, bOff: i0 * m * n, c: o.out, cOff: strideOut ? i0 * k * n : 0,
        batch: cnt, strideA: sA, strideB: m * n, strideC: strideOut, beta });
    } else {
      // dB (n x k) = dC^T (n x m) op(A) (m x k)
      gemm(be, { transA: true, transB: transA, m: n, n: k, k: m, a: o.g, aOff: i0 * m * n, b: o.a, bOff: i0 * sA, c: o.out, cOff: strideOut ? i0 * k * n : 0,
        batch: cnt, strideA: m * n, strideB: sA, strideC: strideOut, beta });
    }
  };
  if (!o.bShared || batch === 1) one(0, batch, o.acc ? 1 : 0, k * n);
  else for (let i = 0; i < batch; i++) one(i, 1, o.acc || i > 0 ? 1 : 0, 0);
}
