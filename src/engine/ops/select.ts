/** Top-k and argmax along the last axis (no gradient). */
import { Tensor, empty } from '../tensor.js';
import { common } from './util.js';

export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const be = common('topk', x);
  const cols = x.dim(-1);
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new Error(`topk: k=${k} out of range [1, ${cols}]`);
  const rows = x.size / cols;
  const shape = [...x.shape.slice(0, -1), k];
  const values = empty(be, shape);
  const indices = empty(be, shape, 'i32');
  be.topk(x.storage, rows, cols, k, values.storage, indices.storage);
  return { values, indices };
}

/** Index of the largest value in each row (i32, shape without the last axis). */
export function argmax(x: Tensor): Tensor {
  const { values, indices } = topk(x, 1);
  void values;
  return new Tensor(indices.storage, x.shape.slice(0, -1), indices.backend);
}
