/** Continual fine-tuning: the task's cross-entropy alone (the lower bound on forgetting). */
import type { Batch, LossOutput, Method, MethodContext, MethodState } from '../method.js';
import { taskForward } from './common.js';

export class FineTune implements Method {
  readonly name = 'finetune';
  readonly trains = true;
  readonly options = {};
  beginTask(): void {}
  loss(batch: Batch, ctx: MethodContext): LossOutput {
    const { ce } = taskForward(batch, ctx);
    return { total: ce, terms: { ce } };
  }
  afterStep(): void {}
  endTask(): void {}
  saveState(): MethodState {
    return { json: null, tensors: new Map() };
  }
  loadState(): void {}
}
