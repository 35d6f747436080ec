/**
 * The pre-LN transformer of CLIP: blocks of x + attn(ln1(x)), x + mlp(ln2(x)). Attention uses one fused input
 * projection (q, k, v stacked: weight [3W, W]) and an output projection; the MLP is fc1 -> act -> fc2.
 */
import type { ActKind, Backend } from '../engine/backend.js';
import { attentionPacked } from '../engine/ops/attention.js';
import { add } from '../engine/ops/elementwise.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { LayerNorm, Linear } from './layers.js';
import { Module } from './module.js';

export interface TransformerConfig {
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
  act: ActKind;
  eps: number;
}

export class MultiheadAttention extends Module {
  readonly inProj: Linear;
  readonly outProj: Linear;
  constructor(be: Backend, readonly width: number, readonly heads: number, rng: Rng, std: { attn: number; proj: number }) {
    super();
    this.inProj = this.child('in_proj', new Linear(be, width, 3 * width, rng, { std: std.attn }));
    this.outProj = this.child('out_proj', new Linear(be, width, width, rng, { std: std.proj }));
  }
  /** x: [B, T, W]; keyMask: i32 [B, T] (1 = token, 0 = padding) or null. */
  forward(x: Tensor, causal: boolean, keyMask: Tensor | null): Tensor {
    const qkv = this.inProj.forward(x);
    const a = attentionPacked(qkv, { heads: this.heads, causal, keyMask });
    return this.outProj.forward(a);
  }
}

export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(be: Backend, width: number, hidden: number, readonly act: ActKind, rng: Rng, std: { fc: number; proj: number }) {
    super();
    this.fc1 = this.child('fc1', new Linear(be, width, hidden, rng, { std: std.fc }));
    this.fc2 = this.child('fc2', new Linear(be, hidden, width, rng, { std: std.proj }));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x, this.act));
  }
}

export class ResidualBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: Mlp;
  constructor(be: Backend, c: TransformerConfig, rng: Rng) {
    super();
    // open_clip's initialisation: attention std W^-0.5, projections scaled by depth, fc std (2W)^-0.5.
    const attnStd = c.width ** -0.5;
    const projStd = c.width ** -0.5 * (2 * c.layers) ** -0.5;
    const fcStd = (2 * c.width) ** -0.5;
    this.ln1 = this.child('layer_norm1', new LayerNorm(be, c.width, c.eps));
    this.attn = this.child('self_attn', new MultiheadAttention(be, c.width, c.heads, rng, { attn: attnStd, proj: projStd }));
    this.ln2 = this.child('layer_norm2', new LayerNorm(be, c.width, c.eps));
    this.mlp = this.child('mlp', new Mlp(be, c.width, c.mlpWidth, c.act, rng, { fc: fcStd, proj: projStd }));
  }
  forward(x: Tensor, causal: boolean, keyMask: Tensor | null): Tensor {
    const h = add(x, this.attn.forward(this.ln1.forward(x), causal, keyMask));
    return add(h, this.mlp.forward(this.ln2.forward(h)));
  }
}

export class Transformer extends Module {
  readonly blocks: ResidualBlock[] = [];
  constructor(be: Backend, readonly config: TransformerConfig, rng: Rng) {
    super();
    for (let i = 0; i < config.layers; i++) this.blocks.push(this.child(`layers.${i}`, new ResidualBlock(be, config, rng)));
  }
  forward(x: Tensor, causal: boolean, keyMask: Tensor | null = null): Tensor {
    for (const b of this.blocks) x = b.forward(x, causal, keyMask);
    return x;
  }
}
