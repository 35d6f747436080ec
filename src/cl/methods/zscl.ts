/**
 * ZSCL (Zheng et al., ICCV 2023): distillation from the pre-trained model T0 in the feature space of a
 * reference set of images and captions (given by the user), plus the weight ensemble, plus an optional L2 pull
 * towards the previous task's weights.
 *   L = CE_ls + lambdaRef * (KL_img + KL_txt) [+ lambdaL2 * ||theta - theta_{t-1}||^2]
 * KL_img compares softmax(s f(x_ref) g(c_ref)^T / T) rows between T0 and the student; KL_txt the columns.
 * [ours] each step samples a reference batch of images with their own captions (ZSCL uses ImageNet images with
 * ImageNet class prompts or Conceptual Captions).
 */
import { add, scale, square, sub } from '../../engine/ops/elementwise.js';
import { klDiv } from '../../engine/ops/loss.js';
import { matmul } from '../../engine/ops/matmul.js';
import { l2Normalize } from '../../engine/ops/norm.js';
import { sum } from '../../engine/ops/reduce.js';
import { transpose } from '../../engine/ops/shape.js';
import { noGrad } from '../../engine/tape.js';
import type { Tensor } from '../../engine/tensor.js';
import type { ClipModel } from '../../clip/model.js';
import { encodeTexts } from '../../clip/zeroshot.js';
import type { Batch, LossOutput, Method, MethodContext, MethodState } from '../method.js';
import { WeightAverage, frozenCopy, loadWeightsState, taskForward, snapshotPeriod, weightsState } from './common.js';
import { resolveOptions } from './options.js';

export class Zscl implements Method {
  readonly name = 'zscl';
  readonly trains = true;
  readonly options: { lambdaRef: number; temperature: number; refBatch: number; weightEnsemble: boolean; avgEvery: number; lambdaL2: number };
  private avg: WeightAverage | null = null;
  private previous: ClipModel | null = null;

  constructor(opts: Record<string, unknown> = {}) {
    this.options = resolveOptions('zscl', { lambdaRef: 1, temperature: 2, refBatch: 64, weightEnsemble: true, avgEvery: 0, lambdaL2: 0 }, opts);
  }

  beginTask(ctx: MethodContext): void {
    if (!ctx.reference) throw new Error('zscl needs reference data (images with captions): pass --reference DIR or use a benchmark that provides it');
    if (this.options.weightEnsemble) {
      if (this.avg) this.avg.reset(ctx.student);
      else this.avg = new WeightAverage(ctx.student, ctx);
    }
    if (this.options.lambdaL2 > 0) {
      if (this.previous) this.previous.copyFrom(ctx.student);
      else this.previous = frozenCopy(ctx.student, ctx);
    }
  }

  async loss(batch: Batch, ctx: MethodContext): Promise<LossOutput> {
    const { ce } = taskForward(batch, ctx);
    const ref = await ctx.reference!.next(this.options.refBatch);
    const t0 = ctx.initial();
    const s = ctx.logitScale;
    const T = this.options.temperature;
    const fS = l2Normalize(ctx.student.encodeImage(ref.images));
    const gS = encodeTexts(ctx.student, ctx.tokenizer, ref.captions);
    ctx.cost.teacherForwards += ref.images.dim(0);
    const [fT, gT] = noGrad(() => [l2Normalize(t0.encodeImage(ref.images)), encodeTexts(t0, ctx.tokenizer, ref.captions)] as const);
    const lS = scale(matmul(fS, gS, { transB: true }), s);
    const lT = scale(matmul(fT, gT, { transB: true }), s);
    const klImg = klDiv(lS, lT, T);
    const klTxt = klDiv(transpose(lS), transpose(lT), T);
    const terms: Record<string, Tensor> = { ce, kl_img: klImg, kl_txt: klTxt };
    let total = add(ce, scale(add(klImg, klTxt), this.options.lambdaRef));
    if (this.options.lambdaL2 > 0 && this.previous) {
      const prev = this.previous.stateDict();
      let l2: Tensor | null = null;
      for (const [n, p] of ctx.student.namedParameters()) {
        if (!p.requiresGrad) continue;
        const d = sum(square(sub(p, prev.get(n)!)));
        l2 = l2 ? add(l2, d) : d;
      }
      if (l2) {
        terms.l2 = l2;
        total = add(total, scale(l2, this.options.lambdaL2));
      }
    }
    return { total, terms };
  }

  afterStep(ctx: MethodContext): void {
    if (this.avg && (ctx.step + 1) % snapshotPeriod(this.options.avgEvery, ctx.task) === 0) this.avg.add(ctx.student);
  }

  endTask(ctx: MethodContext): void {
    if (!this.avg) return;
    if (ctx.totalSteps % snapshotPeriod(this.options.avgEvery, ctx.task) !== 0) this.avg.add(ctx.student);
    ctx.student.copyFrom(this.avg.model);
  }

  saveState(): MethodState {
    const tensors = new Map<string, Float32Array>();
    if (this.avg) weightsState(this.avg.model, 'avg', tensors);
    if (this.previous) weightsState(this.previous, 'previous', tensors);
    return { json: { avgCount: this.avg?.count ?? 0 }, tensors };
  }

  loadState(state: MethodState, ctx: MethodContext): void {
    const j = state.json as { avgCount: number };
    if (this.options.weightEnsemble) {
      this.avg ??= new WeightAverage(ctx.student, ctx);
      loadWeightsState(this.avg.model, 'avg', state.tensors);
      this.avg.count = j.avgCount;
    }
    if (this.options.lambdaL2 > 0) {
      this.previous ??= frozenCopy(ctx.student, ctx);
      loadWeightsState(this.previous, 'previous', state.tensors);
    }
  }
}
