/**
 * The shipped built-in model (assets/model): it loads as a Hugging Face folder with its pruned tokenizer, fits the
 * size limit, and reproduces its card's zero-shot scores on the card's fixed subset (the first N test images of each
 * MTIL-Offline task) -- to within one image per task, since the card was measured on another backend build.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assetPath } from '../../src/assets.js';
import { getBackend } from '../../src/engine/device.js';
import { openModel } from '../../src/clip/model-folder.js';
import { subset } from '../../src/data/dataset.js';
import { mtilOfflineTasks } from '../../src/data/mtil-offline.js';
import { evaluateAll } from '../../src/cl/evaluate.js';
import type { ModelCard } from '../../src/pretrain/model-card.js';

const dir = assetPath('model');

test('the built-in model folder is complete and at most 25 MB', () => {
  for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'preprocessor_config.json', 'card.json', 'README.md']) {
    assert.ok(statSync(join(dir, f)).isFile(), `${f} present`);
  }
  const bytes = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
  assert.ok(bytes <= 25e6, `built-in model folder is ${(bytes / 1e6).toFixed(1)} MB`);
});

test("the built-in model reproduces its card's zero-shot scores on the fixed subset", async () => {
  const card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as ModelCard;
  const { model, tokenizer } = openModel('builtin', getBackend());
  assert.equal(model.parameterCount(), card.parameters);
  const skipped: string[] = [];
  const tasks = mtilOfflineTasks('I', { missing: 'skip', onSkip: (t) => skipped.push(t) });
  const byName = new Map(card.zeroShot.scores.map((s) => [s.task, s]));
  const n = card.zeroShot.subsetSize;
  const sets = tasks.map((t) => subset(t.test, Array.from({ length: Math.min(n, t.test.length) }, (_, i) => i)));
  const acc = await evaluateAll(model, tokenizer, sets, { batchSize: 250, workers: 0 });
  tasks.forEach((t, j) => {
    const s = byName.get(t.name);
    assert.ok(s, `card has a score for ${t.name}`);
    const tol = 100 / sets[j]!.length + 1e-9; // one image
    assert.ok(Math.abs(acc[j]! - s!.subset) <= tol, `${t.name}: ${acc[j]!.toFixed(2)}% here vs ${s!.subset.toFixed(2)}% on the card`);
  });
  for (const s of card.zeroShot.scores) {
    if (skipped.includes(s.task)) continue;
    assert.ok(s.test >= 2 * (100 / s.classes), `${s.task}: card zero-shot ${s.test}% should be at least twice chance`);
  }
});

test('mulki classify prints the top classes with probabilities for an image', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const sharp = (await import('sharp')).default;
  const { loadMnistOffline } = await import('../../src/data/offline/mnist.js');
  const { fileURLToPath } = await import('node:url');
  const { dirname } = await import('node:path');
  const ds = loadMnistOffline('test');
  const src = ds.source(0);
  assert.equal(src.kind, 'raw');
  const img = (src as { image: { width: number; height: number; channels: 1 | 3 | 4; data: Uint8Array } }).image;
  const tmp = mkdtempSync(join(tmpdir(), 'mulki-classify-'));
  try {
    const file = join(tmp, 'digit.png');
    await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: img.channels } }).png().toFile(file);
    const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
    const r = spawnSync(process.execPath, [cli, 'classify', 'builtin', file, '--labels', ds.classNames.join(','), '--template', 'a photo of the number: "{c}".', '--top', '3'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], file);
    assert.equal(lines.length, 4, r.stdout);
    const probs = lines.slice(1).map((l) => Number(/([\d.]+)%/.exec(l)![1]));
    assert.ok(probs[0]! >= probs[1]! && probs[1]! >= probs[2]!, 'sorted by probability');
    assert.ok(probs.every((p) => p >= 0 && p <= 100));
    for (const l of lines.slice(1)) assert.ok(ds.classNames.some((c) => l.endsWith(c)), l);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
