/** `mulki info DIR|ARCH`: a model's architecture and parameter counts. */
import { existsSync } from 'node:fs';
import { listConfigs, loadConfig, visionTokens, type ClipConfig } from '../../clip/config.js';
import { readModelConfig } from '../../clip/weights.js';
import { resolveModelPath } from '../../clip/model-folder.js';
import { UsageError, type Parsed } from '../args.js';

export function describeConfig(c: ClipConfig, counts: { vision: number; text: number; other: number }): string {
  const total = counts.vision + counts.text + counts.other;
  const m = (n: number): string => `${(n / 1e6).toFixed(2)}M`;
  return [
    `architecture: ${c.name ?? 'CLIP'}`,
    `  image tower: ViT ${c.vision.imageSize}x${c.vision.imageSize}, patch ${c.vision.patchSize} (${visionTokens(c.vision)} tokens), width ${c.vision.width}, ${c.vision.layers} layers, ${c.vision.heads} heads, MLP ${c.vision.mlpWidth}, ${c.vision.act}`,
    `  text tower:  context ${c.text.contextLength}, vocabulary ${c.text.vocabSize}, width ${c.text.width}, ${c.text.layers} layers, ${c.text.heads} heads, MLP ${c.text.mlpWidth}, ${c.text.act}, causal, pooled at ${c.text.pooling === 'argmax' ? 'argmax(ids) (end token)' : `the first id ${c.text.eosTokenId}`}`,
    `  joint space: ${c.embedDim}-d projections, logit scale init ${c.logitScaleInit.toFixed(4)}`,
    `parameters: ${m(total)} (image ${m(counts.vision)}, text ${m(counts.text)}, projections + scale ${m(counts.other)}) = ${total.toLocaleString('en-US')}`,
  ].join('\n');
}

/** Parameter counts from the architecture alone (no weights allocated; checked against a built model in tests). */
export function countParameters(c: ClipConfig): { vision: number; text: number; other: number } {
  const block = (w: number, mlp: number): number => 4 * w + (3 * w * w + 3 * w) + (w * w + w) + (w * mlp + mlp) + (mlp * w + w);
  const v = c.vision;
  const t = c.text;
  const vision = v.width + v.width * 3 * v.patchSize * v.patchSize + visionTokens(v) * v.width + 4 * v.width + v.layers * block(v.width, v.mlpWidth);
  const text = t.vocabSize * t.width + t.contextLength * t.width + 2 * t.width + t.layers * block(t.width, t.mlpWidth);
  return { vision, text, other: c.embedDim * (v.width + t.width) + 1 };
}

export function infoCommand(p: Parsed): void {
  const what = p.positionals[0];
  if (!what) throw new UsageError(`mulki info: give a model folder or an architecture name (${listConfigs().join(', ')})`);
  let c: ClipConfig;
  if (listConfigs().includes(what)) c = loadConfig(what);
  else if (what === 'builtin' || existsSync(what)) c = readModelConfig(resolveModelPath(what));
  else throw new UsageError(`mulki info: '${what}' is neither a folder nor a known architecture (${listConfigs().join(', ')})`);
  console.log(describeConfig(c, countParameters(c)));
}
