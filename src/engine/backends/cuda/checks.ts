/**
 * Argument checks of the cuda backend. A kernel on the device cannot throw, and an access past a buffer corrupts
 * other tensors or kills the context, so every size, offset and reach is checked here first, with errors that
 * name the kernel and the argument.
 */
import type { DType, Storage } from '../../backend.js';
import { CudaStorage } from './storage.js';

/** The storage as a live cuda storage of the given dtype, or a clear error. */
export function dev(s: Storage, dtype: DType, kernel: string, what: string): CudaStorage {
  if (!(s instanceof CudaStorage)) {
    const d = (s as { device?: unknown } | null)?.device;
    throw new Error(`${kernel}: ${what} must be a cuda storage, got ${s === null || s === undefined ? String(s) : `one on device '${String(d)}'`}`);
  }
  if (!s.alive) throw new Error(`${kernel}: ${what} was released (a tensor used after its scope ended)`);
  if (s.dtype !== dtype) throw new Error(`${kernel}: ${what} must be ${dtype}, got ${s.dtype}`);
  return s;
}

/** Like dev, for an optional storage: null gives pointer 0. */
export function optDev(s: Storage | null, dtype: DType, kernel: string, what: string): CudaStorage | null {
  return s === null || s === undefined ? null : dev(s, dtype, kernel, what);
}

export function ptrOf(s: CudaStorage | null): number {
  return s === null ? 0 : s.ptr;
}

/** A non-negative integer argument. */
export function count(v: number, kernel: string, what: string): number {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${kernel}: ${what} must be a non-negative integer, got ${v}`);
  return v;
}

/** A finite number argument. */
export function finite(v: number, kernel: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${kernel}: ${what} must be a finite number, got ${v}`);
  return v;
}

/** The storage holds at least `end` elements (the exclusive end of what the kernel touches). */
export function reach(s: CudaStorage, end: number, kernel: string, what: string): void {
  if (end > s.size) throw new Error(`${kernel}: ${what} needs ${end} elements but its storage holds ${s.size}`);
}

/** Product of the dimensions (each checked). */
export function volume(shape: readonly number[], kernel: string, what: string): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= count(shape[i]!, kernel, `${what}[${i}]`);
  return n;
}

/** Exclusive end of a strided view over shape (0 when empty). */
export function stridedEnd(shape: readonly number[], strides: readonly number[]): number {
  let end = 1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 0) return 0;
    end += (shape[i]! - 1) * strides[i]!;
  }
  return end;
}

/** A live cuda storage of either dtype (copies and permutes move raw 4-byte elements). */
export function anyDev(s: Storage, kernel: string, what: string): CudaStorage {
  return dev(s, (s as { dtype?: DType } | null)?.dtype === 'i32' ? 'i32' : 'f32', kernel, what);
}
