/**
 * LwF (Learning without Forgetting) for CLIP: distil the previous model T1 (frozen at the start of the task) on
 * the current task's images: KL(softmax(s f_T1 G_T1^T / tau) || softmax(s f_S G_S^T / tau)) * tau^2, each model
 * with its own text features of the current classes.
 */
import { add, scale } from '../../engine/ops/elementwise.js';
import { klDiv } from '../../engine/ops/loss.js';
import { matmul } from '../../engine/ops/matmul.js';
import type { ClipModel } from '../../clip/model.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Batch, LossOutput, Method, MethodContext, MethodState } from '../method.js';
import { frozenCopy, loadWeightsState, taskForward, teacherImageFeatures, teacherTextFeatures, weightsState } from './common.js';
import { resolveOptions } from './options.js';
import { untrack } from '../../engine/memory.js';

export class LwF implements Method {
  readonly name = 'lwf';
  readonly trains = true;
  readonly options: { lambda: number; temperature: number };
  private teacher: ClipModel | null = null;
  private teacherText: Tensor | null = null;

  constructor(opts: Record<string, unknown> = {}) {
    this.options = resolveOptions('lwf', { lambda: 1, temperature: 2 }, opts);
  }

  beginTask(ctx: MethodContext): void {
    if (this.teacher) this.teacher.copyFrom(ctx.student);
    else this.teacher = frozenCopy(ctx.student, ctx);
    this.prepareText(ctx);
  }

  private prepareText(ctx: MethodContext): void {
    if (this.teacherText?.storage.alive) this.teacherText.backend.release(this.teacherText.storage);
    this.teacherText = teacherTextFeatures(this.teacher!, ctx);
    untrack(this.teacherText.storage);
  }

  loss(batch: Batch, ctx: MethodContext): LossOutput {
    const { ce, logits } = taskForward(batch, ctx);
    const fT = teacherImageFeatures(this.teacher!, batch.images, ctx);
    const tLogits = scale(matmul(fT, this.teacherText!, { transB: true }), ctx.logitScale);
    const kd = klDiv(logits, tLogits, this.options.temperature);
    return { total: add(ce, scale(kd, this.options.lambda)), terms: { ce, kd } };
  }

  afterStep(): void {}
  endTask(): void {}

  saveState(): MethodState {
    const tensors = new Map<string, Float32Array>();
    weightsState(this.teacher!, 'teacher', tensors);
    return { json: null, tensors };
  }

  loadState(state: MethodState, ctx: MethodContext): void {
    if (!this.teacher) this.teacher = frozenCopy(ctx.student, ctx);
    loadWeightsState(this.teacher, 'teacher', state.tensors);
    this.prepareText(ctx);
  }
}
