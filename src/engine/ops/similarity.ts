/** Cosine similarity along the last axis (composed from l2Normalize, mul and sum, so it is differentiable). */
import { mul } from './elementwise.js';
import { l2Normalize } from './norm.js';
import { sum } from './reduce.js';
import type { Tensor } from '../tensor.js';

export function cosineSimilarity(a: Tensor, b: Tensor, eps = 1e-8): Tensor {
  return sum(mul(l2Normalize(a, eps), l2Normalize(b, eps)), -1);
}
