/**
 * Visual prototypes [paper]: per class, the re-normalised mean of L2-normalised image features.
 * - Teachers' prototypes are computed once per task by encoding the task's training images (optionally capped per
 *   class [ours]).
 * - The student's prototypes start from T0's and follow the student's batch features (detached):
 *   v_c <- normalize(m * v_c + (1 - m) * mean_{i: y_i = c} f_S(x_i)) [ours, m = 0.99].
 */
import type { Backend } from '../../../engine/backend.js';
import { tensor } from '../../../engine/ops/create.js';
import { add, scale } from '../../../engine/ops/elementwise.js';
import { indexSelect } from '../../../engine/ops/embedding.js';
import { matmul } from '../../../engine/ops/matmul.js';
import { l2Normalize } from '../../../engine/ops/norm.js';
import { scope, untrack } from '../../../engine/memory.js';
import { noGrad } from '../../../engine/tape.js';
import type { Tensor } from '../../../engine/tensor.js';
import type { ClipModel } from '../../../clip/model.js';
import type { MethodContext } from '../../method.js';

/** Sorted distinct labels of a batch, and the [K, B] matrix that averages the batch rows of each. */
export function classGroups(labels: Int32Array, be: Backend): { classes: Int32Array; average: Tensor } {
  const classes = Int32Array.from(new Set(labels)).sort();
  const K = classes.length;
  const B = labels.length;
  const pos = new Map<number, number>();
  classes.forEach((c, k) => pos.set(c, k));
  const counts = new Float32Array(K);
  for (const y of labels) counts[pos.get(y)!]!++;
  const a = new Float32Array(K * B);
  for (let i = 0; i < B; i++) {
    const k = pos.get(labels[i]!)!;
    a[k * B + i] = 1 / counts[k]!;
  }
  return { classes, average: tensor(a, [K, B], { device: be }) };
}

/** Prototypes [C, D] of a frozen model over the task's training images (owned by the caller: untracked). */
export async function computePrototypes(model: ClipModel, ctx: MethodContext, numClasses: number, perClassCap: number): Promise<Tensor> {
  const be = model.backend;
  const D = model.config.embedDim;
  const sums = new Float32Array(numClasses * D);
  const counts = new Float32Array(numClasses);
  for await (const { images, labels } of ctx.trainImages({ perClassCap: perClassCap > 0 ? perClassCap : undefined })) {
    ctx.cost.teacherForwards += labels.length;
    const f = noGrad(() => scope(() => (l2Normalize(model.encodeImage(images)).toArray() as Float32Array)));
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]!;
      counts[c]!++;
      for (let d = 0; d < D; d++) sums[c * D + d]! += f[i * D + d]!;
    }
  }
  const missing = [...counts].map((n, c) => (n === 0 ? c : -1)).filter((c) => c >= 0);
  if (missing.length) ctx.log(`prototypes: no training image for class(es) ${missing.slice(0, 10).join(', ')}; their prototype is zero`);
  const protos = noGrad(() => l2Normalize(tensor(sums, [numClasses, D], { device: be })));
  untrack(protos.storage);
  return protos;
}

/** The student's running prototypes (EMA of its detached batch features). */
export class RunningPrototypes {
  constructor(readonly value: Tensor, readonly momentum: number) {}

  /** v_c <- normalize(m v_c + (1-m) batch-mean_c(f)) for the classes present in the batch. */
  update(features: Tensor, labels: Int32Array): void {
    const be = this.value.backend;
    const D = this.value.dim(1);
    noGrad(() => scope(() => {
      const { classes, average } = classGroups(labels, be);
      const idx = tensor(classes, [classes.length], { device: be, dtype: 'i32' });
      const mean = matmul(average, features);
      const old = indexSelect(this.value, 0, idx);
      const next = l2Normalize(add(scale(old, this.momentum), scale(mean, 1 - this.momentum)));
      classes.forEach((c, k) => be.copy(next.storage, k * D, this.value.storage, c * D, D));
    }));
  }
}
