/** Clear errors for bad runs: NaN/Inf in the loss names the term and the step; bad configs name the field. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runContinual } from '../../src/cl/trainer.js';
import { resolveConfig } from '../../src/cl/config.js';
import { buildStream } from '../../src/cl/streams.js';
import { Progress } from '../../src/cl/progress.js';
import { createMethod } from '../../src/cl/methods/index.js';
import { tinyInputs } from '../helpers/tiny-run.js';

const quiet = new Progress(false, { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream);

test('a non-finite loss stops the run with the term, task and step that produced it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-nan-'));
  try {
    // A logit scale of 1e39 overflows float32: the logits are infinite and the cross-entropy is NaN at step 1.
    const inp = tinyInputs(join(dir, 'run'), 'finetune', { train: { logitScale: 1e39, warmup: 5, batchSize: 32 } }, 5);
    await assert.rejects(runContinual({ ...inp, progress: quiet }), /NaN in loss term 'ce' at task 1 \(MNIST-01234\), step 1 of method finetune/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad configurations are errors that name the setting', async () => {
  assert.throws(() => resolveConfig({ method: 'nope' }), /config: method 'nope' is unknown; known: zeroshot, finetune, lwf, wiseft, zscl, mulki/);
  assert.throws(() => resolveConfig({ benchmark: 'mtil' }), /config: data must point at the MTIL data folder/);
  assert.throws(() => resolveConfig({ train: { lr: -1 } }), /config: train\.lr must be a number >= 0/);
  assert.throws(() => resolveConfig({ bogus: 1 }), /config: bogus is not a known setting/);
  assert.throws(() => resolveConfig({ benchmark: 'custom', datasets: [] }), /datasets must name at least one dataset/);
  await assert.rejects(buildStream(resolveConfig({ benchmark: 'custom', datasets: ['Imagenette'] })), /Imagenette is not an offline dataset; pass --data DIR/);
  await assert.rejects(buildStream(resolveConfig({ benchmark: 'custom', datasets: ['Flowers2'], data: '/nonexistent' })), /unknown MTIL dataset "Flowers2"/);
  assert.throws(() => createMethod('mulki', { tau: 'two' }), /method mulki: option 'tau' must be a number/);
  assert.throws(() => createMethod('mulki', { distinguishing: 'vote' }), /distinguishing must be one of ce, confidence, entropy, fixed/);
  assert.throws(() => createMethod('lwf', { lambda2: 1 }), /method lwf: unknown option 'lambda2'/);
});

test('resuming with a model of another architecture names the mismatching parameter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mulki-mismatch-'));
  try {
    const out = join(dir, 'run');
    await runContinual({ ...tinyInputs(out, 'finetune', {}, 3), progress: quiet });
    const other = tinyInputs(out, 'finetune', {}, 3);
    const { createClip } = await import('../../src/clip/model.js');
    const { TINY_CONFIG } = await import('../helpers/tiny-run.js');
    const wider = { ...TINY_CONFIG, embedDim: 16 };
    await assert.rejects(
      runContinual({ ...other, resume: true, progress: quiet, loadModel: (be) => ({ ...other.loadModel(be), model: createClip(be, wider, 1) }) }),
      /checkpoint in .*: '.*projection\.weight' has \d+ values, expected \d+/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
