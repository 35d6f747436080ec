/**
 * End-to-end engine checks on a small transformer (a tiny CLIP): it learns (the contrastive loss falls), and a
 * steady-state training step allocates no new large buffers (pooled memory, scopes), on every backend here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensor } from '../../src/engine/ops/create.js';
import { scope } from '../../src/engine/memory.js';
import { AdamW } from '../../src/engine/optim/adamw.js';
import { Rng } from '../../src/engine/rng.js';
import { backward } from '../../src/engine/tape.js';
import { parseClipConfig } from '../../src/clip/config.js';
import { contrastiveLoss } from '../../src/clip/contrastive.js';
import { createClip } from '../../src/clip/model.js';
import { testBackends } from '../helpers/backends.js';
import type { Backend } from '../../src/engine/backend.js';

const config = parseClipConfig({
  embedDim: 16,
  vision: { imageSize: 8, patchSize: 4, width: 32, layers: 2, heads: 2, mlpWidth: 64, act: 'quick_gelu' },
  text: { contextLength: 6, vocabSize: 40, width: 32, layers: 2, heads: 2, mlpWidth: 64, act: 'quick_gelu', bosTokenId: 38, eosTokenId: 39 },
});

function setup(be: Backend, B: number) {
  const rng = new Rng(7);
  const model = createClip(be, config, 3);
  const images = tensor(Float32Array.from({ length: B * 3 * 64 }, () => rng.normal()), [B, 3, 8, 8], { device: be });
  const ids = new Int32Array(B * 6);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < 5; t++) ids[b * 6 + t] = 1 + rng.int(36);
    ids[b * 6 + 5] = 39;
  }
  const tokens = tensor(ids, [B, 6], { device: be, dtype: 'i32' });
  const opt = new AdamW(model.parameters(), { lr: 3e-3 });
  const step = (): number => scope(() => {
    const loss = contrastiveLoss(model.encodeImage(images), model.encodeText(tokens), 10);
    opt.zeroGrad();
    backward(loss);
    opt.step();
    return loss.item();
  });
  return { step };
}

for (const { name, backend, why } of testBackends()) {
  test(`a small CLIP learns to match its pairs (${name})`, { skip: backend ? false : why }, () => {
    const { step } = setup(backend!, 12);
    const first = step();
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    // ln(12) = 2.48 at chance; memorising 12 pairs must take the loss well below half of where it started.
    assert.ok(first > 2, `initial loss ${first} should be near chance (2.48)`);
    assert.ok(last < 0.5 * first, `loss fell only from ${first.toFixed(3)} to ${last.toFixed(3)}`);
  });

  test(`steady-state steps allocate no new large buffers (${name})`, { skip: backend ? false : why }, () => {
    const be = backend!;
    const { step } = setup(be, 32);
    for (let i = 0; i < 3; i++) step();
    const before = be.memoryStats();
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < 100; i++) step();
    const after = be.memoryStats();
    assert.equal(after.allocations, before.allocations, 'new large buffers were allocated after warm-up');
    assert.ok(after.liveBytes <= before.liveBytes, `live bytes grew from ${before.liveBytes} to ${after.liveBytes}`);
    const grown = (process.memoryUsage().rss - rss0) / 2 ** 20;
    assert.ok(grown < 64, `RSS grew by ${grown.toFixed(1)} MiB over 100 steps`);
  });
}
