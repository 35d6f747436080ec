/** Pieces every method shares: the task's classification loss, frozen model copies, weight arithmetic. */
import type { Tensor } from '../../engine/tensor.js';
import { crossEntropy } from '../../engine/ops/loss.js';
import { matmul } from '../../engine/ops/matmul.js';
import { l2Normalize } from '../../engine/ops/norm.js';
import { scale } from '../../engine/ops/elementwise.js';
import { noGrad } from '../../engine/tape.js';
import { createClip, type ClipModel } from '../../clip/model.js';
import { encodeTexts } from '../../clip/zeroshot.js';
import type { Batch, MethodContext } from '../method.js';
import type { Task } from '../stream.js';

export interface TaskForward {
  /** CE with label smoothing of s * f_S G_S^T. */
  ce: Tensor;
  /** Student image features [B, D] and text features of the task's classes [C, D], both L2-normalised. */
  imageFeatures: Tensor;
  textFeatures: Tensor;
  /** s * f_S G_S^T [B, C]. */
  logits: Tensor;
}

/** The recipe's classification loss on the current task (student text features recomputed with gradients). */
export function taskForward(batch: Batch, ctx: MethodContext): TaskForward {
  const textFeatures = encodeTexts(ctx.student, ctx.tokenizer, ctx.classPrompts);
  const imageFeatures = l2Normalize(ctx.student.encodeImage(batch.images));
  const logits = scale(matmul(imageFeatures, textFeatures, { transB: true }), ctx.logitScale);
  return { ce: crossEntropy(logits, batch.labels, ctx.labelSmoothing), imageFeatures, textFeatures, logits };
}

/** A frozen copy of a model's current weights (teachers, snapshots); its size is added to the method's cost. */
export function frozenCopy(src: ClipModel, ctx?: MethodContext): ClipModel {
  const m = createClip(src.backend, src.config, 0);
  m.copyFrom(src);
  m.setTrainable(false).eval();
  if (ctx) ctx.cost.extraStorageBytes += 4 * m.parameterCount();
  return m;
}

/** Normalised image features of a frozen model (no gradient; counts teacher forwards). */
export function teacherImageFeatures(teacher: ClipModel, images: Tensor, ctx: MethodContext): Tensor {
  ctx.cost.teacherForwards += images.dim(0);
  return noGrad(() => l2Normalize(teacher.encodeImage(images)));
}

/** Normalised text features of the task's class prompts under a frozen model. */
export function teacherTextFeatures(teacher: ClipModel, ctx: MethodContext): Tensor {
  return noGrad(() => encodeTexts(teacher, ctx.tokenizer, ctx.classPrompts));
}

/**
 * target <- alpha * a + (1 - alpha) * b, parameter by parameter (device-side). The target may be `a` or `b` itself
 * (WiSE-FT mixes the student in place): the aliased operand is scaled first, the other one added.
 */
export function interpolateInto(target: ClipModel, a: ClipModel, b: ClipModel, alpha: number): void {
  const pa = a.stateDict();
  const pb = b.stateDict();
  for (const [n, t] of target.namedParameters()) {
    const x = pa.get(n)!;
    const y = pb.get(n)!;
    const be = t.backend;
    if (t === x) {
      be.affine(t.storage, alpha, 0, t.storage, t.size);
      be.axpy(1 - alpha, y.storage, 0, t.storage, 0, t.size);
    } else {
      if (t !== y) be.copy(y.storage, 0, t.storage, 0, t.size);
      be.affine(t.storage, 1 - alpha, 0, t.storage, t.size);
      be.axpy(alpha, x.storage, 0, t.storage, 0, t.size);
    }
  }
}

/** The weight-ensemble snapshot period: the method's `avgEvery` option when set (> 0), else the task's. */
export function snapshotPeriod(avgEvery: number, task: Task): number {
  if (!(Number.isInteger(avgEvery) && avgEvery >= 0)) throw new Error(`avgEvery must be an integer >= 0 (0 = the stream's period), got ${avgEvery}`);
  return avgEvery > 0 ? avgEvery : task.snapshotEvery ?? 100;
}

/**
 * Running uniform average of weights (ZSCL's weight ensemble): seeded with a model (count 1), then
 * avg <- (n * avg + theta) / (n + 1) at every add().
 */
export class WeightAverage {
  readonly model: ClipModel;
  count = 1;
  constructor(seed: ClipModel, ctx?: MethodContext) {
    this.model = frozenCopy(seed, ctx);
  }
  /** Starts a new average from a model (count 1), reusing the buffers. */
  reset(seed: ClipModel): void {
    this.model.copyFrom(seed);
    this.count = 1;
  }
  add(theta: ClipModel): void {
    const n = this.count;
    const src = theta.stateDict();
    for (const [name, t] of this.model.namedParameters()) {
      const x = src.get(name)!;
      t.backend.affine(t.storage, n / (n + 1), 0, t.storage, t.size);
      t.backend.axpy(1 / (n + 1), x.storage, 0, t.storage, 0, t.size);
    }
    this.count++;
  }
}

/** Host copies of a model's weights under a prefix (method checkpoint state). */
export function weightsState(m: ClipModel, prefix: string, out: Map<string, Float32Array>): void {
  for (const [n, v] of m.stateArrays()) out.set(`${prefix}.${n}`, v);
}

/** Restores weights saved by weightsState. */
export function loadWeightsState(m: ClipModel, prefix: string, tensors: ReadonlyMap<string, Float32Array>): void {
  const sub = new Map<string, Float32Array>();
  for (const [k, v] of tensors) if (k.startsWith(prefix + '.')) sub.set(k.slice(prefix.length + 1), v);
  m.loadStateArrays(sub, true, `method state '${prefix}'`);
}
