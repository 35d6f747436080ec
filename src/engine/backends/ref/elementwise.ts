/**
 * Elementwise kernels and sums of the ref backend: strided broadcasting binary ops, unary maps, affine, axpy,
 * and the reductions (sumTo, sumRows, sumSquares). Every sum is accumulated in float64.
 */
import type { BinaryOp, Storage, UnaryOp } from '../../backend.js';
import { contiguousStrides, count, data, f32, fail, shapeSize, span } from './check.js';

export function binary(op: BinaryOp, a: Storage, aStrides: readonly number[], b: Storage,
  bStrides: readonly number[], out: Storage, outShape: readonly number[]): void {
  const A = f32('binary', 'a', a);
  const B = f32('binary', 'b', b);
  const O = f32('binary', 'out', out);
  const total = shapeSize('binary', 'outShape', outShape);
  const rank = outShape.length;
  checkStrides('binary', 'a', a, aStrides, outShape);
  checkStrides('binary', 'b', b, bStrides, outShape);
  span('binary', 'out', out, 0, total);
  if (total === 0) return;
  const inner = rank === 0 ? 1 : outShape[rank - 1]!;
  const sa = rank === 0 ? 0 : aStrides[rank - 1]!;
  const sb = rank === 0 ? 0 : bStrides[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o += inner) {
    switch (op) {
      case 'add': for (let j = 0; j < inner; j++) O[o + j] = A[ia + j * sa]! + B[ib + j * sb]!; break;
      case 'sub': for (let j = 0; j < inner; j++) O[o + j] = A[ia + j * sa]! - B[ib + j * sb]!; break;
      case 'mul': for (let j = 0; j < inner; j++) O[o + j] = A[ia + j * sa]! * B[ib + j * sb]!; break;
      case 'div': for (let j = 0; j < inner; j++) O[o + j] = A[ia + j * sa]! / B[ib + j * sb]!; break;
      default: fail('binary', `unknown op '${op as string}'`);
    }
    // Advance the index over the outer axes (odometer), moving both input positions along.
    for (let ax = rank - 2; ax >= 0; ax--) {
      ia += aStrides[ax]!;
      ib += bStrides[ax]!;
      if (++idx[ax]! < outShape[ax]!) break;
      ia -= aStrides[ax]! * outShape[ax]!;
      ib -= bStrides[ax]! * outShape[ax]!;
      idx[ax] = 0;
    }
  }
}

/** Strides must be one per axis, non-negative, and keep every visited element inside the storage. */
function checkStrides(kernel: string, name: string, s: Storage, strides: readonly number[],
  shape: readonly number[]): void {
  if (strides.length !== shape.length) {
    fail(kernel, `${name} has ${strides.length} strides for a rank-${shape.length} output`);
  }
  let last = 0;
  for (let i = 0; i < shape.length; i++) {
    count(kernel, `${name} stride ${i}`, strides[i]!);
    if (shape[i] === 0) return;
    last += (shape[i]! - 1) * strides[i]!;
  }
  if (last >= s.size) fail(kernel, `${name} strides [${strides.join(', ')}] reach element ${last} but its storage has ${s.size}`);
}

export function unary(op: UnaryOp, x: Storage, out: Storage, n: number): void {
  const X = f32('unary', 'x', x);
  const O = f32('unary', 'out', out);
  span('unary', 'x', x, 0, n);
  span('unary', 'out', out, 0, n);
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) O[i] = -X[i]!; break;
    case 'exp': for (let i = 0; i < n; i++) O[i] = Math.exp(X[i]!); break;
    case 'log': for (let i = 0; i < n; i++) O[i] = Math.log(X[i]!); break;
    case 'sqrt': for (let i = 0; i < n; i++) O[i] = Math.sqrt(X[i]!); break;
    case 'rsqrt': for (let i = 0; i < n; i++) O[i] = 1 / Math.sqrt(X[i]!); break;
    case 'square': for (let i = 0; i < n; i++) O[i] = X[i]! * X[i]!; break;
    case 'abs': for (let i = 0; i < n; i++) O[i] = Math.abs(X[i]!); break;
    case 'recip': for (let i = 0; i < n; i++) O[i] = 1 / X[i]!; break;
    default: fail('unary', `unknown op '${op as string}'`);
  }
}

export function affine(x: Storage, alpha: number, beta: number, out: Storage, n: number): void {
  const X = f32('affine', 'x', x);
  const O = f32('affine', 'out', out);
  span('affine', 'x', x, 0, n);
  span('affine', 'out', out, 0, n);
  for (let i = 0; i < n; i++) O[i] = alpha * X[i]! + beta;
}

export function axpy(alpha: number, x: Storage, xOff: number, y: Storage, yOff: number, n: number): void {
  const X = f32('axpy', 'x', x);
  const Y = f32('axpy', 'y', y);
  span('axpy', 'x', x, xOff, n);
  span('axpy', 'y', y, yOff, n);
  for (let i = 0; i < n; i++) Y[yOff + i]! += alpha * X[xOff + i]!;
}

export function sumTo(x: Storage, xShape: readonly number[], out: Storage, outShape: readonly number[],
  accumulate: boolean): void {
  const X = f32('sumTo', 'x', x);
  const O = f32('sumTo', 'out', out);
  const total = shapeSize('sumTo', 'xShape', xShape);
  const outTotal = shapeSize('sumTo', 'outShape', outShape);
  const rank = xShape.length;
  if (outShape.length !== rank) fail('sumTo', `outShape has rank ${outShape.length} but xShape has rank ${rank}`);
  for (let i = 0; i < rank; i++) {
    if (outShape[i] !== xShape[i] && outShape[i] !== 1) {
      fail('sumTo', `out dim ${i} is ${outShape[i]}: must be 1 or the x dim ${xShape[i]}`);
    }
  }
  span('sumTo', 'x', x, 0, total);
  span('sumTo', 'out', out, 0, outTotal);
  const sums = new Float64Array(outTotal);
  if (total > 0) {
    // Walk x contiguously; the out position moves by its stride on kept axes and stays put on summed axes.
    const outStrides = contiguousStrides(outShape).map((s, i) => (outShape[i] === 1 ? 0 : s));
    const inner = rank === 0 ? 1 : xShape[rank - 1]!;
    const so = rank === 0 ? 0 : outStrides[rank - 1]!;
    const idx = new Array<number>(rank).fill(0);
    let io = 0;
    for (let xi = 0; xi < total; xi += inner) {
      for (let j = 0; j < inner; j++) sums[io + j * so]! += X[xi + j]!;
      for (let ax = rank - 2; ax >= 0; ax--) {
        io += outStrides[ax]!;
        if (++idx[ax]! < xShape[ax]!) break;
        io -= outStrides[ax]! * xShape[ax]!;
        idx[ax] = 0;
      }
    }
  }
  for (let i = 0; i < outTotal; i++) O[i] = accumulate ? O[i]! + sums[i]! : sums[i]!;
}

export function sumRows(x: Storage, rows: number, cols: number, out: Storage, accumulate: boolean): void {
  const X = f32('sumRows', 'x', x);
  const O = f32('sumRows', 'out', out);
  count('sumRows', 'rows', rows);
  count('sumRows', 'cols', cols);
  span('sumRows', 'x', x, 0, rows * cols);
  span('sumRows', 'out', out, 0, cols);
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const xr = r * cols;
    for (let c = 0; c < cols; c++) sums[c]! += X[xr + c]!;
  }
  for (let c = 0; c < cols; c++) O[c] = accumulate ? O[c]! + sums[c]! : sums[c]!;
}

export function sumSquares(x: Storage, n: number): number {
  const X = f32('sumSquares', 'x', x);
  span('sumSquares', 'x', x, 0, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += X[i]! * X[i]!;
  return s;
}

export function scalar(x: Storage, index: number): number {
  const X = data('scalar', 'x', x);
  if (!Number.isInteger(index) || index < 0 || index >= x.size) {
    fail('scalar', `index ${index} is out of range for a storage of ${x.size} elements`);
  }
  return X[index]!;
}
