/**
 * Zero-shot classification: class names x prompt templates -> a text classifier (per class, the mean of the
 * L2-normalised text embeddings of its prompts, re-normalised) -> logits = scale * cos(image, class).
 * Classifiers are cached per (model weights version, class names, templates).
 */
import type { Tensor } from '../engine/tensor.js';
import { tensor } from '../engine/ops/create.js';
import { add, scale } from '../engine/ops/elementwise.js';
import { matmul } from '../engine/ops/matmul.js';
import { l2Normalize } from '../engine/ops/norm.js';
import { concat } from '../engine/ops/shape.js';
import { scope, untrack } from '../engine/memory.js';
import { noGrad } from '../engine/tape.js';
import type { ClipModel } from './model.js';

/** Turns texts into token ids [n x contextLength] (the CLIP tokenizer, or a pruned-vocabulary mapping of it). */
export interface TextTokenizer {
  tokenize(texts: readonly string[], contextLength: number): Int32Array;
}

/** Fills a template's `{c}` (also accepts `{}`) with a class name. */
export function fillTemplate(template: string, className: string): string {
  if (template.includes('{c}')) return template.split('{c}').join(className);
  if (template.includes('{}')) return template.split('{}').join(className);
  throw new Error(`prompt template ${JSON.stringify(template)} has no {c} placeholder`);
}

/**
 * Text features [n, D] of prompts (projected; normalised when `normalize`), encoded in batches. Runs with whatever
 * gradient mode is active: under noGrad for teachers and evaluation, with gradients for the student.
 */
export function encodeTexts(model: ClipModel, tok: TextTokenizer, texts: readonly string[], normalize = true, batch = 256): Tensor {
  const ctx = model.config.text.contextLength;
  const parts: Tensor[] = [];
  for (let i = 0; i < texts.length; i += batch) {
    const chunk = texts.slice(i, i + batch);
    const ids = tensor(tok.tokenize(chunk, ctx), [chunk.length, ctx], { device: model.backend, dtype: 'i32' });
    const e = model.encodeText(ids);
    parts.push(normalize ? l2Normalize(e) : e);
  }
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

/** The zero-shot classifier [C, D]: template-averaged, normalised class embeddings (no gradient). */
export function buildClassifier(model: ClipModel, tok: TextTokenizer, classNames: readonly string[], templates: readonly string[]): Tensor {
  if (classNames.length === 0) throw new Error('zero-shot classifier: no class names');
  if (templates.length === 0) throw new Error('zero-shot classifier: no templates');
  return noGrad(() => scope(() => {
    let acc: Tensor | null = null;
    for (const t of templates) {
      const e = encodeTexts(model, tok, classNames.map((c) => fillTemplate(t, c)));
      acc = acc ? add(acc, e) : e;
    }
    return l2Normalize(acc!);
  }));
}

/** Logits [B, C] = logitScale * normalised image features @ classifier^T. */
export function zeroShotLogits(model: ClipModel, classifier: Tensor, pixels: Tensor, logitScale = 100): Tensor {
  return scale(matmul(l2Normalize(model.encodeImage(pixels)), classifier, { transB: true }), logitScale);
}

/** Classifier cache keyed by a weights version the caller bumps whenever the model's weights change. */
export class ClassifierCache {
  private entries = new Map<string, { version: number; classifier: Tensor }>();

  get(model: ClipModel, version: number, tok: TextTokenizer, classNames: readonly string[], templates: readonly string[]): Tensor {
    const key = JSON.stringify([classNames, templates]);
    const hit = this.entries.get(key);
    if (hit && hit.version === version && hit.classifier.storage.alive) return hit.classifier;
    if (hit && hit.classifier.storage.alive) hit.classifier.backend.release(hit.classifier.storage);
    const classifier = buildClassifier(model, tok, classNames, templates);
    untrack(classifier.storage); // owned by the cache, not by the caller's scope
    this.entries.set(key, { version, classifier });
    return classifier;
  }

  clear(): void {
    for (const e of this.entries.values()) if (e.classifier.storage.alive) e.classifier.backend.release(e.classifier.storage);
    this.entries.clear();
  }
}
