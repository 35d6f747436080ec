/** Shape ops: reshape (a view), permute/transpose, concat and slice (copies), with gradients. */
import { record } from '../tape.js';
import { Tensor, empty, sizeOf, type Shape } from '../tensor.js';
import { assertAlive } from '../tensor.js';
import { axisOf, common, prod } from './util.js';

/** Same elements, new shape (one dim may be -1). Shares storage with x. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  assertAlive(x);
  const sh = [...shape];
  const free = sh.indexOf(-1);
  if (free >= 0) {
    const rest = sh.reduce((a, d, i) => (i === free ? a : a * d), 1);
    if (rest === 0 || x.size % rest !== 0) throw new Error(`reshape: cannot reshape [${x.shape}] to [${shape}]`);
    sh[free] = x.size / rest;
  }
  if (sizeOf(sh) !== x.size) throw new Error(`reshape: cannot reshape [${x.shape}] (${x.size} elements) to [${shape}]`);
  const out = new Tensor(x.storage, sh, x.backend);
  out.hostCopy = x.hostCopy;
  if (x.dtype !== 'f32') return out;
  return record(out, 'reshape', [x], (g, sink) => sink.add(x, g));
}

/** Axes reordered: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  assertAlive(x);
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`permute: [${perm}] is not a permutation of the ${x.rank} axes of [${x.shape}]`);
  }
  const be = x.backend;
  const outShape = perm.map((p) => x.shape[p]!);
  const out = empty(be, outShape, x.dtype);
  be.permute(x.storage, x.shape, perm, out.storage);
  if (x.dtype !== 'f32') return out;
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return record(out, 'permute', [x], (g, sink) => sink.write(x, (t) => be.permute(g.storage, outShape, inv, t)));
}

/** Swaps two axes. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const p = x.shape.map((_, i) => i);
  const i = axisOf('transpose', a, x.rank);
  const j = axisOf('transpose', b, x.rank);
  [p[i], p[j]] = [p[j]!, p[i]!];
  return permute(x, p);
}

/** Joins tensors along an axis (all other dims equal). */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const be = common('concat', ...xs);
  const first = xs[0]!;
  const ax = axisOf('concat', axis, first.rank);
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat: shapes [${first.shape}] and [${t.shape}] differ outside axis ${ax}`);
    }
  }
  const outer = prod(first.shape, 0, ax);
  const rest = prod(first.shape, ax + 1);
  const total = xs.reduce((a, t) => a + t.shape[ax]!, 0);
  const outShape = first.shape.map((d, i) => (i === ax ? total : d));
  const out = empty(be, outShape);
  const ld = total * rest;
  let off = 0;
  const offs: number[] = [];
  for (const t of xs) {
    const cols = t.shape[ax]! * rest;
    offs.push(off);
    be.copy2d(t.storage, 0, cols, out.storage, off, ld, outer, cols, false);
    off += cols;
  }
  return record(out, 'concat', xs, (g, sink) => {
    xs.forEach((t, i) => {
      const tgt = sink.target(t);
      if (!tgt) return;
      const cols = t.shape[ax]! * rest;
      be.copy2d(g.storage, offs[i]!, ld, tgt.s, 0, cols, outer, cols, tgt.acc);
    });
  });
}

/** Elements start..end-1 along an axis (a copy). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const be = common('slice', x);
  const ax = axisOf('slice', axis, x.rank);
  const n = x.shape[ax]!;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new Error(`slice: [${start}, ${end}) out of range for axis ${ax} of [${x.shape}]`);
  }
  const outer = prod(x.shape, 0, ax);
  const rest = prod(x.shape, ax + 1);
  const outShape = x.shape.map((d, i) => (i === ax ? end - start : d));
  const out = empty(be, outShape);
  const cols = (end - start) * rest;
  const ld = n * rest;
  be.copy2d(x.storage, start * rest, ld, out.storage, 0, cols, outer, cols, false);
  return record(out, 'slice', [x], (g, sink) => {
    const tgt = sink.target(x);
    if (!tgt) return;
    if (!tgt.acc) be.fill(tgt.s, 0, 0, x.size);
    be.copy2d(g.storage, 0, cols, tgt.s, start * rest, ld, outer, cols, true);
  });
}

/** Splits along an axis into pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis = 0): Tensor[] {
  const ax = axisOf('split', axis, x.rank);
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax]) throw new Error(`split: sizes [${sizes}] do not sum to ${x.shape[ax]}`);
  const out: Tensor[] = [];
  let s = 0;
  for (const k of sizes) {
    out.push(slice(x, ax, s, s + k));
    s += k;
  }
  return out;
}
