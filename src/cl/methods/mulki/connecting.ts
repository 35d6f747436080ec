/**
 * Stage 4, Making Connections: intra- and inter-task model connection [paper].
 * [ours], as ZSCL's weight ensemble: a running uniform average of the student's weights, seeded with the
 * previous task's final model (inter-task) and updated with a snapshot every `every` steps (intra-task); at the
 * end of the task the average (always including the final weights) becomes the model, and so the next task's T1.
 * Option: a final interpolation theta_t <- alpha * theta_avg + (1 - alpha) * theta_{t-1} (alpha = 1: plain average).
 */
import type { ClipModel } from '../../../clip/model.js';
import type { MethodContext } from '../../method.js';
import { WeightAverage, frozenCopy, interpolateInto } from '../common.js';

export class ModelConnection {
  readonly average: WeightAverage;
  /** theta_{t-1}, kept only when alpha < 1. */
  private previous: ClipModel | null = null;

  constructor(student: ClipModel, readonly alpha: number, ctx: MethodContext) {
    this.average = new WeightAverage(student, ctx);
    if (alpha < 1) this.previous = frozenCopy(student, ctx);
  }

  /** New task: the average starts from the current (previous task's final) model. */
  begin(student: ClipModel): void {
    this.average.reset(student);
    this.previous?.copyFrom(student);
  }

  afterStep(student: ClipModel, step: number, every: number): void {
    if ((step + 1) % every === 0) this.average.add(student);
  }

  /** Writes the connected model into the student. */
  end(student: ClipModel, totalSteps: number, every: number): void {
    if (totalSteps % every !== 0) this.average.add(student);
    if (this.previous) interpolateInto(student, this.average.model, this.previous, this.alpha);
    else student.copyFrom(this.average.model);
  }

  /** theta_{t-1} for checkpoints (null when alpha = 1). */
  previousModel(): ClipModel | null {
    return this.previous;
  }
}
