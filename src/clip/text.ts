/**
 * The causal text tower: token and position embeddings, pre-LN residual blocks under a causal mask (and an
 * optional key-padding mask), final LN, pooled at the end-of-text token. Names follow Hugging Face's
 * CLIPTextTransformer (except the fused q/k/v input projection).
 */
import type { Backend } from '../engine/backend.js';
import { randn, tensor } from '../engine/ops/create.js';
import { add } from '../engine/ops/elementwise.js';
import { embedding, indexSelect } from '../engine/ops/embedding.js';
import { reshape, slice } from '../engine/ops/shape.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { LayerNorm } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { Transformer } from '../nn/transformer.js';
import type { TextConfig } from './config.js';

export class TextTower extends Module {
  readonly tokenEmbedding: Tensor;
  readonly positionEmbedding: Tensor;
  readonly encoder: Transformer;
  readonly finalNorm: LayerNorm;

  constructor(be: Backend, readonly config: TextConfig, rng: Rng) {
    super();
    const c = config;
    this.tokenEmbedding = this.param('embeddings.token_embedding.weight', randn([c.vocabSize, c.width], rng, 0.02, { device: be }));
    this.positionEmbedding = this.param('embeddings.position_embedding.weight', randn([c.contextLength, c.width], rng, 0.01, { device: be }));
    this.encoder = this.child('encoder', new Transformer(be, { width: c.width, layers: c.layers, heads: c.heads, mlpWidth: c.mlpWidth, act: c.act, eps: c.eps }, rng));
    this.finalNorm = this.child('final_layer_norm', new LayerNorm(be, c.width, c.eps));
  }

  /**
   * ids: i32 [B, T] (T <= contextLength); keyMask: optional i32 [B, T] (1 = token, 0 = padding; with the causal
   * mask, padding after the end token cannot change the pooled output, so it may be omitted).
   * Returns the pooled features [B, W] and the last hidden state [B, T, W] (after the final LN).
   */
  forward(ids: Tensor, keyMask: Tensor | null = null): { pooled: Tensor; lastHidden: Tensor } {
    const c = this.config;
    if (ids.rank !== 2 || ids.dtype !== 'i32') throw new Error(`text tower: expected i32 token ids [B, T], got ${ids}`);
    const [B, T] = ids.shape as [number, number];
    if (T > c.contextLength) throw new Error(`text tower: ${T} tokens exceed the context length ${c.contextLength}`);
    let x = embedding(this.tokenEmbedding, ids);
    x = add(x, T === c.contextLength ? this.positionEmbedding : slice(this.positionEmbedding, 0, 0, T));
    x = this.encoder.forward(x, true, keyMask);
    const lastHidden = this.finalNorm.forward(x);
    const rows = poolIndices(ids.hostInts(), B, T, c);
    const pooled = indexSelect(reshape(lastHidden, [B * T, c.width]), 0, tensor(rows, [B], { device: ids.backend, dtype: 'i32' }));
    return { pooled, lastHidden };
  }
}

/** Row index (b * T + position) of each sequence's end token, as transformers' CLIPTextTransformer picks it. */
export function poolIndices(ids: Int32Array, B: number, T: number, c: TextConfig): Int32Array {
  const rows = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let pos = 0;
    if (c.pooling === 'argmax') {
      for (let t = 1; t < T; t++) if (ids[b * T + t]! > ids[b * T + pos]!) pos = t;
    } else {
      pos = -1;
      for (let t = 0; t < T; t++) if (ids[b * T + t] === c.eosTokenId) { pos = t; break; }
      if (pos < 0) pos = 0; // argmax of an all-false mask is 0 in PyTorch
    }
    rows[b] = b * T + pos;
  }
  return rows;
}
