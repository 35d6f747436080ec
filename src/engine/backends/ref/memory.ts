/**
 * Memory kernels of the ref backend: upload/download, fill, copies, permute and dtype casts over host typed
 * arrays. Storage comes from the shared HostPool; everything here is a plain loop.
 */
import type { Storage } from '../../backend.js';
import type { HostPool } from '../host-pool.js';
import { contiguousStrides, count, data, fail, sameDtype, shapeSize, span } from './check.js';

export function upload(pool: HostPool, src: Float32Array | Int32Array): Storage {
  if (!(src instanceof Float32Array) && !(src instanceof Int32Array)) {
    fail('upload', 'source must be a Float32Array or an Int32Array');
  }
  const s = pool.alloc(src instanceof Float32Array ? 'f32' : 'i32', src.length);
  s.data.set(src);
  return s;
}

export function download(s: Storage, offset = 0, size = s.size - offset): Float32Array | Int32Array {
  const x = data('download', 'source', s);
  span('download', 'source', s, offset, size);
  return x.slice(offset, offset + size);
}

export function fill(s: Storage, value: number, offset = 0, size = s.size - offset): void {
  const x = data('fill', 'target', s);
  span('fill', 'target', s, offset, size);
  if (s.dtype === 'i32' && !Number.isInteger(value)) fail('fill', `value ${value} is not an integer (i32 storage)`);
  x.fill(value, offset, offset + size);
}

export function copy(src: Storage, srcOff: number, dst: Storage, dstOff: number, size: number): void {
  const s = data('copy', 'src', src);
  const d = data('copy', 'dst', dst);
  sameDtype('copy', src, dst, 'src', 'dst');
  span('copy', 'src', src, srcOff, size);
  span('copy', 'dst', dst, dstOff, size);
  d.set(s.subarray(srcOff, srcOff + size), dstOff);
}

export function copy2d(src: Storage, srcOff: number, srcLd: number, dst: Storage, dstOff: number, dstLd: number,
  rows: number, cols: number, accumulate: boolean): void {
  const s = data('copy2d', 'src', src);
  const d = data('copy2d', 'dst', dst);
  sameDtype('copy2d', src, dst, 'src', 'dst');
  count('copy2d', 'rows', rows);
  count('copy2d', 'cols', cols);
  checkBlock('src', src, srcOff, srcLd, rows, cols);
  checkBlock('dst', dst, dstOff, dstLd, rows, cols);
  for (let r = 0; r < rows; r++) {
    const si = srcOff + r * srcLd;
    const di = dstOff + r * dstLd;
    if (accumulate) {
      for (let c = 0; c < cols; c++) d[di + c]! += s[si + c]!;
    } else {
      d.set(s.subarray(si, si + cols), di);
    }
  }
}

/** copy2d allows any leading dimension (even 0 or one smaller than cols: overlapping rows are the caller's call). */
function checkBlock(name: string, st: Storage, off: number, ld: number, rows: number, cols: number): void {
  count('copy2d', `${name} offset`, off);
  count('copy2d', `${name} leading dimension`, ld);
  if (rows === 0 || cols === 0) return;
  const last = off + (rows - 1) * ld + cols - 1;
  if (last >= st.size) {
    fail('copy2d', `${name} block (${rows} x ${cols}, ld ${ld}, offset ${off}) reaches element ${last} ` +
      `but its storage has ${st.size}`);
  }
}

export function permute(src: Storage, shape: readonly number[], perm: readonly number[], dst: Storage): void {
  const s = data('permute', 'src', src);
  const d = data('permute', 'dst', dst);
  sameDtype('permute', src, dst, 'src', 'dst');
  const total = shapeSize('permute', 'shape', shape);
  const rank = shape.length;
  if (perm.length !== rank) fail('permute', `perm has ${perm.length} axes but shape has ${rank}`);
  const seen = new Array<boolean>(rank).fill(false);
  for (const a of perm) {
    if (!Number.isInteger(a) || a < 0 || a >= rank || seen[a]) {
      fail('permute', `perm [${perm.join(', ')}] is not a permutation of 0..${rank - 1}`);
    }
    seen[a] = true;
  }
  span('permute', 'src', src, 0, total);
  span('permute', 'dst', dst, 0, total);
  if (total === 0) return;
  if (rank === 0) {
    d[0] = s[0]!;
    return;
  }
  const srcStrides = contiguousStrides(shape);
  const dShape = perm.map((a) => shape[a]!);
  const step = perm.map((a) => srcStrides[a]!); // source stride along each destination axis
  const idx = new Array<number>(rank).fill(0);
  const inner = dShape[rank - 1]!;
  const innerStep = step[rank - 1]!;
  let si = 0;
  for (let o = 0; o < total; o += inner) {
    for (let j = 0; j < inner; j++) d[o + j] = s[si + j * innerStep]!;
    for (let ax = rank - 2; ax >= 0; ax--) {
      si += step[ax]!;
      if (++idx[ax]! < dShape[ax]!) break;
      si -= step[ax]! * dShape[ax]!;
      idx[ax] = 0;
    }
  }
}

/** f32 -> i32 truncates toward zero; a value that is not representable as int32 (NaN, +-Inf, |x| >= 2^31) throws. */
export function cast(src: Storage, dst: Storage, size: number): void {
  const s = data('cast', 'src', src);
  const d = data('cast', 'dst', dst);
  span('cast', 'src', src, 0, size);
  span('cast', 'dst', dst, 0, size);
  if (src.dtype === 'f32' && dst.dtype === 'i32') {
    for (let i = 0; i < size; i++) {
      const v = Math.trunc(s[i]!);
      if (!(v >= -2147483648 && v <= 2147483647)) {
        fail('cast', `src element ${i} (${s[i]}) is not representable as i32`);
      }
      d[i] = v;
    }
  } else {
    // i32 -> f32 rounds to the nearest float32 (exact below 2^24); same-dtype is a plain copy.
    for (let i = 0; i < size; i++) d[i] = s[i]!;
  }
}
