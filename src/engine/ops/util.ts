/** Checks and shape arithmetic shared by the ops. */
import type { Backend } from '../backend.js';
import { MAX_RANK } from '../backend.js';
import { Tensor, assertAlive, type Shape } from '../tensor.js';

/** All tensors alive, f32 (unless allowed), on one backend; returns that backend. */
export function common(op: string, ...ts: (Tensor | null | undefined)[]): Backend {
  let be: Backend | null = null;
  for (const t of ts) {
    if (!t) continue;
    assertAlive(t);
    if (t.dtype !== 'f32') throw new Error(`${op}: expected f32 input, got ${t}`);
    if (be && t.backend !== be) throw new Error(`${op}: inputs on different devices (${be.name} and ${t.device})`);
    be = t.backend;
  }
  if (!be) throw new Error(`${op}: no input tensor`);
  return be;
}

export function assertI32(op: string, t: Tensor, be: Backend): void {
  assertAlive(t);
  if (t.dtype !== 'i32') throw new Error(`${op}: expected i32 indices/labels, got ${t}`);
  if (t.backend !== be) throw new Error(`${op}: indices on device ${t.device}, data on ${be.name}`);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertShape(op: string, t: Tensor, shape: Shape): void {
  if (!sameShape(t.shape, shape)) throw new Error(`${op}: expected shape [${shape}], got [${t.shape}]${t.name ? ` (${t.name})` : ''}`);
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  if (r > MAX_RANK) throw new Error(`${op}: rank ${r} exceeds ${MAX_RANK}`);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${op}: shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Contiguous element strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides for reading a tensor of `shape` broadcast to `outShape` (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, i) => {
    const j = i - off;
    if (j < 0) return 0;
    return shape[j] === 1 && d !== 1 ? 0 : own[j]!;
  });
}

/** shape left-padded with 1s to rank r. */
export function padShape(shape: Shape, r: number): number[] {
  return [...new Array<number>(r - shape.length).fill(1), ...shape];
}

/** Resolves a possibly negative axis. */
export function axisOf(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? rank + axis : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Product of dims [from, to). */
export function prod(shape: Shape, from = 0, to = shape.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i]!;
  return n;
}
