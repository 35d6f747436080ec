/**
 * The CLIP model: image and text towers, their projections to the joint space, and the learnable logit scale.
 * `createClip(config)` is the one factory.
 */
import type { Backend } from '../engine/backend.js';
import { tensor } from '../engine/ops/create.js';
import { exp, mul, scale } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/matmul.js';
import { l2Normalize } from '../engine/ops/norm.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { ClipConfig } from './config.js';
import { TextTower } from './text.js';
import { VisionTower } from './vision.js';

export class ClipModel extends Module {
  readonly vision: VisionTower;
  readonly text: TextTower;
  readonly visualProjection: Linear;
  readonly textProjection: Linear;
  readonly logitScale: Tensor;

  constructor(readonly backend: Backend, readonly config: ClipConfig, rng: Rng) {
    super();
    const c = config;
    this.text = this.child('text_model', new TextTower(backend, c.text, rng.fork('text')));
    this.vision = this.child('vision_model', new VisionTower(backend, c.vision, rng.fork('vision')));
    this.visualProjection = this.child('visual_projection', new Linear(backend, c.vision.width, c.embedDim, rng.fork('vproj'), { bias: false, std: c.vision.width ** -0.5 }));
    this.textProjection = this.child('text_projection', new Linear(backend, c.text.width, c.embedDim, rng.fork('tproj'), { bias: false, std: c.text.width ** -0.5 }));
    this.logitScale = this.param('logit_scale', tensor([c.logitScaleInit], [], { device: backend }));
    this.nameParameters();
  }

  /** Image embeddings [B, D] (projected, not normalised). */
  encodeImage(pixels: Tensor): Tensor {
    return this.visualProjection.forward(this.vision.forward(pixels).pooled);
  }

  /** Text embeddings [B, D] (projected, not normalised). */
  encodeText(ids: Tensor, keyMask: Tensor | null = null): Tensor {
    return this.textProjection.forward(this.text.forward(ids, keyMask).pooled);
  }

  /**
   * Full forward as transformers' CLIPModel: normalised embeddings and logits_per_image = exp(logit_scale) *
   * image @ text^T (or a fixed scale when given, as in the MTIL recipe).
   */
  forward(pixels: Tensor, ids: Tensor, keyMask: Tensor | null = null, fixedScale?: number): {
    imageEmbeds: Tensor; textEmbeds: Tensor; logitsPerImage: Tensor; visionLastHidden: Tensor; textLastHidden: Tensor;
  } {
    const v = this.vision.forward(pixels);
    const t = this.text.forward(ids, keyMask);
    const imageEmbeds = l2Normalize(this.visualProjection.forward(v.pooled));
    const textEmbeds = l2Normalize(this.textProjection.forward(t.pooled));
    const sim = matmul(imageEmbeds, textEmbeds, { transB: true });
    const logitsPerImage = fixedScale !== undefined ? scale(sim, fixedScale) : mul(sim, exp(this.logitScale));
    return { imageEmbeds, textEmbeds, logitsPerImage, visionLastHidden: v.lastHidden, textLastHidden: t.lastHidden };
  }
}

/** Builds a CLIP with freshly initialised weights (seeded). */
export function createClip(backend: Backend, config: ClipConfig, seed = 0): ClipModel {
  return new ClipModel(backend, config, new Rng(seed));
}
