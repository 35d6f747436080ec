/**
 * Opening a model folder as a whole: weights + architecture (weights.ts) and its tokenizer (vocab.json + merges.txt
 * in the folder, else OpenAI's vocabulary shipped with mulki). 'builtin' names the small CLIP shipped in
 * assets/model/.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Backend } from '../engine/backend.js';
import { assetPath } from '../assets.js';
import type { ClipModel } from './model.js';
import { ClipTokenizer } from './tokenizer.js';
import { loadClip } from './weights.js';
import type { TextTokenizer } from './zeroshot.js';

export interface OpenedModel {
  model: ClipModel;
  tokenizer: TextTokenizer;
  /** Resolved folder (or file) the weights came from. */
  path: string;
  /** Human description for reports. */
  description: string;
}

/** Resolves 'builtin' to the shipped model folder. */
export function resolveModelPath(spec: string): string {
  if (spec === 'builtin') {
    const p = assetPath('model');
    if (!existsSync(join(p, 'config.json'))) throw new Error(`the built-in model is missing (${p}/config.json); reinstall mulki or pass --model DIR`);
    return p;
  }
  const p = resolve(spec);
  if (!existsSync(p)) throw new Error(`model not found: ${p}`);
  return p;
}

export function loadTokenizerFor(dir: string): TextTokenizer {
  if (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt'))) return ClipTokenizer.fromHfFolder(dir);
  return ClipTokenizer.default();
}

export function openModel(spec: string, backend: Backend): OpenedModel {
  const path = resolveModelPath(spec);
  const model = loadClip(backend, path);
  const c = model.config;
  const description = `${spec === 'builtin' ? 'built-in ' : ''}CLIP ViT ${c.vision.imageSize}px/${c.vision.patchSize} w${c.vision.width}x${c.vision.layers} + text w${c.text.width}x${c.text.layers} (${(model.parameterCount() / 1e6).toFixed(2)}M params) from ${path}`;
  return { model, tokenizer: loadTokenizerFor(path), path, description };
}
