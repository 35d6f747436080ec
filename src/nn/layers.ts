/** Basic layers: Linear, LayerNorm, Embedding. Weights use PyTorch layouts ([out, in] for Linear). */
import type { ActKind } from '../engine/backend.js';
import type { Backend } from '../engine/backend.js';
import { randn, zeros, ones } from '../engine/ops/create.js';
import { embedding } from '../engine/ops/embedding.js';
import { linear } from '../engine/ops/linear.js';
import { layerNorm } from '../engine/ops/norm.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { Module } from './module.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(be: Backend, readonly inFeatures: number, readonly outFeatures: number, rng: Rng,
    opts: { bias?: boolean; std?: number } = {}) {
    super();
    this.weight = this.param('weight', randn([outFeatures, inFeatures], rng, opts.std ?? 0.02, { device: be }));
    this.bias = opts.bias === false ? null : this.param('bias', zeros([outFeatures], { device: be }));
  }
  forward(x: Tensor, act: ActKind = 'none'): Tensor {
    return linear(x, this.weight, this.bias, act);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(be: Backend, readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', ones([dim], { device: be }));
    this.bias = this.param('bias', zeros([dim], { device: be }));
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(be: Backend, readonly count: number, readonly dim: number, rng: Rng, std = 0.02) {
    super();
    this.weight = this.param('weight', randn([count, dim], rng, std, { device: be }));
  }
  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}
