/**
 * CLIP's symmetric contrastive loss: with L2-normalised image and text features of matching pairs, logits =
 * scale * img @ txt^T, loss = (CE(logits, i) + CE(logits^T, i)) / 2 where pair i is the right answer of row i.
 */
import { tensor } from '../engine/ops/create.js';
import { add, exp, mul, scale } from '../engine/ops/elementwise.js';
import { crossEntropy } from '../engine/ops/loss.js';
import { matmul } from '../engine/ops/matmul.js';
import { l2Normalize } from '../engine/ops/norm.js';
import { transpose } from '../engine/ops/shape.js';
import type { Tensor } from '../engine/tensor.js';

/**
 * imageEmb, textEmb: [B, D] projected features (normalised here). logitScale: a learnable log scale (as CLIP) or
 * a fixed multiplier. labels: optional i32 [B] pair ids for batches with repeated captions (default: 0..B-1).
 */
export function contrastiveLoss(imageEmb: Tensor, textEmb: Tensor, logitScale: Tensor | number, labels?: Tensor): Tensor {
  const img = l2Normalize(imageEmb);
  const txt = l2Normalize(textEmb);
  const sim = matmul(img, txt, { transB: true });
  const logits = typeof logitScale === 'number' ? scale(sim, logitScale) : mul(sim, exp(logitScale));
  const B = imageEmb.dim(0);
  const y = labels ?? tensor(Int32Array.from({ length: B }, (_, i) => i), [B], { device: imageEmb.backend, dtype: 'i32' });
  return scale(add(crossEntropy(logits, y), crossEntropy(transpose(logits), y)), 0.5);
}
