/**
 * Cheap argument checks shared by the ref kernels. Every error names the kernel (`ref.<kernel>`) and the argument
 * at fault, so a bug in the op layer points at its cause instead of surfacing later as NaN or garbage.
 */
import { MAX_RANK, type Storage } from '../../backend.js';
import { hostData } from '../host-pool.js';

export function fail(kernel: string, message: string): never {
  throw new Error(`ref.${kernel}: ${message}`);
}

/** The Float32Array behind an f32 host storage. */
export function f32(kernel: string, name: string, s: Storage): Float32Array {
  if (s.dtype !== 'f32') fail(kernel, `${name} must be f32, got ${s.dtype}`);
  return data(kernel, name, s) as Float32Array;
}

/** The Int32Array behind an i32 host storage. */
export function i32(kernel: string, name: string, s: Storage): Int32Array {
  if (s.dtype !== 'i32') fail(kernel, `${name} must be i32, got ${s.dtype}`);
  return data(kernel, name, s) as Int32Array;
}

/** The typed array behind a host storage of either dtype. */
export function data(kernel: string, name: string, s: Storage): Float32Array | Int32Array {
  try {
    return hostData(s);
  } catch (e) {
    return fail(kernel, `${name}: ${(e as Error).message}`);
  }
}

/** A count, size or dimension: a non-negative integer. */
export function count(kernel: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) fail(kernel, `${name} must be a non-negative integer, got ${v}`);
}

/** Checks that elements [off, off + n) exist in `s`. */
export function span(kernel: string, name: string, s: Storage, off: number, n: number): void {
  count(kernel, `${name} offset`, off);
  count(kernel, `${name} element count`, n);
  if (off + n > s.size) {
    fail(kernel, `${name} needs elements [${off}, ${off + n}) but its storage has ${s.size}`);
  }
}

/**
 * Checks a batch of row-major matrices (rows x cols, row stride ld, matrix stride `stride`) starting at `off`:
 * ld must cover a row and the last element must lie inside the storage.
 */
export function matrix(kernel: string, name: string, s: Storage, off: number, rows: number, cols: number,
  ld: number, batch = 1, stride = 0): void {
  count(kernel, `${name} offset`, off);
  count(kernel, `${name} leading dimension`, ld);
  count(kernel, `${name} batch stride`, stride);
  if (rows > 1 && ld < cols) fail(kernel, `${name} leading dimension ${ld} is smaller than its width ${cols}`);
  if (rows === 0 || cols === 0 || batch === 0) return;
  const last = off + (batch - 1) * stride + (rows - 1) * ld + cols - 1;
  if (last >= s.size) {
    fail(kernel, `${name} (${batch} x ${rows} x ${cols}, ld ${ld}, stride ${stride}, offset ${off}) reaches ` +
      `element ${last} but its storage has ${s.size}`);
  }
}

/** Checks a shape (rank <= MAX_RANK, non-negative integer dims) and returns its element count. */
export function shapeSize(kernel: string, name: string, shape: readonly number[]): number {
  if (shape.length > MAX_RANK) fail(kernel, `${name} has rank ${shape.length}, more than MAX_RANK = ${MAX_RANK}`);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    count(kernel, `${name}[${i}]`, shape[i]!);
    n *= shape[i]!;
  }
  return n;
}

/** Contiguous row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function sameDtype(kernel: string, a: Storage, b: Storage, aName: string, bName: string): void {
  if (a.dtype !== b.dtype) fail(kernel, `dtype mismatch: ${aName} is ${a.dtype} but ${bName} is ${b.dtype}`);
}

export function finite(kernel: string, name: string, v: number): void {
  if (!Number.isFinite(v)) fail(kernel, `${name} must be a finite number, got ${v}`);
}
