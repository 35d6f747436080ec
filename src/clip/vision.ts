/**
 * The ViT image tower: patch embedding (a stride = kernel convolution without bias), class token, positional
 * embedding, pre-LN, pre-LN residual blocks, post-LN on the class token. Parameter names follow Hugging Face's
 * CLIPVisionTransformer (except the fused q/k/v input projection, see nn/transformer.ts).
 */
import type { Backend } from '../engine/backend.js';
import { randn } from '../engine/ops/create.js';
import { add, expand } from '../engine/ops/elementwise.js';
import { linear } from '../engine/ops/linear.js';
import { patchify } from '../engine/ops/patch.js';
import { concat, reshape, slice } from '../engine/ops/shape.js';
import type { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { LayerNorm } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { Transformer } from '../nn/transformer.js';
import { visionTokens, type VisionConfig } from './config.js';

export class VisionTower extends Module {
  readonly classEmbedding: Tensor;
  readonly patchEmbedding: Tensor;
  readonly positionEmbedding: Tensor;
  readonly preNorm: LayerNorm;
  readonly encoder: Transformer;
  readonly postNorm: LayerNorm;

  constructor(be: Backend, readonly config: VisionConfig, rng: Rng) {
    super();
    const c = config;
    const scale = c.width ** -0.5;
    this.classEmbedding = this.param('embeddings.class_embedding', randn([c.width], rng, scale, { device: be }));
    this.patchEmbedding = this.param('embeddings.patch_embedding.weight',
      randn([c.width, 3, c.patchSize, c.patchSize], rng, (3 * c.patchSize * c.patchSize) ** -0.5, { device: be }));
    this.positionEmbedding = this.param('embeddings.position_embedding.weight', randn([visionTokens(c), c.width], rng, scale, { device: be }));
    this.preNorm = this.child('pre_layrnorm', new LayerNorm(be, c.width, c.eps));
    this.encoder = this.child('encoder', new Transformer(be, { width: c.width, layers: c.layers, heads: c.heads, mlpWidth: c.mlpWidth, act: c.act, eps: c.eps }, rng));
    this.postNorm = this.child('post_layernorm', new LayerNorm(be, c.width, c.eps));
  }

  /** pixels [B, 3, S, S] -> pooled [B, W] (post-LN class token) and the encoder's last hidden state [B, T, W]. */
  forward(pixels: Tensor): { pooled: Tensor; lastHidden: Tensor } {
    const c = this.config;
    if (pixels.rank !== 4 || pixels.dim(1) !== 3 || pixels.dim(2) !== c.imageSize || pixels.dim(3) !== c.imageSize) {
      throw new Error(`vision tower: expected images [B, 3, ${c.imageSize}, ${c.imageSize}], got [${pixels.shape}]`);
    }
    const B = pixels.dim(0);
    const patches = patchify(pixels, c.patchSize);
    let x = linear(patches, reshape(this.patchEmbedding, [c.width, 3 * c.patchSize * c.patchSize]));
    const cls = expand(reshape(this.classEmbedding, [1, 1, c.width]), [B, 1, c.width]);
    x = concat([cls, x], 1);
    x = add(x, this.positionEmbedding);
    x = this.preNorm.forward(x);
    const lastHidden = this.encoder.forward(x, false, null);
    const pooled = this.postNorm.forward(reshape(slice(lastHidden, 1, 0, 1), [B, c.width]));
    return { pooled, lastHidden };
  }
}
