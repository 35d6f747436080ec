/**
 * Stage 1, Eliciting Ideas: symmetric contrastive alignment of visual and text prototypes [paper].
 * [ours] Over the classes present in the batch: P = normalize(beta * v_c (running, detached) + (1 - beta) *
 * batch mean of f_S for class c (with gradients)), G = the student's text features of those classes;
 * L_EI = 1/2 [CE(s P G^T, I) + CE(s G P^T, I)].
 */
import { tensor } from '../../../engine/ops/create.js';
import { add, scale } from '../../../engine/ops/elementwise.js';
import { indexSelect } from '../../../engine/ops/embedding.js';
import { crossEntropy } from '../../../engine/ops/loss.js';
import { matmul } from '../../../engine/ops/matmul.js';
import { l2Normalize } from '../../../engine/ops/norm.js';
import { transpose } from '../../../engine/ops/shape.js';
import type { Tensor } from '../../../engine/tensor.js';

export function elicitingLoss(o: {
  imageFeatures: Tensor; textFeatures: Tensor; prototypes: Tensor; classes: Int32Array; average: Tensor; scale: number; blend: number;
}): Tensor {
  const be = o.imageFeatures.backend;
  const K = o.classes.length;
  const idx = tensor(o.classes, [K], { device: be, dtype: 'i32' });
  const batchMean = matmul(o.average, o.imageFeatures);
  const running = indexSelect(o.prototypes, 0, idx);
  const P = l2Normalize(add(scale(running, o.blend), scale(batchMean, 1 - o.blend)));
  const G = indexSelect(o.textFeatures, 0, idx);
  const logits = scale(matmul(P, G, { transB: true }), o.scale);
  const y = tensor(Int32Array.from({ length: K }, (_, k) => k), [K], { device: be, dtype: 'i32' });
  return scale(add(crossEntropy(logits, y), crossEntropy(transpose(logits), y)), 0.5);
}
