/**
 * Row-wise top-k of the ref backend: the k largest values of each row in descending order, ties broken toward
 * the lower index. NaN ranks above every number (as torch.topk), so a NaN in the logits is never hidden.
 */
import type { Storage } from '../../backend.js';
import { count, f32, fail, i32, span } from './check.js';

/** True when (a at index ia) ranks before (b at index ib). */
function before(a: number, ia: number, b: number, ib: number): boolean {
  if (a !== a) return b === b || ia < ib; // a is NaN
  if (b !== b) return false;
  return a > b || (a === b && ia < ib);
}

export function topk(x: Storage, rows: number, cols: number, k: number, values: Storage, indices: Storage): void {
  const kn = 'topk';
  count(kn, 'rows', rows);
  count(kn, 'cols', cols);
  count(kn, 'k', k);
  if (k > cols) fail(kn, `k = ${k} is larger than the row length ${cols}`);
  const X = f32(kn, 'x', x);
  const V = f32(kn, 'values', values);
  const I = i32(kn, 'indices', indices);
  span(kn, 'x', x, 0, rows * cols);
  span(kn, 'values', values, 0, rows * k);
  span(kn, 'indices', indices, 0, rows * k);
  // Insertion into a sorted list of the best k so far: O(cols * k) per row, simple and exact.
  const best = new Int32Array(k);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let size = 0;
    for (let j = 0; j < cols; j++) {
      const v = X[o + j]!;
      if (size === k && !before(v, j, X[o + best[k - 1]!]!, best[k - 1]!)) continue;
      let pos = size < k ? size++ : k - 1;
      while (pos > 0 && before(v, j, X[o + best[pos - 1]!]!, best[pos - 1]!)) {
        best[pos] = best[pos - 1]!;
        pos--;
      }
      best[pos] = j;
    }
    for (let t = 0; t < k; t++) {
      I[r * k + t] = best[t]!;
      V[r * k + t] = X[o + best[t]!]!;
    }
  }
}
