/**
 * Gather/scatter kernels of the ref backend: indexSelect / indexAdd (embedding lookup and its gradient) and
 * im2patch / patch2im (the patch embedding of a ViT, i.e. a stride-p convolution unrolled to a GEMM).
 */
import type { Storage } from '../../backend.js';
import { count, f32, fail, i32, span } from './check.js';

function checkIndices(kernel: string, idx: Storage, nIdx: number, n: number): Int32Array {
  const I = i32(kernel, 'idx', idx);
  span(kernel, 'idx', idx, 0, nIdx);
  for (let j = 0; j < nIdx; j++) {
    const v = I[j]!;
    if (v < 0 || v >= n) fail(kernel, `idx[${j}] = ${v} is out of range [0, ${n})`);
  }
  return I;
}

function checkDims(kernel: string, outer: number, n: number, inner: number, nIdx: number): void {
  count(kernel, 'outer', outer);
  count(kernel, 'n', n);
  count(kernel, 'inner', inner);
  count(kernel, 'nIdx', nIdx);
}

export function indexSelect(src: Storage, outer: number, n: number, inner: number, idx: Storage, nIdx: number,
  out: Storage): void {
  const k = 'indexSelect';
  checkDims(k, outer, n, inner, nIdx);
  const S = f32(k, 'src', src);
  const O = f32(k, 'out', out);
  const I = checkIndices(k, idx, nIdx, n);
  span(k, 'src', src, 0, outer * n * inner);
  span(k, 'out', out, 0, outer * nIdx * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const from = (o * n + I[j]!) * inner;
      O.set(S.subarray(from, from + inner), (o * nIdx + j) * inner);
    }
  }
}

/** Adds in index order (j ascending), so repeated indices sum deterministically. */
export function indexAdd(dOut: Storage, outer: number, n: number, inner: number, idx: Storage, nIdx: number,
  dSrc: Storage): void {
  const k = 'indexAdd';
  checkDims(k, outer, n, inner, nIdx);
  const DO = f32(k, 'dOut', dOut);
  const DS = f32(k, 'dSrc', dSrc);
  const I = checkIndices(k, idx, nIdx, n);
  span(k, 'dOut', dOut, 0, outer * nIdx * inner);
  span(k, 'dSrc', dSrc, 0, outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const to = (o * n + I[j]!) * inner;
      const from = (o * nIdx + j) * inner;
      for (let c = 0; c < inner; c++) DS[to + c]! += DO[from + c]!;
    }
  }
}

function checkPatches(kernel: string, batch: number, channels: number, height: number, width: number,
  p: number): void {
  for (const [name, v] of [['batch', batch], ['channels', channels], ['height', height], ['width', width]] as const) {
    count(kernel, name, v);
  }
  if (!Number.isInteger(p) || p < 1) fail(kernel, `patch size must be a positive integer, got ${p}`);
  if (height % p !== 0 || width % p !== 0) {
    fail(kernel, `image ${height} x ${width} is not divisible into ${p} x ${p} patches`);
  }
}

/**
 * Visits every (image element, patch element) pair once: x[b, c, py*p + r, px*p + q] <->
 * patches[b, py * (width/p) + px, (c * p + r) * p + q].
 */
function forEachPatchRow(batch: number, channels: number, height: number, width: number, p: number,
  visit: (xi: number, pi: number) => void): void {
  const gw = width / p;
  const np = (height / p) * gw;
  const pw = channels * p * p;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) {
        const py = Math.floor(y / p);
        const r = y - py * p;
        for (let px = 0; px < gw; px++) {
          // p consecutive pixels of row y that fall in patch (py, px): contiguous on both sides.
          visit(((b * channels + c) * height + y) * width + px * p,
            (b * np + py * gw + px) * pw + (c * p + r) * p);
        }
      }
    }
  }
}

export function im2patch(x: Storage, batch: number, channels: number, height: number, width: number, p: number,
  out: Storage): void {
  const k = 'im2patch';
  checkPatches(k, batch, channels, height, width, p);
  const X = f32(k, 'x', x);
  const O = f32(k, 'out', out);
  const n = batch * channels * height * width;
  span(k, 'x', x, 0, n);
  span(k, 'out', out, 0, n);
  forEachPatchRow(batch, channels, height, width, p, (xi, pi) => {
    for (let q = 0; q < p; q++) O[pi + q] = X[xi + q]!;
  });
}

export function patch2im(dPatches: Storage, batch: number, channels: number, height: number, width: number,
  p: number, dx: Storage, accumulate: boolean): void {
  const k = 'patch2im';
  checkPatches(k, batch, channels, height, width, p);
  const DP = f32(k, 'dPatches', dPatches);
  const DX = f32(k, 'dx', dx);
  const n = batch * channels * height * width;
  span(k, 'dPatches', dPatches, 0, n);
  span(k, 'dx', dx, 0, n);
  forEachPatchRow(batch, channels, height, width, p, (xi, pi) => {
    for (let q = 0; q < p; q++) DX[xi + q] = accumulate ? DX[xi + q]! + DP[pi + q]! : DP[pi + q]!;
  });
}
