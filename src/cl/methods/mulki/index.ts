/**
 * MulKI: Multi-Stage Knowledge Integration (Zhang et al., arXiv 2411.06764), as ../../../../docs/method-mulki.md
 * specifies it. Two frozen teachers: T0 (the pre-trained model) and T1 (the model after the previous task; on the
 * first task T1 = T0 and only one teacher runs). No data beyond the current task's images and class names.
 *   L = CE_ls + lambdaEI * L_EI + sum_k w_k (lambdaFeat L_feat^k + lambdaInter L_inter^k + lambdaIntra L_intra^k)
 * followed by model connection (weight ensemble) at the end of each task.
 */
import { tensor } from '../../../engine/ops/create.js';
import { add, scale } from '../../../engine/ops/elementwise.js';
import { matmul } from '../../../engine/ops/matmul.js';
import { untrack } from '../../../engine/memory.js';
import { noGrad } from '../../../engine/tape.js';
import type { Tensor } from '../../../engine/tensor.js';
import { l2Normalize } from '../../../engine/ops/norm.js';
import type { ClipModel } from '../../../clip/model.js';
import type { Batch, LossOutput, Method, MethodContext, MethodState } from '../../method.js';
import { frozenCopy, loadWeightsState, taskForward, teacherImageFeatures, teacherTextFeatures, snapshotPeriod, weightsState } from '../common.js';
import { resolveOptions } from '../options.js';
import { relationTerms, type ModelView } from './adding.js';
import { ModelConnection } from './connecting.js';
import { WEIGHT_MODES, classWeights, teacherWeights, type WeightMode } from './distinguishing.js';
import { elicitingLoss } from './eliciting.js';
import { RunningPrototypes, classGroups, computePrototypes } from './prototypes.js';

export const MULKI_DEFAULTS = {
  /** Stage switches. */
  eliciting: true,
  adding: true,
  /** Stage 3 mode: 'ce' | 'confidence' | 'entropy' | 'fixed' (fixed = stage off). */
  distinguishing: 'ce' as string,
  connecting: true,
  /** 'both' | 't0' | 't1'. */
  teachers: 'both' as string,
  lambdaEI: 1,
  lambdaFeat: 1,
  lambdaInter: 1,
  lambdaIntra: 1,
  tau: 2,
  gamma: 1,
  protoMomentum: 0.99,
  eiBlend: 0.5,
  /** Images per class used for the teachers' prototypes (0 = all). */
  protoPerClassCap: 0,
  /** Steps between weight-average snapshots; 0 = the stream's period (MTIL 100, MTIL-Offline 10). */
  avgEvery: 0,
  connectAlpha: 1,
};

export type MulkiOptions = typeof MULKI_DEFAULTS;

interface TeacherSlot {
  name: 'T0' | 'T1';
  model: ClipModel;
  G: Tensor;
  V: Tensor;
}

export class Mulki implements Method {
  readonly name = 'mulki';
  readonly trains = true;
  readonly options: MulkiOptions;
  private t1: ClipModel | null = null;
  private teachers: TeacherSlot[] = [];
  private studentProtos: RunningPrototypes | null = null;
  private connection: ModelConnection | null = null;

  constructor(opts: Record<string, unknown> = {}) {
    this.options = resolveOptions('mulki', MULKI_DEFAULTS, opts);
    if (!WEIGHT_MODES.includes(this.options.distinguishing as WeightMode)) {
      throw new Error(`method mulki: distinguishing must be one of ${WEIGHT_MODES.join(', ')}, got '${this.options.distinguishing}'`);
    }
    if (!['both', 't0', 't1'].includes(this.options.teachers)) throw new Error(`method mulki: teachers must be both, t0 or t1, got '${this.options.teachers}'`);
    if (!(Number.isInteger(this.options.avgEvery) && this.options.avgEvery >= 0)) throw new Error(`method mulki: avgEvery must be an integer >= 0 (0 = the stream's period), got ${this.options.avgEvery}`);
  }

  private releaseTaskState(): void {
    for (const t of this.teachers) {
      for (const x of [t.G, t.V]) if (x.storage.alive) x.backend.release(x.storage);
    }
    this.teachers = [];
    const v = this.studentProtos?.value;
    if (v?.storage.alive) v.backend.release(v.storage);
    this.studentProtos = null;
  }

  /** Builds the teachers' text and visual prototypes and the student's running prototypes. */
  private async prepare(ctx: MethodContext, saved: ReadonlyMap<string, Float32Array> | null): Promise<void> {
    const studentProtos = saved?.get('student_prototypes') ?? null;
    this.releaseTaskState();
    const C = ctx.task.train.classNames.length;
    const o = this.options;
    const useT1 = ctx.taskIndex > 0 && o.teachers !== 't0';
    const useT0 = o.teachers !== 't1' || ctx.taskIndex === 0;
    const slots: { name: 'T0' | 'T1'; model: ClipModel }[] = [];
    if (useT0) slots.push({ name: 'T0', model: ctx.initial() });
    if (useT1) slots.push({ name: 'T1', model: this.t1! });
    const needV = o.adding || o.eliciting || !!studentProtos;
    let v0: Tensor | null = null;
    const D = ctx.student.config.embedDim;
    for (const s of slots) {
      const G = teacherTextFeatures(s.model, ctx);
      untrack(G.storage);
      // Resuming: the teacher's prototypes come from the checkpoint (no second pass over the training images).
      const savedV = saved?.get(`prototypes_${s.name}`);
      const V = savedV ? tensor(savedV, [C, D], { device: ctx.backend }) : await computePrototypes(s.model, ctx, C, o.protoPerClassCap);
      untrack(V.storage);
      if (s.name === 'T0') v0 = V;
      this.teachers.push({ ...s, G, V });
    }
    if (needV) {
      let init: Tensor;
      if (studentProtos) init = tensor(studentProtos, [C, D], { device: ctx.backend });
      else if (v0) init = noGrad(() => scale(v0!, 1));
      else init = await computePrototypes(ctx.initial(), ctx, C, o.protoPerClassCap);
      untrack(init.storage);
      this.studentProtos = new RunningPrototypes(init, o.protoMomentum);
    }
  }

  async beginTask(ctx: MethodContext): Promise<void> {
    if (ctx.taskIndex > 0 && this.options.teachers !== 't0') {
      if (this.t1) this.t1.copyFrom(ctx.student);
      else this.t1 = frozenCopy(ctx.student, ctx);
    }
    if (this.options.connecting) {
      if (this.connection) this.connection.begin(ctx.student);
      else this.connection = new ModelConnection(ctx.student, this.options.connectAlpha, ctx);
    }
    await this.prepare(ctx, null);
  }

  loss(batch: Batch, ctx: MethodContext): LossOutput {
    const o = this.options;
    const s = ctx.logitScale;
    const be = ctx.backend;
    const { ce, imageFeatures: fS, textFeatures: GS } = taskForward(batch, ctx);
    const terms: Record<string, Tensor> = { ce };
    let total = ce;
    const labels = batch.labelsHost;
    const { classes, average } = classGroups(labels, be);
    const VS = this.studentProtos?.value ?? null;

    if (o.eliciting && VS) {
      const ei = elicitingLoss({ imageFeatures: fS, textFeatures: GS, prototypes: VS, classes, average, scale: s, blend: o.eiBlend });
      terms.ei = ei;
      total = add(total, scale(ei, o.lambdaEI));
    }

    if (o.adding && this.teachers.length && VS) {
      const C = GS.dim(0);
      const views = this.teachers.map((t) => ({ t, f: teacherImageFeatures(t.model, batch.images, ctx) }));
      const tLogits = views.map(({ t, f }) => noGrad(() => scale(matmul(f, t.G, { transB: true }), s).toArray() as Float32Array));
      const w = teacherWeights(o.distinguishing as WeightMode, tLogits, labels, C, o.gamma);
      const classIdx = tensor(classes, [classes.length], { device: be, dtype: 'i32' });
      const student: ModelView = { f: fS, G: GS, V: VS };
      views.forEach(({ t, f }, k) => {
        const wImg = tensor(w[k]!, [labels.length], { device: be });
        const wCls = tensor(classWeights(w[k]!, labels, classes), [classes.length], { device: be });
        const r = relationTerms(student, { f, G: t.G, V: t.V }, classIdx, wImg, wCls, s, o.tau);
        terms[`feat_${t.name}`] = r.feat;
        terms[`inter_${t.name}`] = r.inter;
        terms[`intra_${t.name}`] = r.intra;
        total = add(total, add(add(scale(r.feat, o.lambdaFeat), scale(r.inter, o.lambdaInter)), scale(r.intra, o.lambdaIntra)));
      });
    }

    // The student's running prototypes follow its (detached) batch features; this step used the old values.
    if (this.studentProtos) {
      const f = noGrad(() => l2Normalize(fS));
      this.studentProtos.update(f, labels);
    }
    return { total, terms };
  }

  afterStep(ctx: MethodContext): void {
    this.connection?.afterStep(ctx.student, ctx.step, snapshotPeriod(this.options.avgEvery, ctx.task));
  }

  endTask(ctx: MethodContext): void {
    this.connection?.end(ctx.student, ctx.totalSteps, snapshotPeriod(this.options.avgEvery, ctx.task));
  }

  saveState(): MethodState {
    const tensors = new Map<string, Float32Array>();
    if (this.t1) weightsState(this.t1, 't1', tensors);
    if (this.connection) {
      weightsState(this.connection.average.model, 'avg', tensors);
      const prev = this.connection.previousModel();
      if (prev) weightsState(prev, 'previous', tensors);
    }
    if (this.studentProtos) tensors.set('student_prototypes', this.studentProtos.value.toArray() as Float32Array);
    for (const t of this.teachers) tensors.set(`prototypes_${t.name}`, t.V.toArray() as Float32Array);
    return { json: { avgCount: this.connection?.average.count ?? 0 }, tensors };
  }

  async loadState(state: MethodState, ctx: MethodContext): Promise<void> {
    const j = state.json as { avgCount: number };
    if (state.tensors.has(`t1.logit_scale`)) {
      this.t1 ??= frozenCopy(ctx.student, ctx);
      loadWeightsState(this.t1, 't1', state.tensors);
    }
    if (this.options.connecting) {
      this.connection ??= new ModelConnection(ctx.student, this.options.connectAlpha, ctx);
      loadWeightsState(this.connection.average.model, 'avg', state.tensors);
      this.connection.average.count = j.avgCount;
      const prev = this.connection.previousModel();
      if (prev) loadWeightsState(prev, 'previous', state.tensors);
    }
    await this.prepare(ctx, state.tensors);
  }
}
