/**
 * Batched GEMM of the ref backend: C_b = alpha * op(A_b) @ op(B_b) + beta * C_b (see GemmParams).
 *
 * The four transpose cases are one loop nest over element strides, with no transpose materialised:
 * op(A)[i, p] sits at a0 + i * aRow + p * aCol and op(B)[p, j] at b0 + p * bRow + j * bCol.
 * C is computed in 4 x 4 blocks whose 16 sums live in local float64 variables (each loaded element of op(A)
 * and op(B) is used four times); the rows and columns left over by the blocks are plain dot products.
 * Sums are accumulated in float64 and rounded to float32 once, when stored.
 */
import type { GemmParams } from '../../backend.js';
import { count, f32, fail, finite, matrix } from './check.js';

export function gemm(p: GemmParams): void {
  const { transA, transB, m, n, k, alpha, beta, batch } = p;
  count('gemm', 'm', m);
  count('gemm', 'n', n);
  count('gemm', 'k', k);
  count('gemm', 'batch', batch);
  finite('gemm', 'alpha', alpha);
  finite('gemm', 'beta', beta);
  const A = f32('gemm', 'A', p.a);
  const B = f32('gemm', 'B', p.b);
  const C = f32('gemm', 'C', p.c);
  matrix('gemm', 'A', p.a, p.aOff, transA ? k : m, transA ? m : k, p.lda, batch, p.strideA);
  matrix('gemm', 'B', p.b, p.bOff, transB ? n : k, transB ? k : n, p.ldb, batch, p.strideB);
  matrix('gemm', 'C', p.c, p.cOff, m, n, p.ldc, batch, p.strideC);
  if (batch > 1 && p.strideC === 0 && m > 0 && n > 0) fail('gemm', 'strideC = 0 would write every batch onto one C');
  const aRow = transA ? 1 : p.lda;
  const aCol = transA ? p.lda : 1;
  const bRow = transB ? 1 : p.ldb;
  const bCol = transB ? p.ldb : 1;
  for (let b = 0; b < batch; b++) {
    const s: Strided = {
      A, a0: p.aOff + b * p.strideA, aRow, aCol,
      B, b0: p.bOff + b * p.strideB, bRow, bCol,
      C, c0: p.cOff + b * p.strideC, ldc: p.ldc,
      k, alpha, beta,
    };
    const m4 = m - (m % 4);
    const n4 = n - (n % 4);
    for (let i = 0; i < m4; i += 4) {
      for (let j = 0; j < n4; j += 4) block4x4(s, i, j);
    }
    for (let i = 0; i < m; i++) {
      for (let j = i < m4 ? n4 : 0; j < n; j++) store(s, i, j, dot(s, i, j));
    }
  }
}

interface Strided {
  A: Float32Array; a0: number; aRow: number; aCol: number;
  B: Float32Array; b0: number; bRow: number; bCol: number;
  C: Float32Array; c0: number; ldc: number;
  k: number; alpha: number; beta: number;
}

/** C[i..i+4, j..j+4] from 16 float64 running sums. */
function block4x4(s: Strided, i: number, j: number): void {
  const { A, B, aCol, bRow, k } = s;
  const a0 = s.a0 + i * s.aRow, a1 = a0 + s.aRow, a2 = a1 + s.aRow, a3 = a2 + s.aRow;
  const b0 = s.b0 + j * s.bCol, b1 = b0 + s.bCol, b2 = b1 + s.bCol, b3 = b2 + s.bCol;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < k; p++) {
    const pa = p * aCol;
    const pb = p * bRow;
    const x0 = A[a0 + pa]!, x1 = A[a1 + pa]!, x2 = A[a2 + pa]!, x3 = A[a3 + pa]!;
    const y0 = B[b0 + pb]!, y1 = B[b1 + pb]!, y2 = B[b2 + pb]!, y3 = B[b3 + pb]!;
    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
    c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
  }
  store(s, i, j, c00); store(s, i, j + 1, c01); store(s, i, j + 2, c02); store(s, i, j + 3, c03);
  store(s, i + 1, j, c10); store(s, i + 1, j + 1, c11); store(s, i + 1, j + 2, c12); store(s, i + 1, j + 3, c13);
  store(s, i + 2, j, c20); store(s, i + 2, j + 1, c21); store(s, i + 2, j + 2, c22); store(s, i + 2, j + 3, c23);
  store(s, i + 3, j, c30); store(s, i + 3, j + 1, c31); store(s, i + 3, j + 2, c32); store(s, i + 3, j + 3, c33);
}

/** sum_p op(A)[i, p] * op(B)[p, j] in float64. */
function dot(s: Strided, i: number, j: number): number {
  const { A, B, aCol, bRow, k } = s;
  const ai = s.a0 + i * s.aRow;
  const bj = s.b0 + j * s.bCol;
  let sum = 0;
  for (let p = 0; p < k; p++) sum += A[ai + p * aCol]! * B[bj + p * bRow]!;
  return sum;
}

/** C[i, j] = alpha * sum + beta * C[i, j]; C is not read when beta = 0 (it may hold NaN). */
function store(s: Strided, i: number, j: number, sum: number): void {
  const c = s.c0 + i * s.ldc + j;
  s.C[c] = s.beta === 0 ? s.alpha * sum : s.alpha * sum + s.beta * s.C[c]!;
}
