/**
 * `mulki pretrain`: pre-trains the small CLIP that ships as the built-in model. Renders the corpus if needed,
 * prunes the CLIP vocabulary to the tokens in use, trains with checkpoints (re-running the command resumes), checks
 * zero-shot accuracy on MTIL-Offline's validation splits along the way, and writes a Hugging Face model folder with
 * its card (zero-shot on the test splits, measured on the saved f16 weights).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend, isDeviceName } from '../../engine/device.js';
import type { DeviceName } from '../../engine/backend.js';
import { parseClipConfig, type ClipConfig } from '../../clip/config.js';
import { openModel } from '../../clip/model-folder.js';
import type { ClipModel } from '../../clip/model.js';
import type { TextTokenizer } from '../../clip/zeroshot.js';
import { subset, type ImageDataset } from '../../data/dataset.js';
import { mtilOfflineTasks, type MtilOfflineTask } from '../../data/mtil-offline.js';
import { openCorpus } from '../../data/synth/corpus.js';
import { evaluateAll } from '../../cl/evaluate.js';
import { corpusDir } from '../../cl/mtil-offline-stream.js';
import { mulkiVersion } from '../../cl/results.js';
import { fmtTime } from '../../cl/progress.js';
import { Pretrainer } from '../../pretrain/trainer.js';
import { ClipTokenizer } from '../../clip/tokenizer.js';
import { promptTexts, prunedVocabulary } from '../../pretrain/vocabulary.js';
import { writeCard, writeModelFolder, type ModelCard } from '../../pretrain/model-card.js';
import { num, str, UsageError, type FlagSpec, type Parsed } from '../args.js';

export const PRETRAIN_FLAGS: Record<string, FlagSpec> = {
  out: { type: 'string', help: 'model folder to write (default runs/pretrain/model)' },
  corpus: { type: 'string', help: 'corpus folder (default: the cache, rendered on first use)' },
  steps: { type: 'string', help: 'training steps (default 3000)' },
  'batch-size': { type: 'string', help: 'batch size (default 128)' },
  lr: { type: 'string', help: 'peak learning rate (default 1e-3)' },
  warmup: { type: 'string', help: 'warm-up steps (default 200)' },
  'weight-decay': { type: 'string', help: 'AdamW weight decay on matrices (default 0.1)' },
  seed: { type: 'string', help: 'seed (default 0)' },
  device: { type: 'string', help: 'cpu | cuda | ref (default cpu)' },
  'eval-every': { type: 'string', help: 'steps between zero-shot checks on validation splits (default 500)' },
  'checkpoint-every': { type: 'string', help: 'steps between checkpoints (default 100)' },
  'subset-size': { type: 'string', help: 'test images per task in the card check subset (default 100)' },
  width: { type: 'string', help: 'tower width (default 192)' },
  'vision-layers': { type: 'string', help: 'image tower layers (default 4)' },
  'text-layers': { type: 'string', help: 'text tower layers (default 3)' },
};

/** The built-in model's architecture (vocabulary size filled in after pruning). */
export function builtinArch(vocabSize: number, width = 192, visionLayers = 4, textLayers = 3): ClipConfig {
  return parseClipConfig({
    name: 'mulki-clip-small',
    embedDim: 128,
    vision: { imageSize: 32, patchSize: 4, width, layers: visionLayers, heads: width / 64, mlpWidth: 4 * width, act: 'quick_gelu' },
    text: {
      contextLength: 20, vocabSize, width, layers: textLayers, heads: width / 64, mlpWidth: 4 * width, act: 'quick_gelu',
      bosTokenId: vocabSize - 2, eosTokenId: vocabSize - 1, padTokenId: 0, pooling: 'argmax',
    },
  }, 'built-in architecture');
}

async function zeroShot(model: ClipModel, tok: TextTokenizer, sets: ImageDataset[]): Promise<number[]> {
  return evaluateAll(model, tok, sets, { batchSize: 250, workers: 0 });
}

export async function pretrainCommand(p: Parsed): Promise<void> {
  const n = (k: string, d: number): number => num(p, k, 'pretrain') ?? d;
  const device = (str(p, 'device') ?? 'cpu') as DeviceName;
  if (!isDeviceName(device)) throw new UsageError('mulki pretrain: --device must be cpu, cuda or ref');
  const out = str(p, 'out') ?? join('runs', 'pretrain', 'model');
  const work = join(out, '..', 'pretrain-work');
  mkdirSync(work, { recursive: true });
  const settings = {
    steps: n('steps', 3000), batchSize: n('batch-size', 128), lr: n('lr', 1e-3), warmup: n('warmup', 200),
    weightDecay: n('weight-decay', 0.1), gradClip: 1, seed: n('seed', 0), checkpointEvery: n('checkpoint-every', 100),
  };
  const evalEvery = n('eval-every', 500);
  const subsetSize = n('subset-size', 100);

  const cdir = str(p, 'corpus') ?? corpusDir(32);
  if (!existsSync(join(cdir, 'manifest.json'))) {
    const { buildCorpus } = await import('../../data/synth/build.js');
    console.error(`rendering the pre-training corpus into ${cdir}`);
    await buildCorpus({ outDir: cdir, size: 32, seed: 0, log: (m) => console.error(m) });
  }
  const corpus = openCorpus(cdir);
  const tasks: MtilOfflineTask[] = mtilOfflineTasks('I', { missing: 'skip' });
  // The pruned vocabulary is made once per pre-training and kept in the work folder, so a resumed run (or one that
  // only rewrites the card) uses the ids the weights were trained with.
  let tokenizer: ClipTokenizer;
  if (existsSync(join(work, 'vocab.json'))) tokenizer = ClipTokenizer.fromHfFolder(work);
  else {
    const captions: string[] = [];
    for (let i = 0; i < corpus.length; i++) captions.push(...corpus.captions(i));
    tokenizer = prunedVocabulary([...captions, ...promptTexts(tasks)]).tokenizer;
    tokenizer.saveHfFiles(work);
  }
  const arch = builtinArch(tokenizer.vocabSize, n('width', 192), n('vision-layers', 4), n('text-layers', 3));
  const be = getBackend(device);
  const pt = new Pretrainer(be, arch, corpus, tokenizer, settings, work);
  const resumed = pt.resume();
  console.error(`pre-training ${arch.name}: ${(pt.model.parameterCount() / 1e6).toFixed(2)}M parameters, vocabulary ${tokenizer.vocabSize}, corpus ${corpus.length} images, ` +
    `${settings.steps} steps of ${settings.batchSize} on ${be.name}${resumed ? `, resuming at step ${pt.step}` : ''}`);

  const valSets = tasks.map((t) => subset(t.val, Array.from({ length: Math.min(200, t.val.length) }, (_, i) => i)));
  let lastPrint = 0;
  while (pt.step < settings.steps) {
    const until = Math.min(settings.steps, (Math.floor(pt.step / evalEvery) + 1) * evalEvery);
    pt.run((l) => {
      const now = Date.now();
      if (now - lastPrint > 5000 || l.step === until) {
        lastPrint = now;
        const eta = ((settings.steps - l.step) * pt.elapsedSeconds) / Math.max(l.step, 1);
        console.error(`step ${l.step}/${settings.steps} loss ${l.loss.toFixed(3)} lr ${l.lr.toExponential(2)} scale ${l.logitScale.toFixed(1)} | ${l.imagesPerSecond.toFixed(0)} img/s | ETA ${fmtTime(eta)}`);
      }
    }, until);
    pt.checkpoint();
    const acc = await zeroShot(pt.model, tokenizer, valSets);
    console.error(`zero-shot (validation, 200 per task) at step ${pt.step}: ${tasks.map((t, j) => `${t.name} ${acc[j]!.toFixed(1)} (chance ${(100 / t.classNames.length).toFixed(0)})`).join(', ')}`);
  }

  // The shipped weights are f16: the card's numbers are measured on the saved folder, reloaded.
  writeModelFolder(out, pt.model, tokenizer, 'F16');
  const saved = openModel(out, be);
  const tests = tasks.map((t) => t.test);
  const full = await zeroShot(saved.model, saved.tokenizer, tests);
  const sub = await zeroShot(saved.model, saved.tokenizer, tests.map((d) => subset(d, Array.from({ length: Math.min(subsetSize, d.length) }, (_, i) => i))));
  const last = pt.history[pt.history.length - 1];
  const step10 = Math.max(1, Math.round(settings.steps / 10));
  const card: ModelCard = {
    name: arch.name!,
    architecture: arch,
    parameters: pt.model.parameterCount(),
    vocabulary: { tokens: tokenizer.vocabSize, note: "OpenAI's CLIP BPE (merges unchanged) pruned to the tokens of the corpus captions and of MTIL-Offline's and common prompt templates; other tokens map to <|unk|>; ids renumbered in the original order with <|unk|>, <|startoftext|>, <|endoftext|> last." },
    corpus: {
      images: corpus.length, captionsPerImage: corpus.manifest.captionsPerImage, size: corpus.size, seed: corpus.manifest.seed,
      sources: corpus.manifest.sources.map((s) => ({ name: s.name, images: s.images, licence: s.licence })),
    },
    training: {
      ...settings, seconds: pt.elapsedSeconds, finalLoss: last?.loss ?? NaN, device: be.name,
      lossCurve: pt.history.filter((h) => h.step % step10 === 0 || h.step === settings.steps).map((h) => ({ step: h.step, loss: h.loss })),
    },
    zeroShot: {
      stream: 'MTIL-Offline', subsetSize,
      scores: tasks.map((t, j) => ({ task: t.name, classes: t.classNames.length, test: full[j]!, testImages: t.test.length, subset: sub[j]! })),
      chanceNote: 'Chance is 100 / classes. Templates: each task\'s own (docs/mtil-offline.md), averaged (template ensemble).',
    },
    storage: 'float16 safetensors',
    createdAt: new Date().toISOString(),
    mulkiVersion: mulkiVersion(),
  };
  writeCard(out, card);
  for (const s of card.zeroShot.scores) console.log(`${s.task.padEnd(20)} zero-shot ${s.test.toFixed(1)}% (chance ${(100 / s.classes).toFixed(1)}%)`);
  console.log(`-> ${out}`);
}
