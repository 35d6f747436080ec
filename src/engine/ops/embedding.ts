/** Row lookups by integer index: embedding tables and index-select along an axis, with gradients. */
import { record } from '../tape.js';
import { Tensor, empty } from '../tensor.js';
import { assertI32, axisOf, common, prod } from './util.js';

/** table: [V, D], ids: i32 of any shape -> [...ids.shape, D]. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  const be = common('embedding', table);
  assertI32('embedding', ids, be);
  if (table.rank !== 2) throw new Error(`embedding: table must be [vocab, dim], got [${table.shape}]${table.name ? ` (${table.name})` : ''}`);
  return select(table, 0, ids, [...ids.shape, table.dim(1)]);
}

/** Entries idx (i32, 1-D) along `axis`: out.shape[axis] = idx.size. */
export function indexSelect(x: Tensor, axis: number, idx: Tensor): Tensor {
  const be = common('indexSelect', x);
  assertI32('indexSelect', idx, be);
  const ax = axisOf('indexSelect', axis, x.rank);
  return select(x, ax, idx, x.shape.map((d, i) => (i === ax ? idx.size : d)));
}

function select(x: Tensor, ax: number, idx: Tensor, outShape: number[]): Tensor {
  const be = x.backend;
  const outer = prod(x.shape, 0, ax);
  const n = x.shape[ax]!;
  const inner = prod(x.shape, ax + 1);
  const out = empty(be, outShape);
  be.indexSelect(x.storage, outer, n, inner, idx.storage, idx.size, out.storage);
  return record(out, 'indexSelect', [x], (g, sink) => {
    const t = sink.target(x);
    if (!t) return;
    if (!t.acc) be.fill(t.s, 0, 0, x.size);
    be.indexAdd(g.storage, outer, n, inner, idx.storage, idx.size, t.s);
  });
}
