/**
 * One training step of a small CLIP (forward, symmetric contrastive loss, backward, AdamW), timed in mulki.
 * bench/torch/tiny_clip_step.py is the PyTorch peer of exactly this step.
 */
import type { Backend } from '../src/engine/backend.js';
import { tensor } from '../src/engine/ops/create.js';
import { scope } from '../src/engine/memory.js';
import { AdamW } from '../src/engine/optim/adamw.js';
import { Rng } from '../src/engine/rng.js';
import { backward } from '../src/engine/tape.js';
import { loadConfig, type ClipConfig } from '../src/clip/config.js';
import { contrastiveLoss } from '../src/clip/contrastive.js';
import { createClip } from '../src/clip/model.js';

export interface StepTiming {
  ms: number[];
  loss: number;
}

export function timeClipStep(be: Backend, opts: { batch: number; steps: number; warmup: number; config?: ClipConfig }): StepTiming {
  const cfg = opts.config ?? loadConfig('tiny-bench');
  const model = createClip(be, cfg, 0);
  const opt = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0 });
  const rng = new Rng(0);
  const B = opts.batch;
  const S = cfg.vision.imageSize;
  const T = cfg.text.contextLength;
  const px = Float32Array.from({ length: B * 3 * S * S }, () => rng.normal());
  const ids = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) ids[b * T + t] = 1 + rng.int(cfg.text.vocabSize - 3);
    ids[b * T + T - 1] = cfg.text.eosTokenId;
  }
  const images = tensor(px, [B, 3, S, S], { device: be });
  const tokens = tensor(ids, [B, T], { device: be, dtype: 'i32' });
  const ms: number[] = [];
  let loss = NaN;
  for (let i = 0; i < opts.warmup + opts.steps; i++) {
    const t0 = performance.now();
    scope(() => {
      const l = contrastiveLoss(model.encodeImage(images), model.encodeText(tokens), model.logitScale);
      opt.zeroGrad();
      backward(l);
      opt.step();
      loss = l.item();
    });
    be.synchronize();
    if (i >= opts.warmup) ms.push(performance.now() - t0);
  }
  return { ms, loss };
}
