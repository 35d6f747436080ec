/**
 * WiSE-FT in the continual setting: fine-tune on each task, then interpolate the weights with the pre-trained
 * model: theta <- alpha * theta + (1 - alpha) * theta_0.
 */
import type { Batch, LossOutput, Method, MethodContext, MethodState } from '../method.js';
import { interpolateInto, taskForward } from './common.js';
import { resolveOptions } from './options.js';

export class WiseFT implements Method {
  readonly name = 'wiseft';
  readonly trains = true;
  readonly options: { alpha: number };
  constructor(opts: Record<string, unknown> = {}) {
    this.options = resolveOptions('wiseft', { alpha: 0.5 }, opts);
  }
  beginTask(): void {}
  loss(batch: Batch, ctx: MethodContext): LossOutput {
    const { ce } = taskForward(batch, ctx);
    return { total: ce, terms: { ce } };
  }
  afterStep(): void {}
  endTask(ctx: MethodContext): void {
    interpolateInto(ctx.student, ctx.student, ctx.initial(), this.options.alpha);
  }
  saveState(): MethodState {
    return { json: null, tensors: new Map() };
  }
  loadState(): void {}
}
