/** Sum and mean over axes (or everything), and their gradients (broadcast back). */
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { broadcastInto } from './elementwise.js';
import { axisOf, common } from './util.js';

function reduce(op: 'sum' | 'mean', x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const be = common(op, x);
  const r = x.rank;
  const list = axes === undefined ? x.shape.map((_, i) => i) : (typeof axes === 'number' ? [axes] : axes).map((a) => axisOf(op, a, r));
  const keepShape = x.shape.map((d, i) => (list.includes(i) ? 1 : d));
  const outShape = keepDims ? keepShape : x.shape.filter((_, i) => !list.includes(i));
  let count = 1;
  for (const a of new Set(list)) count *= x.shape[a]!;
  const out = empty(be, outShape);
  if (r === 0) be.copy(x.storage, 0, out.storage, 0, 1);
  else be.sumTo(x.storage, x.shape, out.storage, keepShape, false);
  const factor = op === 'mean' ? 1 / Math.max(count, 1) : 1;
  if (factor !== 1) be.affine(out.storage, factor, 0, out.storage, out.size);
  return record(out, op, [x], (g, sink) => {
    sink.write(x, (t) => broadcastInto(be, g.storage, keepShape, x.shape, t, factor));
  });
}

/** Sum over the given axes (all when omitted). */
export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduce('sum', x, axes, keepDims);
/** Mean over the given axes (all when omitted). */
export const mean = (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => reduce('mean', x, axes, keepDims);
