/**
 * AdamW (decoupled weight decay, bias correction) over a list of parameters, one fused kernel call per tensor (one
 * call for all of them where the backend has adamwMulti).
 * Moment buffers live outside every memory scope; stateDict/loadStateDict let checkpoints restore them exactly.
 */
import type { AdamWTensor, Storage } from '../backend.js';
import type { Tensor } from '../tensor.js';

export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Parameters excluded from weight decay (e.g. biases, norms, embeddings); default: none excluded. */
  noDecay?: (p: Tensor) => boolean;
}

interface Slot {
  m: Storage;
  v: Storage;
}

export class AdamW {
  readonly params: readonly Tensor[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly noDecay: (p: Tensor) => boolean;
  private slots = new Map<Tensor, Slot>();
  /** Number of steps taken (bias correction uses it). */
  stepCount = 0;

  constructor(params: readonly Tensor[], o: AdamWOptions = {}) {
    this.params = params.filter((p) => p.requiresGrad);
    this.lr = o.lr ?? 1e-3;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    this.noDecay = o.noDecay ?? (() => false);
  }

  private slot(p: Tensor): Slot {
    let s = this.slots.get(p);
    if (!s) {
      const m = p.backend.alloc('f32', p.size);
      const v = p.backend.alloc('f32', p.size);
      p.backend.fill(m, 0);
      p.backend.fill(v, 0);
      this.slots.set(p, (s = { m, v }));
    }
    return s;
  }

  /** One update of every parameter that has a gradient; gradScale multiplies the gradients (clipping). */
  step(lr = this.lr, gradScale = 1): void {
    this.stepCount++;
    const bc1 = 1 - Math.pow(this.beta1, this.stepCount);
    const bc2 = 1 - Math.pow(this.beta2, this.stepCount);
    const be = this.params[0]?.backend;
    if (be?.adamwMulti && this.params.every((p) => p.backend === be)) {
      // one call for every parameter (the backend batches them into few kernel launches)
      const list: AdamWTensor[] = [];
      for (const p of this.params) {
        if (!p.grad) continue;
        const s = this.slot(p);
        list.push({ p: p.storage, g: p.grad.storage, m: s.m, v: s.v, n: p.size, weightDecay: this.noDecay(p) ? 0 : this.weightDecay });
      }
      be.adamwMulti(list, lr, this.beta1, this.beta2, this.eps, bc1, bc2, gradScale);
      return;
    }
    for (const p of this.params) {
      if (!p.grad) continue;
      const s = this.slot(p);
      const wd = this.noDecay(p) ? 0 : this.weightDecay;
      p.backend.adamw(p.storage, p.grad.storage, s.m, s.v, p.size, lr, this.beta1, this.beta2, this.eps, wd, bc1, bc2, gradScale);
    }
  }

  /** Drops the gradients (their buffers go back to the pool). */
  zeroGrad(): void {
    for (const p of this.params) {
      if (p.grad) {
        p.backend.release(p.grad.storage);
        p.grad = null;
      }
    }
  }

  /** Moments as host arrays keyed by parameter name, plus the step count. */
  stateDict(): { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> } {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    this.params.forEach((p, i) => {
      const key = p.name ?? `param${i}`;
      const s = this.slots.get(p);
      if (!s) return;
      m.set(key, p.backend.download(s.m) as Float32Array);
      v.set(key, p.backend.download(s.v) as Float32Array);
    });
    return { step: this.stepCount, m, v };
  }

  loadStateDict(st: { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> }): void {
    this.stepCount = st.step;
    this.params.forEach((p, i) => {
      const key = p.name ?? `param${i}`;
      const m = st.m.get(key);
      const v = st.v.get(key);
      if (!m || !v) return;
      if (m.length !== p.size || v.length !== p.size) throw new Error(`optimizer state for ${key}: size ${m.length} != ${p.size}`);
      const old = this.slots.get(p);
      if (old) {
        p.backend.release(old.m);
        p.backend.release(old.v);
      }
      this.slots.set(p, { m: p.backend.upload(m), v: p.backend.upload(v) });
    });
  }
}
