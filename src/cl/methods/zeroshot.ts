/** Zero-shot: no training at all; every row of the matrix is the pre-trained model's accuracy. */
import type { LossOutput, Method, MethodState } from '../method.js';

export class ZeroShot implements Method {
  readonly name = 'zeroshot';
  readonly trains = false;
  readonly options = {};
  beginTask(): void {}
  loss(): LossOutput {
    throw new Error('zeroshot: this method does not train');
  }
  afterStep(): void {}
  endTask(): void {}
  saveState(): MethodState {
    return { json: null, tensors: new Map() };
  }
  loadState(): void {}
}
