/**
 * Pre-training a small CLIP on the rendered image-caption corpus (src/data/synth): CLIP's symmetric contrastive
 * loss with a learnable logit scale (clamped at 100), AdamW (betas 0.9/0.98, eps 1e-6, weight decay on matrices
 * only), warm-up + cosine. Batches are a pure function of (seed, step) -- an epoch-wise shuffle of the corpus and one
 * of each image's captions -- so a run resumed from its checkpoint continues exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../engine/backend.js';
import { tensor } from '../engine/ops/create.js';
import { scope } from '../engine/memory.js';
import { AdamW } from '../engine/optim/adamw.js';
import { warmupCosineLr } from '../engine/optim/schedule.js';
import { clipScale } from '../engine/optim/clip-grad.js';
import { Rng, hashString } from '../engine/rng.js';
import { backward } from '../engine/tape.js';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../engine/io/safetensors.js';
import { writeJsonAtomic } from '../engine/io/atomic.js';
import type { ClipConfig } from '../clip/config.js';
import { contrastiveLoss } from '../clip/contrastive.js';
import { createClip, type ClipModel } from '../clip/model.js';
import { CLIP_MEAN, CLIP_STD } from '../clip/preprocess.js';
import type { ClipTokenizer } from '../clip/tokenizer.js';
import { writeInto } from '../nn/module.js';
import type { Corpus } from '../data/synth/corpus.js';

export interface PretrainSettings {
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  gradClip: number;
  seed: number;
  /** Steps between checkpoints (0: none). */
  checkpointEvery: number;
}

export interface PretrainLog {
  step: number;
  loss: number;
  lr: number;
  logitScale: number;
  imagesPerSecond: number;
}

const MAX_LOG_SCALE = Math.log(100);

/** Entry indices of batch `step` (epoch-wise permutations of the corpus, seeded). */
export function batchIndices(n: number, batch: number, step: number, seed: number): Int32Array {
  const out = new Int32Array(batch);
  const perEpoch = Math.floor(n / batch);
  if (perEpoch < 1) throw new Error(`pre-training: the corpus (${n} images) is smaller than a batch (${batch})`);
  const epoch = Math.floor(step / perEpoch);
  const perm = new Rng(hashString(`corpus-epoch:${seed}:${epoch}`)).permutation(n);
  const start = (step % perEpoch) * batch;
  for (let i = 0; i < batch; i++) out[i] = perm[start + i]!;
  return out;
}

/** CLIP-normalised CHW floats of corpus images (RGB u8, size x size). */
export function normalizeBatch(pixels: Uint8Array, count: number, size: number, out = new Float32Array(count * 3 * size * size)): Float32Array {
  const hw = size * size;
  const scale = [0, 1, 2].map((c) => 1 / (255 * CLIP_STD[c]!));
  const shift = [0, 1, 2].map((c) => -CLIP_MEAN[c]! / CLIP_STD[c]!);
  for (let b = 0; b < count; b++) {
    const src = b * hw * 3;
    const dst = b * hw * 3;
    for (let p = 0; p < hw; p++) {
      for (let c = 0; c < 3; c++) out[dst + c * hw + p] = pixels[src + p * 3 + c]! * scale[c]! + shift[c]!;
    }
  }
  return out;
}

/** Weight decay applies to weight matrices, not to biases, norms, embeddings of positions, or the logit scale. */
export function decays(name: string | undefined): boolean {
  if (!name) return false;
  return name.endsWith('.weight') && !name.includes('norm') && !name.includes('position_embedding') && !name.includes('layrnorm');
}

interface CkptState {
  step: number;
  optimizerStep: number;
  elapsedSeconds: number;
  history: PretrainLog[];
}

export class Pretrainer {
  readonly model: ClipModel;
  readonly opt: AdamW;
  step = 0;
  elapsedSeconds = 0;
  history: PretrainLog[] = [];

  constructor(readonly be: Backend, readonly arch: ClipConfig, readonly corpus: Corpus, readonly tokenizer: ClipTokenizer,
    readonly s: PretrainSettings, readonly workDir: string) {
    if (corpus.size !== arch.vision.imageSize) {
      throw new Error(`pre-training: corpus images are ${corpus.size}px but the architecture takes ${arch.vision.imageSize}px`);
    }
    if (tokenizer.vocabSize !== arch.text.vocabSize) {
      throw new Error(`pre-training: tokenizer has ${tokenizer.vocabSize} tokens, architecture ${arch.text.vocabSize}`);
    }
    this.model = createClip(be, arch, s.seed);
    this.opt = new AdamW(this.model.parameters(), { lr: s.lr, beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: s.weightDecay, noDecay: (p) => !decays(p.name) });
  }

  private ckptPaths(): { json: string; tensors: string } {
    return { json: join(this.workDir, 'pretrain-state.json'), tensors: join(this.workDir, 'pretrain-state.safetensors') };
  }

  /** Continues from the work folder's checkpoint, if there is one. Returns whether it resumed. */
  resume(): boolean {
    const p = this.ckptPaths();
    if (!existsSync(p.json) || !existsSync(p.tensors)) return false;
    const st = JSON.parse(readFileSync(p.json, 'utf8')) as CkptState;
    const t = readSafetensors(p.tensors);
    const get = (prefix: string): Map<string, Float32Array> => {
      const m = new Map<string, Float32Array>();
      for (const [k, v] of t) if (k.startsWith(prefix)) m.set(k.slice(prefix.length), v.data as Float32Array);
      return m;
    };
    this.model.loadStateArrays(get('model.'), true, p.tensors);
    this.opt.loadStateDict({ step: st.optimizerStep, m: get('m.'), v: get('v.') });
    this.step = st.step;
    this.elapsedSeconds = st.elapsedSeconds;
    this.history = st.history;
    return true;
  }

  checkpoint(): void {
    const p = this.ckptPaths();
    const out = new Map<string, TensorToWrite>();
    for (const [k, v] of this.model.stateArrays()) out.set(`model.${k}`, { shape: [v.length], data: v });
    const od = this.opt.stateDict();
    for (const [k, v] of od.m) out.set(`m.${k}`, { shape: [v.length], data: v });
    for (const [k, v] of od.v) out.set(`v.${k}`, { shape: [v.length], data: v });
    writeSafetensors(p.tensors, out);
    writeJsonAtomic(p.json, { step: this.step, optimizerStep: od.step, elapsedSeconds: this.elapsedSeconds, history: this.history } satisfies CkptState);
  }

  /** Runs steps until `until` (default: all), calling onLog after each. */
  run(onLog: (l: PretrainLog) => void, until = this.s.steps): void {
    const { batchSize: B, seed } = this.s;
    const S = this.arch.vision.imageSize;
    const ctx = this.arch.text.contextLength;
    const pixels = new Uint8Array(B * S * S * 3);
    const floats = new Float32Array(B * 3 * S * S);
    const labels = tensor(Int32Array.from({ length: B }, (_, i) => i), [B], { device: this.be, dtype: 'i32' });
    while (this.step < until) {
      const t0 = performance.now();
      const idx = batchIndices(this.corpus.length, B, this.step, seed);
      this.corpus.readImages(idx, pixels);
      normalizeBatch(pixels, B, S, floats);
      const rng = new Rng(hashString(`captions:${seed}:${this.step}`));
      const captions = Array.from(idx, (i) => {
        const c = this.corpus.captions(i);
        return c[rng.int(c.length)]!;
      });
      const lr = warmupCosineLr(this.step, this.s.lr, this.s.warmup, this.s.steps);
      const loss = scope(() => {
        const images = tensor(floats, [B, 3, S, S], { device: this.be });
        const ids = tensor(this.tokenizer.tokenize(captions, ctx), [B, ctx], { device: this.be, dtype: 'i32' });
        const l = contrastiveLoss(this.model.encodeImage(images), this.model.encodeText(ids), this.model.logitScale, labels);
        const v = l.item();
        if (!Number.isFinite(v)) throw new Error(`pre-training: loss is ${v} at step ${this.step + 1}`);
        this.opt.zeroGrad();
        backward(l);
        const { scale } = this.s.gradClip > 0 ? clipScale(this.opt.params, this.s.gradClip) : { scale: 1 };
        this.opt.step(lr, scale);
        this.opt.zeroGrad();
        return v;
      });
      // CLIP clamps the learnable temperature at 100.
      const ls = this.model.logitScale.item();
      if (ls > MAX_LOG_SCALE) writeInto(this.model.logitScale, new Float32Array([MAX_LOG_SCALE]));
      const secs = (performance.now() - t0) / 1000;
      this.elapsedSeconds += secs;
      this.step++;
      const log: PretrainLog = { step: this.step, loss, lr, logitScale: Math.exp(Math.min(ls, MAX_LOG_SCALE)), imagesPerSecond: B / secs };
      if (this.step % 10 === 0 || this.step === until) this.history.push(log);
      onLog(log);
      if (this.s.checkpointEvery > 0 && this.step % this.s.checkpointEvery === 0 && this.step < this.s.steps) this.checkpoint();
    }
  }
}
